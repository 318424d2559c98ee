/**
 * A 1,000-route policy stays responsive: the time from an edit to its
 * diagnostics, with the server's default debounce, measured over ten edits
 * that alternately break and fix a route (the whole policy is re-checked,
 * `test` blocks included, each time). Printed for the record; the bound
 * asserted is a liveness bound for a loaded 2-core machine, not a target.
 */
import { afterAll, describe, expect, it } from "vitest";
import { benchPolicy } from "../../bench/compile-policy.js";
import { policyDir } from "../support/cli.js";
import { LspClient, uri } from "./client.js";

let client: LspClient | undefined;
afterAll(async () => {
  await client?.stop();
});

describe("a 1,000-route policy", () => {
  it("re-checks each edit and publishes its diagnostics within seconds", async () => {
    const text = benchPolicy(1_000);
    const dir = policyDir({ "main.route": text });
    const main = `${dir}/main.route`;
    client = await LspClient.start(dir, {});
    let t = performance.now();
    await client.open(main, text);
    await client.diagnostics(main, () => true, 0, 60_000);
    const first = performance.now() - t;
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const broken = i % 2 === 0;
      const edited = broken ? text.replace("  to model-2\n", "  to model-2x\n") : text;
      const since = client.published.length;
      t = performance.now();
      await client.change(main, edited);
      const diags = await client.diagnostics(main, (d) => d.some((x) => x.code === "E101") === broken, since, 60_000);
      times.push(performance.now() - t);
      expect(diags.filter((d) => d.severity === 1).map((d) => d.code)).toEqual(broken ? ["E101"] : []);
    }
    // Requests answer from the current analysis too.
    const hover = await client.request<{ contents: { value: string } } | null>("textDocument/hover", { textDocument: { uri: uri(main) }, position: { line: text.split("\n").findIndex((l) => l.startsWith("route r500 ")), character: 7 } });
    expect(hover?.contents.value).toContain("tried 501 of 1000");
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`1,000 routes: first check ${first.toFixed(0)} ms; edit → diagnostics median ${sorted[5]!.toFixed(0)} ms, max ${sorted[9]!.toFixed(0)} ms (debounce 150 ms included)`);
    expect(sorted[9]).toBeLessThan(15_000);
  }, 180_000);
});
