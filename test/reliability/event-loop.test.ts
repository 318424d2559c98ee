/**
 * No request blocks the event loop: a real `aigw serve` child with a policy
 * like examples/production (a size guardrail that reads `input_tokens`, PII
 * redaction, a secrets block, injection rules written as policy regexes,
 * `log_bodies true`) takes ~1 MB adversarial prompts, one at a time: the
 * inputs that were quadratic for the tokenizer (one long word, DNA), that
 * backtracked in the phone detector (`+1111…1a ` repeated), and inputs
 * crafted for each other detector and for a policy regex. While each is
 * processed, `/healthz` is asked again and again and must answer within a
 * bound every time (TOKENIZER_BOUND_MS, DETECTOR_BOUND_MS: what each stage
 * holds today, and why not yet the 100 ms). Each prompt is answered, and its reply, which
 * echoes the prompt's kind of text, is logged with the bodies.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { KEY, KEY_HASH } from "../server/helpers.js";
import { startServeChild, stopServeChildren } from "./edge-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "aigw-loop-"));

afterAll(async () => {
  await stopServeChildren();
  await closeAllUpstreams();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * How long /healthz may wait while the tokenizer counts a 1 MB prompt. The
 * count runs a few thousand bytes per event-loop turn; what is left in one
 * turn is the pre-tokenizer regex over one long pre-token and a major GC:
 * /healthz answered within ~55 ms during 1 MB of prose but ~120–400 ms
 * during a 1 MB single word on a loaded 2-core machine, so the 100 ms
 * is not yet met for those. Before, 1 MB of `a` held the loop for hours.
 */
const TOKENIZER_BOUND_MS = 1_000;
/**
 * The guardrail pass (every detector, then the redaction logged with the
 * bodies) is still one synchronous pass over the text: linear, but ~0.1–0.5 s
 * for 1 MB on a loaded 2-core machine. Before the detectors were linear the
 * same prompts took seconds (phone) to forever (the policy regex).
 */
const DETECTOR_BOUND_MS = 2_000;
const MB = 1 << 20;

/** `unit` repeated up to about 1 MB. */
const fill = (unit: string, bytes = MB): string => unit.repeat(Math.max(1, Math.floor(bytes / Buffer.byteLength(unit))));

function dna(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += "ACGT"[(i * 7 + (i >> 3) + (i >> 11)) % 4];
  return s;
}

/** Prompts crafted against the tokenizer (one long pre-token was quadratic: 1 MB of `a` took hours). */
const TOKENIZER_INPUTS: [string, string][] = [
  ["one long word", fill("a")],
  ["one long upper-case word", fill("A")],
  ["DNA", dna(MB)],
  ["a CJK run", fill("中文字")],
  ["a long digit run", fill("1")],
  ["spaces", fill(" ") + "x"],
  ["newlines and spaces", fill(" \n")],
  ["prose", fill("The quick brown fox jumps over the lazy dog. ")],
];

/** Prompts crafted against the detectors and the policy's regexes. */
const DETECTOR_INPUTS: [string, string][] = [
  ["`+1111…1a ` repeated (phone)", fill("+" + "1".repeat(30) + "a ")],
  ["digit groups (phone, credit_card)", fill("1111 ")],
  ["@ everywhere (email)", fill("a@")],
  ["dotted local parts (email)", fill("a.b+c@d-")],
  ["IBAN-like groups (iban)", fill("DE89 " + "3704 ".repeat(9))],
  ["key prefixes (api_key)", fill("sk-" + "A".repeat(19) + " ghp_" + "b".repeat(35) + "-")],
  ["colons and hex (ip_address)", fill("a:b:c:d:")],
  ["dotted quads (ip_address)", fill("1.2.3.")],
  ["the injection regex's near-misses", fill("ignore all the previous instruction ")],
  ["words without the `;` the policy's `(\\w+\\s?)+;` needs", fill("token=" + "x".repeat(30) + " ")],
];

interface Probe {
  status: number;
  worstHealthzMs: number;
  probes: number;
  totalMs: number;
}

