/**
 * Replacing a top-level key's value in JSON text without touching any other
 * byte (the Messages pass-through's `model`): for any object and any
 * layout, the result parses to the object with that key replaced, and
 * every other byte stays.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { replaceTopLevel } from "../../runtime/request/wire-bytes.js";

describe("replaceTopLevel", () => {
  it("replaces only the top-level key's value, whatever the layout and nesting", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue(), fc.constantFrom(undefined, 1, 2, "\t"), (o, model, indent) => {
        const before = { ...o, nested: { model: "keep" }, model };
        const text = JSON.stringify(before, null, indent);
        const out = replaceTopLevel(text, "model", '"upstream"');
        // Compared as JSON reads the original text (`-0` is written `0`).
        expect(JSON.parse(out!)).toEqual({ ...(JSON.parse(text) as object), model: "upstream" });
        // every other byte as it was: one span of `text` became `"upstream"`
        let head = 0;
        while (head < out!.length && out![head] === text[head]) head++;
        let tail = 0;
        while (tail < out!.length - head && out![out!.length - 1 - tail] === text[text.length - 1 - tail]) tail++;
        expect(out!.length - head - tail).toBeLessThanOrEqual('"upstream"'.length);
      }),
    );
  });

  it("leaves a body without the key as it is", () => {
    expect(replaceTopLevel('{ "a" : [1, {"model": 2}] }', "model", '"x"')).toBe('{ "a" : [1, {"model": 2}] }');
  });
});
