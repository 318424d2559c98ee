import { writeFileSync } from "node:fs";
import { it } from "vitest";
import { aigw } from "../support/cli.js";
it("dump", async () => {
  writeFileSync("/tmp/scratch/r1.json", JSON.stringify({ headers: { Authorization: "Bearer aigw-example-search-key", "x-tier": "premium" }, body: { model: "chat", messages: [{ role: "user", content: "hi me@x.com, call +1 415 555 2671" }] } }));
  writeFileSync("/tmp/scratch/r2.json", JSON.stringify({ headers: { Authorization: "Bearer foo", "x-tier": "premium" }, body: { model: "chat", messages: [{ role: "user", content: "hi me@x.com" }] } }));
  writeFileSync("/tmp/scratch/r3.json", JSON.stringify({ headers: {}, body: { model: "gpt-5", messages: [] } }));
  for (const [p, r] of [["examples/production", "r1"], ["examples/design/policy.route", "r2"], ["examples/production", "r3"]]) {
    const x = await aigw(["explain", p!, "--request", `/tmp/scratch/${r}.json`]);
    console.log(x.code, x.stdout, x.stderr);
  }
});
