/**
 * No request blocks the event loop (issue 13): a real `aigw serve` child
 * with every guard, condition and logging feature of examples/production
 * (a size guardrail and a route that read `input_tokens`, budgets and
 * limits, PII redaction, a secrets rule, injection rules written as policy
 * regexes, `log_bodies true`), plus every built-in detector, a `matches`
 * route condition (evaluated by `decide`) and output guardrails, takes
 * ~1 MB adversarial prompts one at a time: the inputs that were quadratic
 * for the tokenizer (one long word, DNA), that backtracked in the phone
 * detector (`+1111…1a ` repeated), and inputs crafted for each other
 * detector and for a policy regex. While each is processed, `/healthz` is
 * polled about every 10 ms, and no answer may be held up by the gateway's
 * event loop for HEALTHZ_BOUND_MS: an answer slower than that fails the test
 * when the gateway's main thread (its event loop) spent that much CPU
 * time while the answer was pending — it was busy, not waiting for a core
 * the rest of a loaded machine had. Every answer, whatever the machine,
 * must also come within LIVENESS_MS. Each prompt is answered, and its reply, which echoes
 * the prompt's kind of text, goes through the output guardrails and is
 * logged with the bodies.
 *
 * A second part proves the failure path: a guard pass that outlives
 * `--guard-timeout` fails its request with a 503 in the OpenAI error shape,
 * the process lives on, and the next large request is served by a fresh
 * worker.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { getPriority, setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
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
 * The issue's bound: every /healthz answer while a 1 MB prompt is in
 * flight. The large texts' passes run on the guard pass workers
 * (runtime/offload/); what is left on the event loop is parsing and copying
 * the body, a few ms per MB.
 */
const HEALTHZ_BOUND_MS = 100;
/** The wall-clock bound on every answer, a loaded machine's scheduling included. */
const LIVENESS_MS = 2_000;
/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/**
 * CPU time, ms, the thread `tid` of process `pid` has used: its event loop
 * when `tid` is `pid` (a Node process's main thread). Undefined off Linux.
 */
function threadCpuMs(pid: number, tid = pid): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S; // utime, stime
  } catch {
    return undefined;
  }
}
/** How often /healthz is asked. */
const POLL_MS = 10;
/** The liveness parts are about the event loop, not the pass's deadline: on a machine this loaded, counting 1 MB of one word can outlast the default 30 s. */
const LIVENESS_ARGS = ["--guard-timeout", "300s"];

/**
 * Runs the gateway's threads (its event loop, and V8's GC helpers the loop
 * waits for) and this test's thread (the /healthz client) ahead of the rest
 * of the machine, when allowed (root): the bound is about what a request
 * does to the gateway's own event loop, and the builds sharing the machine
 * (load average 10–20 on 2 cores) would otherwise decide it. The guard pass
 * workers have lowered their own priority (runtime/offload/worker.ts) and
 * are left there: only threads at the normal priority are raised.
 */
function favour(pid: number | undefined): void {
  const ids = [process.pid];
  if (pid !== undefined) {
    try {
      ids.push(...readdirSync(`/proc/${pid}/task`).map(Number));
    } catch {
      ids.push(pid);
    }
  }
  for (const id of ids) {
    try {
      if (getPriority(id) === 0) setPriority(id, -10);
    } catch {
      // Not root, or the thread ended: measured at the normal priority.
    }
  }
}
const MB = 1 << 20;

/** `bytes` lowercase letters in one word, the same every run (a linear congruential sequence). */
function randomWord(bytes: number): string {
  const out = new Uint8Array(bytes);
  let x = 12345;
  for (let i = 0; i < bytes; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = 97 + ((x >>> 16) % 26);
  }
  return Buffer.from(out).toString("latin1");
}

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
  /** The slowest /healthz answer, wall clock. */
  worstHealthzMs: number;
  /** The slowest /healthz answer during which the gateway's event loop was busy for HEALTHZ_BOUND_MS or more of CPU (0: none). */
  worstBlockedMs: number;
  /** The most event-loop CPU time spent while one /healthz answer was pending. */
  worstLoopCpuMs: number;
  probes: number;
  totalMs: number;
}

