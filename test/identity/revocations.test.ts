import { describe, expect, it } from "vitest";
import { parseRevocations } from "../../runtime/identity/index.js";

const HASH = "sha256:" + "ab".repeat(32);

describe("the revocation list", () => {
  it("reads key hashes, token ids and subjects, with comments and blank lines", () => {
    const parsed = parseRevocations(`# revoked 2026-12-07\n\n${HASH}\r\njti:0f9e  # leaked in a log\n  sub:mallory  \n`);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect([...parsed.list.ids]).toEqual([HASH, "jti:0f9e", "sub:mallory"]);
    expect(parsed.list.has("sub:mallory")).toBe(true);
    expect(parsed.list.has("sub:ana")).toBe(false);
  });

  it("refuses the whole list over one line it cannot read, naming each such line", () => {
    const parsed = parseRevocations(`${HASH}\nsha256:ABC\nmallory\njti:\nsub:two words\n`);
    expect(parsed).toEqual({
      ok: false,
      problems: [
        "line 2: expected `sha256:<64 hex digits>`, `jti:<token id>` or `sub:<subject>`, found `sha256:ABC`",
        "line 3: expected `sha256:<64 hex digits>`, `jti:<token id>` or `sub:<subject>`, found `mallory`",
        "line 4: expected `sha256:<64 hex digits>`, `jti:<token id>` or `sub:<subject>`, found `jti:`",
        "line 5: expected `sha256:<64 hex digits>`, `jti:<token id>` or `sub:<subject>`, found `sub:two words`",
      ],
    });
  });

  it("an empty file revokes nothing", () => {
    const parsed = parseRevocations("");
    expect(parsed.ok && parsed.list.size).toBe(0);
  });
});
