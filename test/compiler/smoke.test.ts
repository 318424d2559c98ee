import { readFileSync } from "node:fs";
import { it } from "vitest";
import { compileSources } from "../../compiler/index.js";
it("smoke", () => {
  const text = readFileSync("examples/design/policy.route", "utf8");
  const r = compileSources([{ path: "policy.route", text }]);
  console.log(JSON.stringify(r.diagnostics, null, 1));
  console.log(JSON.stringify(r.graph, null, 1)?.slice(0, 6000));
  console.log(JSON.stringify(r.tests, null, 1)?.slice(0, 1500));
});