/** Sends one prompt and asks /healthz again and again until its answer is in. */
async function probe(base: string, pid: number, text: string): Promise<Probe> {
  const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  let done = false;
  const started = performance.now();
  const call = fetch(`${base}/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model: "chat", max_tokens: 100, messages: [{ role: "user", content: text }] }) })
    .then(async (r) => ({ status: r.status, body: await r.text() }))
    .finally(() => void (done = true));
  let worst = 0;
  let worstBlocked = 0;
  let worstLoopCpu = 0;
  let probes = 0;
  while (!done) {
    const cpu0 = threadCpuMs(pid);
    const t0 = performance.now();
    const h = await fetch(`${base}/healthz`);
    await h.arrayBuffer();
    const ms = performance.now() - t0;
    const cpu1 = threadCpuMs(pid);
    expect(h.status).toBe(200);
    if (!done) {
      // Without /proc, every slow answer counts as blocked.
      const loopCpu = cpu0 === undefined || cpu1 === undefined ? ms : cpu1 - cpu0;
      worst = Math.max(worst, ms);
      worstLoopCpu = Math.max(worstLoopCpu, loopCpu);
      if (ms >= HEALTHZ_BOUND_MS && loopCpu >= HEALTHZ_BOUND_MS) worstBlocked = Math.max(worstBlocked, ms);
      probes++;
    }
    await sleep(POLL_MS);
  }
  const res = await call;
  expect([200, 400], res.body.slice(0, 300)).toContain(res.status);
  return { status: res.status, worstHealthzMs: worst, worstBlockedMs: worstBlocked, worstLoopCpuMs: worstLoopCpu, probes, totalMs: performance.now() - started };
}

/** The guardrails of the detector part: every built-in detector, both directions, and injection rules as policy regexes. */
const EVERY_DETECTOR = `
guardrail pii { on input  redact email, phone, credit_card, iban, ip_address }
guardrail pii_out { on output  redact email, phone, credit_card, iban, ip_address, api_key }
guardrail secrets { on input  flag api_key }
guardrail injection {
  on input
  block matches /ignore (all |any )?(the )?(previous|prior|above) instructions/i
  flag matches /(reveal|print|show|repeat) (me )?(your|the) system prompt/i
  flag matches /token=(\\w+\\s?)+;/
}`;

/**
 * Starts `aigw serve` on a policy shaped like examples/production; its
 * upstream echoes a quarter of each prompt back, so the output guardrails
 * and `log_bodies` see hostile text both ways.
 */
async function gateway(guard: string, guardrails: string, args: string[] = LIVENESS_ARGS): Promise<{ base: string; pid: number; stderr: () => string; stdout: () => string; echo: (text: string) => void }> {
  const up = await startUpstream("openai");
  const sub = mkdtempSync(join(dir, "p-"));
  writeFileSync(
    join(sub, "main.route"),
    `
gateway { max_body 4MB  log_bodies true  state memory  deadline 120s }
provider real { api openai base_url "${up.baseUrl}" timeout 120s }
keys { "${KEY_HASH}" team "loop" }
// Contexts large enough that every 1 MB prompt reaches the upstream (a model whose context a prompt exceeds is skipped, lang/SPEC.md §7.8).
model gpt = real/"gpt-4o" { input $2.50/Mtok  output $10/Mtok  context 1M  max_output 16k }
model long = real/"gpt-4.1" { input $2/Mtok  output $8/Mtok  context 2M  max_output 32k }
budget team-daily { per team  limit $100000 per day  warn 80%  exceeded reject }
limit per-key { per key  requests 100000 per minute  tokens 1000M per minute }
${guardrails}
guardrail size { block when input_tokens > 2M }
route forbidden { when model == "chat" and text matches /forbidden (word|phrase)+ here/i  to gpt  guard ${guard} }
route big { when model == "chat" and input_tokens > 900k  to long  guard ${guard}  budget team-daily  limit per-key }
route chat { when model == "chat"  to gpt  guard ${guard}  budget team-daily  limit per-key }
`,
  );
  const serve = await startServeChild(join(sub, "main.route"), args, 60_000);
  // The tokenizer's ranks load in the background at start; the first request that needs them waits for them.
  const warm = await fetch(`${serve.base}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "chat", max_tokens: 100, messages: [{ role: "user", content: "x".repeat(5000) }] }),
  });
  expect(warm.status).toBe(200);
  // After the warm-up: the guard pass workers are up and have lowered their priority.
  favour(serve.child.pid);
  return { base: serve.base, pid: serve.child.pid!, stderr: serve.stderr, stdout: serve.stdout, echo: (text) => up.next(behave.reply({ text: text.slice(0, 256 * 1024) })) };
}

