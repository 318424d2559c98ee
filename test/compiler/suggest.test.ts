import { describe, expect, it } from "vitest";
import { didYouMean, editDistance, suggest } from "../../compiler/suggest.js";

describe("did you mean", () => {
  it("measures edits, counting a swap as one", () => {
    expect(editDistance("timeout", "timeout")).toBe(0);
    expect(editDistance("tiemout", "timeout")).toBe(1);
    expect(editDistance("timout", "timeout")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("abc", "xyz", 1)).toBe(2);
  });

  it("suggests close names only", () => {
    expect(suggest("timout", ["api", "timeout", "key"])).toBe("timeout");
    expect(suggest("TIMEOUT", ["timeout"])).toBe("timeout");
    expect(suggest("colour", ["input", "output"])).toBeUndefined();
    expect(suggest("ab", ["ac", "xy"])).toBe("ac");
  });

  it("names the kind of thing it suggests", () => {
    expect(didYouMean("modle", ["model", "team"], "fact")).toBe("did you mean the fact `model`?");
  });
});
