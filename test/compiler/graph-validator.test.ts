/**
 * The graph validator the compiler and the runtime load is generated from
 * graph.schema.json ahead of time (scripts/gen-graph-validator.mjs): it must
 * be exactly what the generator makes of the schema today, so an edit of
 * the schema without `npm run gen:validator` fails here, not in production.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("compiler/graph-validator.generated.ts", () => {
  it("is what scripts/gen-graph-validator.mjs generates from the current schema (run `npm run gen:validator` after editing the schema)", async () => {
    const { generate } = await import("../../scripts/gen-graph-validator.mjs");
    const committed = readFileSync(new URL("../../compiler/graph-validator.generated.ts", import.meta.url), "utf8");
    expect(committed === generate()).toBe(true);
  });
});
