import { describe, expect, it } from "vitest";
import { Sha256, policyVersion, sha256Hex, utf8 } from "../../compiler/hash.js";

describe("sha256Hex", () => {
  it("matches the FIPS 180-4 test vectors", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    expect(sha256Hex("a".repeat(1_000_000))).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });

  it("hashes block-boundary lengths (55, 56, 64 bytes)", () => {
    expect(sha256Hex("a".repeat(55))).toBe("9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    expect(sha256Hex("a".repeat(56))).toBe("b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    expect(sha256Hex("a".repeat(64))).toBe("ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  });

  it("encodes text as UTF-8", () => {
    expect([...utf8("é😀")]).toEqual([0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80]);
    expect([...utf8("\ud800")]).toEqual([0xef, 0xbf, 0xbd]);
  });
});

describe("policyVersion", () => {
  it("is p- and 12 hex digits, and depends on paths, text and order", () => {
    const a = { path: "a.route", text: "route x {}" };
    const b = { path: "b.route", text: "route y {}" };
    const v = policyVersion([a, b]);
    expect(v).toMatch(/^p-[0-9a-f]{12}$/);
    expect(policyVersion([a, b])).toBe(v);
    expect(policyVersion([b, a])).not.toBe(v);
    expect(policyVersion([{ ...a, path: "c.route" }, b])).not.toBe(v);
  });
});

describe("Sha256 (incremental)", () => {
  it("gives the same digest however the input is split", () => {
    const text = "route x { when model == \"é\" }\n".repeat(50);
    const whole = sha256Hex(text);
    for (const size of [1, 7, 63, 64, 65, 1000]) {
      const h = new Sha256();
      for (let i = 0; i < text.length; i += size) h.update(text.slice(i, i + size));
      expect(h.hex()).toBe(whole);
    }
    const bytes = utf8(`${text}😀`);
    const h = new Sha256();
    for (let i = 0; i < bytes.length; i += 13) h.update(bytes.subarray(i, i + 13));
    expect(h.hex()).toBe(sha256Hex(`${text}😀`));
  });
});