/** Sends one prompt and asks /healthz again and again until its answer is in. */
async function probe(base: string, text: string): Promise<Probe> {
  const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  let done = false;
  const started = performance.now();
  const call = fetch(`${base}/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: text }] }) })
    .then(async (r) => ({ status: r.status, body: await r.text() }))
    .finally(() => void (done = true));
  let worst = 0;
  let probes = 0;
  while (!done) {
    const t0 = performance.now();
    const h = await fetch(`${base}/healthz`);
    await h.arrayBuffer();
    expect(h.status).toBe(200);
    if (!done) {
      worst = Math.max(worst, performance.now() - t0);
      probes++;
    }
  }
  const res = await call;
  expect([200, 400], res.body.slice(0, 300)).toContain(res.status);
  return { status: res.status, worstHealthzMs: worst, probes, totalMs: performance.now() - started };
}

/** Starts `aigw serve` on a policy; its upstream echoes a quarter of each prompt back, so `log_bodies` logs hostile text both ways. */
async function gateway(guard: string, guardrails: string): Promise<{ base: string; stderr: () => string; echo: (text: string) => void }> {
  const up = await startUpstream("openai");
  const sub = mkdtempSync(join(dir, "p-"));
  writeFileSync(
    join(sub, "main.route"),
    `
gateway { max_body 4MB  log_bodies true  state memory  deadline 120s }
provider real { api openai base_url "${up.baseUrl}" timeout 120s }
keys { "${KEY_HASH}" team "loop" }
model gpt = real/"gpt-4o"
model long = real/"gpt-4.1"
${guardrails}
guardrail size { block when input_tokens > 2M }
route big { when model == "chat" and input_tokens > 900k  to long  guard ${guard} }
route chat { when model == "chat"  to gpt  guard ${guard} }
`,
  );
  const serve = await startServeChild(join(sub, "main.route"), [], 60_000);
  // The tokenizer's ranks load in the background at start; the first request that needs them waits for them.
  const warm = await fetch(`${serve.base}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "x".repeat(5000) }] }),
  });
  expect(warm.status).toBe(200);
  return { base: serve.base, stderr: serve.stderr, echo: (text) => up.next(behave.reply({ text: text.slice(0, 256 * 1024) })) };
}

describe("a real aigw serve keeps answering while it processes 1 MB adversarial prompts", () => {
  it(`counts input_tokens of 1 MB prompts crafted against the tokenizer while /healthz answers within ${TOKENIZER_BOUND_MS} ms`, { timeout: 600_000 }, async () => {
    const gw = await gateway("size", "");
    const slow: string[] = [];
    for (const [name, text] of TOKENIZER_INPUTS) {
      gw.echo(text);
      const p = await probe(gw.base, text);
      if (process.env.AIGW_LOOP_REPORT) console.log(`${name}: status ${p.status}, request ${p.totalMs.toFixed(0)} ms, worst /healthz ${p.worstHealthzMs.toFixed(0)} ms over ${p.probes} probes`);
      if (p.worstHealthzMs >= TOKENIZER_BOUND_MS) slow.push(`${name}: /healthz took ${p.worstHealthzMs.toFixed(0)} ms (request ${p.totalMs.toFixed(0)} ms, ${p.probes} probes)`);
    }
    expect(slow).toEqual([]);
    expect(gw.stderr()).not.toMatch(/uncaught|FATAL/i);
  });

  it(`runs every detector and policy regex over 1 MB prompts crafted against them in linear time: /healthz within ${DETECTOR_BOUND_MS} ms`, { timeout: 600_000 }, async () => {
    const gw = await gateway(
      "size, pii, secrets, injection",
      `
guardrail pii { on input  redact email, phone, credit_card, iban, ip_address }
guardrail secrets { on input  flag api_key }
guardrail injection {
  on input
  block matches /ignore (all |any )?(the )?(previous|prior|above) instructions/i
  flag matches /(reveal|print|show|repeat) (me )?(your|the) system prompt/i
  flag matches /token=(\\w+\\s?)+;/
}`,
    );
    const slow: string[] = [];
    for (const [name, text] of DETECTOR_INPUTS) {
      gw.echo(text);
      const p = await probe(gw.base, text);
      if (process.env.AIGW_LOOP_REPORT) console.log(`${name}: status ${p.status}, request ${p.totalMs.toFixed(0)} ms, worst /healthz ${p.worstHealthzMs.toFixed(0)} ms over ${p.probes} probes`);
      if (p.worstHealthzMs >= DETECTOR_BOUND_MS) slow.push(`${name}: /healthz took ${p.worstHealthzMs.toFixed(0)} ms (request ${p.totalMs.toFixed(0)} ms, ${p.probes} probes)`);
    }
    expect(slow).toEqual([]);
    expect(gw.stderr()).not.toMatch(/uncaught|FATAL/i);
  });
});
