/**
 * No request blocks the event loop: a real `aigw serve` child with a policy
 * like examples/production (a size guardrail that reads `input_tokens`, PII
 * redaction, a secrets block, injection rules written as policy regexes,
 * `log_bodies true`) takes ~1 MB adversarial prompts, one at a time: the
 * inputs that were quadratic for the tokenizer (one long word, DNA), that
 * backtracked in the phone detector (`+1111…1a ` repeated), and inputs
 * crafted for each other detector and for the policy's regex. While each is
 * processed, `/healthz` is asked again and again and must answer within
 * 100 ms every time; the prompt's reply comes back (and its reply, which
 * echoes the prompt's kind of text, is logged with the bodies).
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

/** The liveness bound the issue asks for. */
const HEALTHZ_BOUND_MS = 100;
const MB = 1 << 20;

/** `unit` repeated up to about 1 MB. */
const fill = (unit: string, bytes = MB): string => unit.repeat(Math.max(1, Math.floor(bytes / Buffer.byteLength(unit))));

function dna(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += "ACGT"[(i * 7 + (i >> 3) + (i >> 11)) % 4];
  return s;
}

/** The adversarial prompts, by what they were crafted against. */
const INPUTS: [string, string][] = [
  ["one long word (tokenizer)", fill("a")],
  ["one long upper-case word (tokenizer)", fill("A")],
  ["DNA (tokenizer)", dna(MB)],
  ["CJK run (tokenizer)", fill("中文字")],
  ["a long digit run", fill("1")],
  ["spaces", fill(" ") + "x"],
  ["`+1111…1a ` repeated (phone)", fill("+" + "1".repeat(30) + "a ")],
  ["digit groups (phone, credit_card)", fill("1111 ")],
  ["@ everywhere (email)", fill("a@")],
  ["dotted local parts (email)", fill("a.b+c@d-")],
  ["IBAN-like groups (iban)", fill("DE89 " + "3704 ".repeat(9))],
  ["key prefixes (api_key)", fill("sk-" + "A".repeat(19) + " ghp_" + "b".repeat(35) + "-")],
  ["colons and hex (ip_address)", fill("a:b:c:d:")],
  ["dotted quads (ip_address)", fill("1.2.3.")],
  ["the policy regex's near-misses", fill("ignore all the previous instruction ")],
  ["the policy's greedy regex without its end", fill("token=" + "x".repeat(50) + " ")],
];

describe("a real aigw serve keeps answering /healthz while it processes 1 MB adversarial prompts", () => {
  it(`answers /healthz within ${HEALTHZ_BOUND_MS} ms throughout each prompt`, { timeout: 600_000 }, async () => {
    const up = await startUpstream("openai");
    writeFileSync(
      join(dir, "main.route"),
      `
gateway { max_body 4MB  log_bodies true  state memory  deadline 120s }
provider real { api openai base_url "${up.baseUrl}" timeout 120s }
keys { "${KEY_HASH}" team "loop" }
model gpt = real/"gpt-4o"

guardrail pii { on input  redact email, phone, credit_card, iban, ip_address }
guardrail secrets { on input  flag api_key }
guardrail injection {
  on input
  block matches /ignore (all |any )?(the )?(previous|prior|above) instructions/i
  flag matches /(reveal|print|show|repeat) (me )?(your|the) system prompt/i
  flag matches /token=(\\w+\\s?)+;/
}
guardrail size { block when input_tokens > 2M }

route big { when model == "chat" and input_tokens > 900k  to gpt  guard size, pii, secrets, injection }
route chat { when model == "chat"  to gpt  guard size, pii, secrets, injection }
`,
    );
    const serve = await startServeChild(join(dir, "main.route"), [], 60_000);
    const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };

    // Warm up: the tokenizer's ranks load on first use.
    const warm = await fetch(`${serve.base}/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "x".repeat(5000) }] }) });
    expect(warm.status).toBe(200);

    const slow: string[] = [];
    for (const [name, text] of INPUTS) {
      // The reply carries the same kind of text, so logging it with the bodies is exercised too.
      up.next(behave.reply({ text: text.slice(0, 256 * 1024) }));
      let done = false;
      const started = performance.now();
      const call = fetch(`${serve.base}/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: text }] }) })
        .then(async (r) => ({ status: r.status, body: await r.text() }))
        .finally(() => void (done = true));
      let worst = 0;
      let probes = 0;
      while (!done) {
        const t0 = performance.now();
        const h = await fetch(`${serve.base}/healthz`);
        await h.arrayBuffer();
        const took = performance.now() - t0;
        expect(h.status).toBe(200);
        if (!done) {
          worst = Math.max(worst, took);
          probes++;
        }
      }
      const res = await call;
      const total = performance.now() - started;
      expect([200, 400], `${name}: ${res.body.slice(0, 300)}`).toContain(res.status);
      if (worst >= HEALTHZ_BOUND_MS) slow.push(`${name}: /healthz took ${worst.toFixed(0)} ms (request ${total.toFixed(0)} ms, ${probes} probes)`);
      console.log(`${name}: status ${res.status}, request ${total.toFixed(0)} ms, worst /healthz ${worst.toFixed(0)} ms over ${probes} probes`);
    }
    expect(slow).toEqual([]);
    expect(serve.stderr()).not.toMatch(/uncaught|FATAL/i);
  });
});
