import { describe, expect, it } from "vitest";
import { memo } from "../../runtime/request/memo.js";

describe("memo: a value remembered with one object", () => {
  it("remembers per object, and a spread copy does not carry it", () => {
    const m = memo<object, string>();
    const a = { model: "a" };
    const b = { model: "b" };
    m.set(a, "bytes of a");
    expect(m.get(a)).toBe("bytes of a");
    expect(m.has(a)).toBe(true);
    expect(m.get(b)).toBeUndefined();
    expect(m.has(b)).toBe(false);
    const copy = { ...a };
    expect(m.get(copy)).toBeUndefined();
    expect(Object.keys(a)).toEqual(["model"]);
    expect(JSON.stringify(a)).toBe('{"model":"a"}');
    expect(structuredClone(a)).toEqual({ model: "a" });
  });

  it("overwrites, and two memos do not see each other's values", () => {
    const one = memo<object, number>();
    const two = memo<object, number>();
    const o = {};
    one.set(o, 1);
    one.set(o, 2);
    expect(one.get(o)).toBe(2);
    expect(two.get(o)).toBeUndefined();
    two.set(o, 3);
    expect(one.get(o)).toBe(2);
    expect(two.get(o)).toBe(3);
  });

  it("keeps values for objects that cannot take a field (frozen, sealed, non-extensible)", () => {
    const m = memo<object, string>();
    for (const o of [Object.freeze({ a: 1 }), Object.seal({ b: 2 }), Object.preventExtensions({ c: 3 })]) {
      expect(m.has(o)).toBe(false);
      m.set(o, "kept");
      expect(m.get(o)).toBe("kept");
      expect(m.has(o)).toBe(true);
    }
  });

  it("works on class instances with private fields of their own", () => {
    class Decoded {
      readonly #body = "own";
      body(): string {
        return this.#body;
      }
    }
    const m = memo<Decoded, string>();
    const d = new Decoded();
    m.set(d, "remembered");
    expect(m.get(d)).toBe("remembered");
    expect(d.body()).toBe("own");
  });
});