describe("a real aigw serve keeps answering while it processes 1 MB adversarial prompts", () => {
  it(`counts input_tokens of 1 MB prompts crafted against the tokenizer while /healthz answers within ${HEALTHZ_BOUND_MS} ms`, { timeout: 600_000 }, async () => {
    const gw = await gateway("size", "");
    await expectLive(gw, TOKENIZER_INPUTS);
  });

  it(`runs every detector, policy regex and output guardrail over 1 MB prompts crafted against them: /healthz within ${HEALTHZ_BOUND_MS} ms`, { timeout: 600_000 }, async () => {
    const gw = await gateway("size, pii, secrets, injection, pii_out", EVERY_DETECTOR);
    await expectLive(gw, DETECTOR_INPUTS);
    // The large bodies were redacted for the log on a worker, and logged.
    const logged = gw.stdout().split("\n").filter((l) => l.includes('"requestBody"'));
    expect(logged.length).toBeGreaterThanOrEqual(DETECTOR_INPUTS.length);
  });

  it("fails a guard pass that outlives --guard-timeout with a 503 in the OpenAI shape, and serves the next request on a fresh worker", { timeout: 300_000 }, async () => {
    const gw = await gateway("size, pii, secrets, injection, pii_out", EVERY_DETECTOR, ["--guard-workers", "1", "--guard-timeout", "1s"]);
    const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
    const ask = async (text: string): Promise<{ status: number; body: string }> => {
      gw.echo("ok");
      const r = await fetch(`${gw.base}/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model: "chat", max_tokens: 10, messages: [{ role: "user", content: text }] }) });
      return { status: r.status, body: await r.text() };
    };
    // 3 MB of one word of pseudo-random letters: counting its tokens (the route reads `input_tokens > 900k`)
    // is real BPE work over one long pre-token, seconds on any machine (a run of one letter is counted
    // arithmetically, fast enough on a quiet machine to beat the 1 s timeout).
    const slow = await ask(randomWord(3 * MB));
    expect(slow.status, slow.body.slice(0, 300)).toBe(503);
    expect(JSON.parse(slow.body)).toMatchObject({ error: { code: "guard_unavailable", type: "server_error" } });
    expect((await fetch(`${gw.base}/healthz`)).status).toBe(200);
    // A large prompt that needs little work (one word, above the offload threshold) is served by the replacement worker.
    const next = await ask("x".repeat(40_000));
    expect(next.status, next.body.slice(0, 300)).toBe(200);
    expect(gw.stderr()).not.toMatch(/uncaught|FATAL/i);
  });
});

/** Sends each prompt and checks every /healthz answer during it came within the bound. */
async function expectLive(gw: Awaited<ReturnType<typeof gateway>>, inputs: [string, string][]): Promise<void> {
  const slow: string[] = [];
  for (const [name, text] of inputs) {
    gw.echo(text);
    const p = await probe(gw.base, gw.pid, text);
    const report = `${name}: status ${p.status}, request ${p.totalMs.toFixed(0)} ms, worst /healthz ${p.worstHealthzMs.toFixed(0)} ms, most event-loop CPU during one answer ${p.worstLoopCpuMs.toFixed(0)} ms, over ${p.probes} probes`;
    if (process.env.AIGW_LOOP_REPORT) console.log(report);
    if (p.worstBlockedMs > 0 || p.worstHealthzMs >= LIVENESS_MS) slow.push(report);
  }
  expect(slow).toEqual([]);
  expect(gw.stderr()).not.toMatch(/uncaught|FATAL/i);
}
