/**
 * `aigw diff` end to end: two commits of a policy in a temporary git
 * repository (read from the object database, not the work tree), a ref
 * against a directory, the three formats, exit codes, and a side that does
 * not compile or does not exist.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../cli/aigw.js";
import type { Io } from "../../cli/io.js";
import { commit, git } from "../support/git.js";
import { policyDir } from "../support/cli.js";

const V1 = `gateway { auth none }
provider p { api mock }
model mini = p/"mini" { input $0.15/Mtok output $0.60/Mtok context 128k }
model sonnet = p/"sonnet" { input $3/Mtok output $15/Mtok context 200k }

route premium {
  when model == "chat" and header("x-tier") == "premium"
  to sonnet
  fallback mini on 5xx
}

route chat {
  when model == "chat"
  to mini
}
`;
// The second commit renames `chat` and sends long prompts to sonnet.
const V2 = V1.replace("route chat {", `route long {
  when model == "chat" and input_tokens > 100k
  to sonnet
}

route everyday {`);

const repo = policyDir({});
git(repo, "init", "-q", "-b", "main");
const first = commit(repo, { "policy/main.route": V1 }, "v1");
commit(repo, { "policy/main.route": V2 }, "v2");
// An uncommitted edit that a ref must never see.
writeFileSync(join(repo, "policy/main.route"), "this does not parse {");
afterAll(() => rmSync(repo, { recursive: true, force: true }));

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: Io = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), isTty: false, env, cwd: repo };
  return { code: await main(argv, io), stdout, stderr };
}

describe("aigw diff", () => {
  it("compares two commits, as Markdown for a pull request", async () => {
    const r = await run(["diff", "HEAD~1", "HEAD", "--path", "policy", "--format", "markdown"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("### aigw diff `HEAD~1` → `HEAD`: 1 change in behaviour");
    expect(r.stdout).toContain("**1. requests that went to route `chat` (policy/main.route:12) now go to route `long` (policy/main.route:12)**");
    expect(r.stdout).toContain("| targets | to mini | to sonnet |");
    expect(r.stdout).toContain("| price | $0.15/$0.60 per Mtok | $3/$15 per Mtok |");
    expect(r.stdout).toContain('For example: `request { input_tokens 100001  model "chat" }`');
    expect(r.stdout).toContain("Renamed, no change in behaviour: route `chat` → `everyday`.");
  });

  it("says so when nothing changes, in JSON, and --exit-code tells CI", async () => {
    const same = await run(["diff", first, "main~1", "--path", "policy", "--format", "json", "--exit-code"]);
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ old: first, new: "main~1", equivalent: true, changes: [], global: [] });
    const changed = await run(["diff", "main~1", "main", "--path", "policy", "--format", "json", "--exit-code"]);
    expect(changed.code).toBe(1);
    const doc = JSON.parse(changed.stdout);
    expect(doc.changes).toHaveLength(1);
    expect(doc.changes[0]).toMatchObject({ old: { name: "chat" }, new: { name: "long" }, request: { model: "chat", inputTokens: 100001 }, exact: true });
  });

  it("compares a ref with a directory on disk, in the human format", async () => {
    const dir = policyDir({ "main.route": V1.replace("fallback mini on 5xx", "fallback mini on 5xx, timeout") });
    try {
      const r = await run(["diff", "HEAD~1", dir, "--path", "policy"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        [
          `aigw diff HEAD~1 → ${dir}: 1 change in behaviour`,
          "",
          `1. requests to route \`premium\` (${join(dir, "main.route")}:6)`,
          "   fallback on: 5xx → 5xx, timeout",
          '   e.g. `request { header "x-tier" "premium"  model "chat" }`',
          "",
        ].join("\n"),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names a provider key's variable when it changes, never the key", async () => {
    const keyed = (name: string): string => V1.replace("provider p { api mock }", `provider p { api openai key env("${name}") base_url "http://127.0.0.1:9/v1" }`);
    const a = policyDir({ "main.route": keyed("OLD_KEY") });
    const b = policyDir({ "main.route": keyed("NEW_KEY") });
    try {
      const secrets = { OLD_KEY: "sk-old-secret-0123456789", NEW_KEY: "sk-new-secret-9876543210" };
      for (const format of ["human", "markdown", "json"]) {
        const r = await run(["diff", a, b, "--format", format], secrets);
        expect(r.code).toBe(0);
        // a new key is a new account: every route through the provider changes
        if (format === "json") expect(JSON.parse(r.stdout).changes.map((c: { new: { name: string } }) => c.new.name)).toEqual(["premium", "chat"]);
        for (const s of Object.values(secrets)) expect(r.stdout + r.stderr).not.toContain(s);
      }
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it("refuses a side that does not compile (exit 1) and one that is neither a path nor a ref (exit 2)", async () => {
    const broken = await run(["diff", "HEAD", join(repo, "policy")]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("does not compile");
    expect(broken.stdout).toBe("");
    const nowhere = await run(["diff", "no-such-ref", "HEAD", "--path", "policy"]);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain("`no-such-ref` is neither a file or directory nor a git ref");
    const one = await run(["diff", "HEAD"]);
    expect(one.code).toBe(2);
  });
});
