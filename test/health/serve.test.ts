/**
 * Health end to end: `aigw serve` (the CLI command, the real HTTP edge and
 * undici) in front of two fake OpenAI upstreams, called with the official
 * `openai` SDK. The primary starts answering 503; after the policy's three
 * consecutive failures no request pays a failed first try any more (the
 * primary is skipped, `x-aigw-skipped` says so, the backup answers first).
 * When the ejection ends, one probe is let through: a failing probe
 * re-ejects for twice as long; once the primary recovers, the next probe
 * closes it and traffic returns. `/metrics` follows every step, and no
 * provider key reaches the log or the metrics.
 */
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import type { Io } from "../../cli/io.js";
import { serveCommand } from "../../cli/commands/serve.js";
import type { Gateway } from "../../runtime/server/app.js";
import { policyDir } from "../support/cli.js";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { KEY, KEY_HASH } from "../server/helpers.js";

const SECRET = "sk-upstream-secret-h19-0000000000";
// Long enough that twelve requests in a row fit in one ejection on a loaded machine.
const EJECT_MS = 1500;

let stop: (() => void) | undefined;
afterEach(async () => {
  stop?.();
  stop = undefined;
  await closeAllUpstreams();
});

async function serve(primary: FakeUpstream, backup: FakeUpstream): Promise<{ base: string; out: () => string }> {
  const dir = policyDir({
    "main.route": `
gateway { state memory }
keys { "${KEY_HASH}" team "search" }
provider up   { api openai base_url "${primary.baseUrl}" key env("UP_KEY") }
provider good { api openai base_url "${backup.baseUrl}" key env("UP_KEY") }
model primary = up/"primary-model"
model backup  = good/"backup-model"
health upstream { on [5xx, timeout, connection]  consecutive 3  eject ${EJECT_MS}ms  max_eject 5s }
route chat {
  when model == "chat"
  to primary
  fallback backup
  health upstream
}
`,
  });
  let text = "";
  const io: Io = { out: (t) => void (text += t), err: (t) => void (text += t), isTty: false, env: { UP_KEY: SECRET }, cwd: process.cwd() };
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const gateway = await new Promise<Gateway>((resolve) => {
    void serveCommand([dir, "--port", "0", "--host", "127.0.0.1"], io, { stop: stopped, onListening: resolve });
  });
  return { base: `http://127.0.0.1:${gateway.port}`, out: () => text };
}

/** One request through the SDK; the decision headers it came back with. */
async function ask(client: OpenAI): Promise<{ attempts: string; skipped: string | null; text: string | null }> {
  const { data, response } = await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] }).withResponse();
  return { attempts: response.headers.get("x-aigw-attempts") ?? "", skipped: response.headers.get("x-aigw-skipped"), text: data.choices[0]!.message.content };
}

async function metric(base: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("health through aigw serve", () => {
  it("ejects a failing target after the threshold, probes it half-open, and takes it back once it recovers", async () => {
    const primary = await startUpstream("openai");
    const backup = await startUpstream("openai");
    primary.setDefault(behave.fail(503));
    const { base, out } = await serve(primary, backup);
    const client = new OpenAI({ apiKey: KEY, baseURL: `${base}/v1`, maxRetries: 0 });

    // Failing: the first three requests pay a failed first try, then none does.
    const first = [];
    for (let i = 0; i < 12; i++) first.push(await ask(client));
    const paid = first.filter((r) => r.attempts.startsWith("primary:503"));
    expect(paid).toHaveLength(3);
    expect(first.slice(0, 3).map((r) => r.attempts)).toEqual(Array(3).fill("primary:503,backup:200"));
    for (const r of first.slice(3)) {
      expect(r.attempts).toBe("backup:200");
      expect(r.skipped).toBe("primary:ejected");
    }
    expect(primary.requests).toHaveLength(3);
    expect(await metric(base, 'aigw_target_healthy{target="primary"}')).toBe(0);
    expect(await metric(base, 'aigw_target_ejections_total{target="primary",reason="consecutive"}')).toBe(1);

    // The ejection ends while the primary still fails: one probe, which fails and re-ejects (for twice as long).
    await sleep(EJECT_MS + 50);
    const probe = await ask(client);
    expect(probe.attempts).toBe("primary:503,backup:200");
    expect(probe.skipped).toBeNull();
    expect((await ask(client)).attempts).toBe("backup:200");
    expect(await metric(base, 'aigw_target_ejections_total{target="primary",reason="consecutive"}')).toBe(2);
    await sleep(EJECT_MS + 50);
    // Still inside the doubled ejection: skipped.
    expect((await ask(client)).skipped).toBe("primary:ejected");

    // Recovered: after the doubled ejection the probe answers and traffic returns to the primary.
    primary.setDefault(behave.reply({ text: "primary is back" }));
    await sleep(EJECT_MS + 50);
    const back = await ask(client);
    expect(back).toMatchObject({ attempts: "primary:200", skipped: null, text: "primary is back" });
    for (let i = 0; i < 5; i++) expect((await ask(client)).attempts).toBe("primary:200");
    expect(await metric(base, 'aigw_target_healthy{target="primary"}')).toBe(1);

    // The access log names every skip; nothing logs or exports the provider key.
    const log = out();
    expect(log).toMatch(/"skipped":\["primary skipped: ejected \d+(\.\d+)? (ms|s) ago after 3 consecutive 503s; [^"]+, health upstream \([^)]*main\.route:\d+\)"\]/);
    expect(log).toContain("target ejected");
    expect(log).not.toContain(SECRET);
    expect(await (await fetch(`${base}/metrics`)).text()).not.toContain(SECRET);
  });

  it("lets one probe through at a time while the ejection is over", async () => {
    const primary = await startUpstream("openai");
    const backup = await startUpstream("openai");
    primary.setDefault(behave.fail(503));
    const { base } = await serve(primary, backup);
    const client = new OpenAI({ apiKey: KEY, baseURL: `${base}/v1`, maxRetries: 0 });
    for (let i = 0; i < 3; i++) await ask(client);
    expect(primary.requests).toHaveLength(3);

    // The probe is slow; four requests arrive while it is out: none of them goes to the primary.
    primary.setDefault(behave.reply({ text: "slow probe" }, 300));
    await sleep(EJECT_MS + 50);
    const replies = await Promise.all(Array.from({ length: 5 }, () => ask(client)));
    expect(primary.requests).toHaveLength(4);
    const probes = replies.filter((r) => r.attempts.startsWith("primary"));
    expect(probes).toEqual([expect.objectContaining({ attempts: "primary:200", text: "slow probe" })]);
    for (const r of replies.filter((x) => !x.attempts.startsWith("primary"))) expect(r).toMatchObject({ attempts: "backup:200", skipped: "primary:probing" });
  });
});
