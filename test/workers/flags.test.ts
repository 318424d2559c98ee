/** `--workers N` and `AIGW_WORKERS`: a count out of range is a usage error (exit 2), found before anything starts. */
import { describe, expect, it } from "vitest";
import { UsageError } from "../../cli/args.js";
import { serveCommand } from "../../cli/commands/serve.js";
import type { Io } from "../../cli/io.js";

function io(env: Record<string, string> = {}): Io {
  return { out: () => {}, err: () => {}, isTty: false, env, cwd: process.cwd() };
}

describe("serve --workers", () => {
  it.each(["0", "65", "1.5", "two", ""])("refuses --workers %j", async (bad) => {
    await expect(serveCommand(["no-such-dir", "--workers", bad], io(), { stop: Promise.resolve() })).rejects.toThrow(/--workers must be a whole number from 1 to 64/);
  });

  it.each(["0", "x", "-1"])("refuses AIGW_WORKERS=%j, naming the variable", async (bad) => {
    const run = serveCommand(["no-such-dir"], io({ AIGW_WORKERS: bad }), { stop: Promise.resolve() });
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(serveCommand(["no-such-dir"], io({ AIGW_WORKERS: bad }), { stop: Promise.resolve() })).rejects.toThrow(/AIGW_WORKERS must be a whole number/);
  });
});
