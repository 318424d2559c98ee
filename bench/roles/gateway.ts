/**
 * bench/roles/gateway: aigw under test, started as `aigw serve` starts it
 * (compiled policy, `startGateway`, the state store of `gateway { state … }`
 * when there is one), with the policy of bench/proxy-features.ts.
 *
 * Arguments: `--upstream URL|mock` (the provider's base URL, or aigw's
 * built-in mock provider), `--features DIR` (budget, rate limit and PII
 * guardrail, SQLite state in DIR), `--apis` (the inbound-APIs policy of
 * bench/proxy-apis.ts instead), `--output-guard` (an output guardrail
 * redacting on the route, streams included), `--flaky URL` (the health
 * scenario's policy: primary on that upstream, backup on `--upstream`;
 * `--health` puts the route under a health policy, `--shared DIR` shares it
 * through a SQLite state in DIR), `--no-metrics` (no Prometheus registry),
 * `--access-log` (access lines on, written to nowhere: their formatting
 * cost without the I/O), `--usage` (the usage ledger, in the store of the
 * policy's state, flushed every 5 s as `aigw serve` does). It takes V8 CPU
 * profiles on request (profiler.ts).
 */
import { compileSources } from "../../compiler/index.js";
import { openManagedStore, type ManagedStore } from "../../runtime/budget/lifecycle.js";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { startGateway } from "../../runtime/server/app.js";
import { jsonLogger } from "../../runtime/observe/log.js";
import { apisPolicy } from "../proxy-apis.js";
import { BENCH_KEY, benchPolicy } from "../proxy-features.js";
import { healthPolicy } from "../proxy-health.js";
import { profilerMessage } from "./profiler.js";
import { openUsageStore, UsageLedger } from "../../runtime/usage/index.js";
import { DEFAULTS } from "../../compiler/settings.js";
import { onParent, reply } from "./protocol.js";

/** Serves the bench policy until the parent stops it. */
export async function gatewayRole(args: readonly string[]): Promise<void> {
  const value = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args[i + 1];
  };
  const upstream = value("--upstream") ?? "mock";
  const sharedDir = value("--shared");
  const stateDir = value("--features") ?? sharedDir;
  const flaky = value("--flaky");
  const text =
    flaky !== undefined
      ? healthPolicy(flaky, upstream, hashKey(BENCH_KEY), args.includes("--health"), sharedDir === undefined ? undefined : `${sharedDir}/state.db`)
      : args.includes("--apis")
        ? apisPolicy(upstream, hashKey(BENCH_KEY))
        : benchPolicy(upstream, hashKey(BENCH_KEY), stateDir, args.includes("--output-guard"), args.includes("--cache"));
  const compiled = compileSources([{ path: "bench.route", text }]);
  if (!compiled.graph) throw new Error(compiled.diagnostics.map((d) => d.message).join("\n"));
  const log = jsonLogger(() => {}, { access: args.includes("--access-log") });
  let state: ManagedStore | undefined;
  if (stateDir !== undefined) state = openManagedStore(compiled.graph.gateway.state, { env: {}, baseDir: stateDir });
  const usage = args.includes("--usage")
    ? new UsageLedger({ store: openUsageStore(compiled.graph.gateway.state, { env: {}, baseDir: stateDir ?? "." }), clock: Date.now, retentionMs: () => DEFAULTS.gateway.usageRetentionMs })
    : undefined;
  const gw = await startGateway({
    graph: compiled.graph,
    host: "127.0.0.1",
    port: 0,
    world: { env: {} },
    log,
    ...(state ? { store: state.store } : {}),
    ...(usage ? { usage } : {}),
    ...(args.includes("--no-metrics") ? { observe: { metrics: false as const } } : {}),
  });
  onParent(profilerMessage);
  // Close the state file cleanly on SIGTERM (the next gateway may open the same directory).
  process.once("SIGTERM", () => {
    void gw
      .close(200)
      .then(() => usage?.close())
      .then(() => state?.close())
      .finally(() => process.exit(0));
  });
  reply({ type: "ready", port: gw.port, engine: gw.engine.detail });
}
