/**
 * `aigw usage [PATHS] [--since 7d] [--until D] [--by DIM] [--step S] [--format table|json|csv]`
 * and `aigw usage --url http://gw --admin-token T …`: what the gateway
 * served, from its usage ledger (runtime/usage). Offline it reads the store
 * of the policy's `gateway { state … }` (the SQLite file, or the Redis its
 * URL names) directly; with `--url` it asks a running gateway's
 * `GET /admin/usage`, which answers the same JSON. The admin token may come
 * from `AIGW_ADMIN_TOKEN` instead of the flag (a flag is visible in `ps`).
 */
import type { GatewayNode } from "../../compiler/graph.js";
import { hasErrors } from "../../lang/diagnostics.js";
import { openUsageStore, parseUsageQuery, usageReport, UsageQueryError, type UsageQuery, type UsageReport } from "../../runtime/usage/index.js";
import { oneOf, parseArgs, UsageError } from "../args.js";
import type { Io } from "../io.js";
import { loadAndCompile } from "../policy.js";
import { policyDir } from "../policy-dir.js";
import { renderHuman, summary } from "../render.js";
import { renderUsageCsv, renderUsageTable } from "../report/usage-table.js";

const FORMATS = ["table", "json", "csv"] as const;

export async function usageCommand(argv: readonly string[], io: Io, now: () => number = Date.now): Promise<number> {
  const args = parseArgs(argv, { values: ["--since", "--until", "--by", "--step", "--format", "--url", "--admin-token"] });
  const format = oneOf("--format", args.values.get("--format") ?? "table", FORMATS);
  const params = { since: args.values.get("--since"), until: args.values.get("--until"), by: args.values.get("--by"), step: args.values.get("--step") };
  let query: UsageQuery;
  try {
    query = parseUsageQuery(params, now());
  } catch (err) {
    if (err instanceof UsageQueryError) throw new UsageError(`--${err.param}: ${err.message}`);
    throw err;
  }
  const url = args.values.get("--url");
  let report: UsageReport;
  if (url !== undefined) {
    if (args.positional.length > 0) throw new UsageError("PATHS and --url cannot be combined (--url reads the gateway's own ledger)");
    const token = args.values.get("--admin-token") ?? io.env["AIGW_ADMIN_TOKEN"];
    if (token === undefined || token === "") throw new UsageError("--url needs the admin token: --admin-token TOKEN or AIGW_ADMIN_TOKEN");
    const fetched = await fetchReport(url, token, params);
    if ("error" in fetched) {
      io.err(`aigw usage: ${fetched.error}\n`);
      return 1;
    }
    report = fetched.report;
  } else {
    const paths = args.positional.length ? args.positional : ["."];
    const policy = loadAndCompile(paths, io.env);
    if (!policy.graph || hasErrors(policy.diagnostics)) {
      for (const d of policy.diagnostics) io.err(renderHuman(d, policy.texts, io.isTty));
      io.err(`aigw usage: ${summary(policy.diagnostics)}: cannot read the policy's state setting\n`);
      return 1;
    }
    const read = await readLedger(policy.graph.gateway.state, io, policyDir(paths[0]!), query);
    if ("error" in read) {
      io.err(`aigw usage: ${read.error}\n`);
      return 1;
    }
    report = read.report;
  }
  io.out(format === "json" ? JSON.stringify(report, null, 2) + "\n" : format === "csv" ? renderUsageCsv(report) : renderUsageTable(report));
  return 0;
}

/** The ledger in the policy's own store. `state memory` has nothing to read: it lives and dies with a gateway. */
async function readLedger(state: GatewayNode["state"], io: Io, baseDir: string, q: UsageQuery): Promise<{ report: UsageReport } | { error: string }> {
  if (state.kind === "memory") return { error: "the policy's state is `memory`: its ledger lives only inside the running gateway (ask it with --url)" };
  let store;
  try {
    store = openUsageStore(state, { env: io.env, baseDir });
  } catch (err) {
    return { error: (err as Error).message };
  }
  try {
    return { report: usageReport(await store.rows(q.since, q.until), q) };
  } catch (err) {
    return { error: `cannot read the usage ledger: ${(err as Error).message}` };
  } finally {
    await store.close();
  }
}

/** `GET {url}/admin/usage` with the token; a refusal is reported with the gateway's message, never the token. */
async function fetchReport(url: string, token: string, params: Record<string, string | undefined>): Promise<{ report: UsageReport } | { error: string }> {
  let target: URL;
  try {
    target = new URL("/admin/usage", url);
  } catch {
    throw new UsageError(`--url must be the gateway's address like http://127.0.0.1:8787, not \`${url}\``);
  }
  for (const [k, v] of Object.entries(params)) if (v !== undefined) target.searchParams.set(k, v);
  let res: Response;
  try {
    res = await fetch(target, { headers: { authorization: `Bearer ${token}`, accept: "application/json" } });
  } catch (err) {
    return { error: `cannot reach ${target.origin}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}` };
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not JSON: the start of the body says it
    }
    return { error: `${target.origin}/admin/usage answered ${res.status}: ${message}` };
  }
  return { report: JSON.parse(text) as UsageReport };
}
