/**
 * The Grafana dashboard shipped in examples/monitoring queries only series
 * the gateway exports: every PromQL expression in it (panel targets,
 * template-variable queries, annotations) is reduced to the metric names it
 * selects, and each must be a sample name — histograms' `_bucket`, `_sum`
 * and `_count` included — in the `/metrics` of a running `aigw serve` after
 * traffic that touches every family: a fallback after a 503, a retry, a
 * redaction, budget spend, a budget and a rate-limit refusal, a reload.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { policyDir } from "../support/cli.js";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { parseExposition } from "./exposition.js";
import { serve, stopServed } from "./serve.js";

afterAll(async () => {
  await stopServed();
  await closeAllUpstreams();
});

const KEY = "sk-team-search-0001";
const DASHBOARD = new URL("../../examples/monitoring/grafana-dashboard.json", import.meta.url);

/** Every string under a key named `expr`, `query` or `definition`, anywhere in the JSON. */
function queries(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) queries(x, out);
  else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === "string" && (k === "expr" || ((k === "query" || k === "definition") && /\(/.test(x)))) out.push(x);
      else queries(x, out);
    }
  }
  return out;
}

const KEYWORDS = new Set(
  "sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio by without on ignoring group_left group_right and or unless bool offset atan2 inf nan".split(" "),
);

/**
 * The metric names a PromQL expression selects: strings, label matchers,
 * ranges, numbers and label lists removed; what remains that is neither a
 * keyword nor a function call is a metric name. `label_values(m, l)` names `m`.
 */
function metricNames(expr: string): string[] {
  const lv = /^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,/.exec(expr.trim());
  if (lv) return [lv[1]!];
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^{}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\{?\w+\}?/g, " ")
    .replace(/(?<![\w:])(\d+(ms|[smhdwy]))+(?![\w:])/g, " ")
    .replace(/(?<![\w:])\d+(\.\d+)?(e[+-]?\d+)?/gi, " ");
  const names: string[] = [];
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = s.slice(m.index + m[0].length);
    if (KEYWORDS.has(m[0]) || /^\s*\(/.test(rest)) continue;
    names.push(m[0]);
  }
  return names;
}

describe("the Grafana dashboard", () => {
  it("finds the metric names of PromQL expressions", () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le, route) (rate(aigw_request_duration_seconds_bucket{instance=~"$instance"}[$__rate_interval])))')).toEqual(["aigw_request_duration_seconds_bucket"]);
    expect(metricNames('max by (budget) (a_spent{x="y"}) / on (budget) group_left () max by (budget) (b_limit) * 3600 + time() - c_total offset 5m')).toEqual(["a_spent", "b_limit", "c_total"]);
    expect(metricNames("label_values(aigw_policy_info, instance)")).toEqual(["aigw_policy_info"]);
    expect(metricNames('sum(rate(x_total{status=~"5..",team=~"$team"}[1m])) > 1e3')).toEqual(["x_total"]);
  });

  it("queries only series a running gateway exports after traffic that touches every family", async () => {
    const up = await startUpstream("openai");
    const dir = policyDir({
      "main.route": `gateway { auth keys  state memory  admin_token env("AIGW_ADMIN_TOKEN") }
keys { "sha256:${createHash("sha256").update(KEY).digest("hex")}" team "search" }
provider up { api openai  base_url "${up.baseUrl}" }
model a = up/"gpt-4o" { input $2.50/Mtok  output $10/Mtok  max_output 1k }
model b = up/"gpt-4o-mini" { input $0.15/Mtok  output $0.60/Mtok  max_output 1k }
budget daily { per team  limit $100 per day  exceeded reject }
budget tiny { per global  limit $0.000001 per day  exceeded reject }
limit slow { per route  requests 1 per minute }
guardrail pii { on input  redact email }
route chat { when model == "chat"  guard pii  budget daily  to a  fallback b on 5xx  retry 1 backoff 1ms }
route broke { when model == "broke"  budget tiny  to b }
route limited { when model == "limited"  limit slow  to b }
`,
    });
    const token = "admin-token-for-dashboard-test";
    const gw = await serve(join(dir, "main.route"), { AIGW_ADMIN_TOKEN: token }, ["--no-access-log"]);
    const chat = async (model: string, content = "hello"): Promise<number> => {
      const r = await fetch(`${gw.base}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ model, messages: [{ role: "user", content }], max_tokens: 16 }),
      });
      await r.text();
      return r.status;
    };
    up.next(behave.fail(503), behave.fail(503)); // a, a's retry, then the fallback b answers
    expect(await chat("chat", "write to ana@example.com")).toBe(200);
    expect(await chat("chat")).toBe(200);
    expect(await chat("broke")).toBe(429);
    expect(await chat("limited")).toBe(200);
    expect(await chat("limited")).toBe(429);
    const reload = await fetch(`${gw.base}/admin/reload`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(reload.status).toBe(200);

    const families = parseExposition(await (await fetch(`${gw.base}/metrics`)).text());
    const exported = new Set([...families.values()].flatMap((f) => f.samples.map((s) => s.name)));
    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as unknown;
    const exprs = queries(dashboard);
    expect(exprs.length).toBeGreaterThan(30);
    const named = new Set(exprs.flatMap(metricNames));
    const missing = [...named].filter((n) => !exported.has(n));
    expect(missing).toEqual([]);
    // The dashboard covers what the issue lists (a query per concern, not a hard-coded panel list).
    for (const needed of ["aigw_requests_total", "aigw_request_duration_seconds_bucket", "aigw_gateway_overhead_seconds_bucket", "aigw_tokens_total", "aigw_cost_dollars_total", "aigw_budget_spent_dollars", "aigw_budget_limit_dollars", "aigw_fallbacks_total", "aigw_retries_total", "aigw_guardrail_actions_total", "aigw_policy_reloads_total", "aigw_policy_info", "process_cpu_user_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_p99_seconds"])
      expect(named).toContain(needed);
    await gw.stop();
  }, 60_000);
});
