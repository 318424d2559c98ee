/**
 * A policy whose only reader of tokens is a model's `context` does not load
 * the tokenizer (~40 MB of ranks, per thread) until a request comes near a
 * context: the byte bound decides every shorter one. The counts it then
 * needs are exact, including when a route's shaping raises `max_tokens`
 * above what the caller asked. Each case runs in a fresh process, since the
 * tokenizer is module state shared by the test files of a worker.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const REGISTER = fileURLToPath(new URL("../state/child/register.mjs", import.meta.url));
const CHILD = fileURLToPath(new URL("./child/lazy-tokenizer.ts", import.meta.url));

interface Step {
  step: string;
  status?: number | string;
  code?: string;
  loaded: boolean;
}

async function run(source: string, requests: { content: string; max_tokens?: number }[]): Promise<Step[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", REGISTER, CHILD, source, JSON.stringify(requests)], { timeout: 60_000 });
  return stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Step);
}

const CONTEXT_ONLY = `
gateway { auth none }
provider demo { api mock }
model fast = demo/"mock-fast" { context 1000 }
route chat { when model == "chat"  to fast }
`;

/** About one token per two bytes: " a" is one token. */
const words = (n: number): string => "a ".repeat(n);

describe("a tokenizer loaded only when a context check needs a count", () => {
  it("is not loaded for short requests, then loaded for one near the context, whose count decides", async () => {
    const steps = await run(CONTEXT_ONLY, [
      { content: "hello", max_tokens: 10 },
      { content: words(300), max_tokens: 100 },
      { content: words(300), max_tokens: 500 },
      { content: words(300), max_tokens: 900 },
    ]);
    expect(steps[0]).toEqual({ step: "built", loaded: false });
    // 5 bytes + 10 and 600 bytes + 100 are under the context: the byte bound settles them.
    expect(steps[1]).toMatchObject({ status: 200, loaded: false });
    expect(steps[2]).toMatchObject({ status: 200, loaded: false });
    // 600 bytes + 500 could pass 1,000: counted (about 300 tokens + 500), and it fits.
    expect(steps[3]).toMatchObject({ status: 200, loaded: true });
    // About 300 + 900 does not fit: refused on the exact count.
    expect(steps[4]?.status).not.toBe(200);
    expect(steps[4]?.status).toBeLessThan(500);
  }, 90_000);

  it("counts when a route's shaping raises max_tokens, though the caller asked for none", async () => {
    const shaped = CONTEXT_ONLY.replace('to fast }', 'default max_tokens 900  to fast }');
    const steps = await run(shaped, [{ content: words(80) }, { content: words(300) }]);
    expect(steps[0]).toEqual({ step: "built", loaded: false });
    // 160 bytes + 900 shaped could pass 1,000: counted (about 80 + 900), and it fits.
    expect(steps[1]).toMatchObject({ status: 200, loaded: true });
    expect(steps[2]?.status).not.toBe(200);
    expect(steps[2]?.status).toBeLessThan(500);
  }, 90_000);

  it("is loaded at once when a condition reads input_tokens", async () => {
    const steps = await run(CONTEXT_ONLY.replace('when model == "chat"', 'when model == "chat" and input_tokens < 100000'), []);
    expect(steps[0]).toEqual({ step: "built", loaded: true });
  }, 90_000);
});
