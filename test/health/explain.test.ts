/**
 * `aigw explain` states the live world the way a test's `given`s do:
 * `--ejected`, `--failures MODEL=F/N`, or a `--state` JSON file; the record
 * and the human text name each skip with its health policy's line, and a
 * malformed state is a usage error (2), never a crash.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Explanation } from "../../runtime/policy/explain-request.js";
import { aigw, policyDir } from "../support/cli.js";

const POLICY = `gateway { auth none }
provider p { api mock }
model gpt-4o = p/"gpt-4o"
model sonnet = p/"sonnet"
health upstream { consecutive 5 }
route chat {
  when model == "chat"
  to gpt-4o
  fallback sonnet
  health upstream
}
`;

function dir(extra: Record<string, string> = {}): string {
  return policyDir({ "main.route": POLICY, "request.json": JSON.stringify({ body: { model: "chat", messages: [{ role: "user", content: "hi" }] } }), ...extra });
}

async function explain(d: string, ...flags: string[]) {
  return aigw(["explain", d, "--request", join(d, "request.json"), ...flags]);
}

describe("aigw explain with live state", () => {
  it("skips a target given as ejected, naming the health policy's line", async () => {
    const d = dir();
    const r = await explain(d, "--ejected", "gpt-4o", "--format", "json");
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout) as Explanation;
    expect(e.plan!.targets.map((t) => t.model)).toEqual(["sonnet", "gpt-4o"]);
    expect(e.skipped).toEqual([{ name: "upstream", file: join(d, "main.route"), line: 5, model: "gpt-4o", reason: expect.stringMatching(/^ejected 0 ms ago by the test's `given`; 30 s to go$/), probing: false }]);
    const human = await explain(d, "--ejected", "gpt-4o");
    expect(human.stdout).toContain("gpt-4o skipped: ejected 0 ms ago");
    expect(human.stdout).toContain("attempts: sonnet → gpt-4o");
  });

  it("judges --failures and a --state file by the route's policy", async () => {
    const d = dir({ "ejects.json": JSON.stringify({ failures: { "gpt-4o": { failures: 5, of: 10 } } }), "stays.json": JSON.stringify({ failures: { "gpt-4o": { failures: 4, of: 10 } } }) });
    const five = JSON.parse((await explain(d, "--failures", "gpt-4o=5/10", "--format", "json")).stdout) as Explanation;
    expect(five.plan!.targets.map((t) => t.model)).toEqual(["sonnet", "gpt-4o"]);
    expect(five.skipped![0]!.reason).toMatch(/after 5 consecutive 500s/);
    const file = JSON.parse((await explain(d, "--state", join(d, "ejects.json"), "--format", "json")).stdout) as Explanation;
    expect(file.plan).toEqual(five.plan);
    const four = JSON.parse((await explain(d, "--state", join(d, "stays.json"), "--format", "json")).stdout) as Explanation;
    expect(four.plan!.targets.map((t) => t.model)).toEqual(["gpt-4o", "sonnet"]);
    expect(four.skipped).toBeUndefined();
  });

  it("refuses a malformed live state with a usage error", async () => {
    const d = dir({ "bad.json": JSON.stringify({ ejected: "gpt-4o" }), "odd.json": JSON.stringify({ broken: [] }) });
    for (const flags of [["--failures", "gpt-4o=11/10"], ["--failures", "gpt-4o"], ["--ejected", "nope"], ["--state", join(d, "bad.json")], ["--state", join(d, "odd.json")], ["--state", join(d, "missing.json")]]) {
      const r = await explain(d, ...flags);
      expect(r.code, flags.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/aigw explain: /);
    }
  });
});
