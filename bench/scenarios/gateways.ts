/**
 * bench/scenarios/gateways: starting the contenders of the proxy scenarios
 * on the gateway's core, each as a {@link Contender}: aigw embedded
 * (bench/roles/gateway.ts: `startGateway` with a given policy variant, as
 * `aigw serve` calls it, controllable over IPC), aigw as the `aigw serve`
 * command itself (with its reload worker: what a user runs, for memory),
 * the bare relay floor, and Portkey (bench/peers.ts); and stopping them.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { FatalProbeError, nextMessage, waitUntil, type Spawned } from "../children.js";
import { BENCH_KEY, benchPolicy } from "../proxy-features.js";
import { startNginx } from "../nginx.js";
import { portkeyHeaders, startPortkey } from "../peers.js";
import type { ChildMsg } from "../roles/protocol.js";
import { CHAT_PATH, GATEWAY_CPU, type Bench, type Contender } from "./context.js";

/** A contender with the process behind it. */
export interface Running {
  contender: Contender;
  spawned: Spawned;
  /** Removes what was made for it (a policy directory), after the process is gone. */
  cleanup?: () => void;
}

/** The upstream as a contender: the direct path, no gateway. */
export function direct(bench: Bench): Contender {
  return { name: "direct", url: bench.upstream.base, headers: {} };
}

/**
 * Starts aigw on the gateway core. `upstream` is the provider base URL (or
 * "mock" for the built-in mock provider); `args` are extra gateway role
 * arguments (`--features DIR`, `--no-metrics`).
 */
export async function startAigw(bench: Bench, name: string, upstream: string, args: readonly string[] = []): Promise<Running> {
  const spawned = bench.group.node(name, "gateway", ["--upstream", upstream, ...bench.gatewayArgs, ...args], { cpu: GATEWAY_CPU });
  const ready = await nextMessage<ChildMsg, "ready">(spawned, "ready");
  return { spawned, contender: { name, url: `http://127.0.0.1:${ready.port}`, headers: {}, pid: spawned.pid, profilable: spawned } };
}

/** The `aigw` command of this build (dist/cli/bin.js). */
export const AIGW_BIN = fileURLToPath(new URL("../../cli/bin.js", import.meta.url));

/**
 * How long `aigw serve`'s reload compile worker is kept after a compile in
 * the benches (`--compile-idle`; the default is 30 s): short, so the memory
 * scenario measures the steady state without waiting half a minute.
 */
export const SERVE_COMPILE_IDLE_MS = 1_000;

/**
 * Starts `aigw serve DIR --port 0 --no-access-log` (dist/cli/bin.js) on the
 * gateway core (or `opts.cpu`), DIR holding the bare bench policy to
 * `upstream`, with `opts.args` added, and waits for its "listening on" line.
 */
export async function startAigwServe(bench: Bench, name: string, upstream: string, opts: { args?: readonly string[]; cpu?: number | string } = {}): Promise<Running> {
  const dir = bench.group.tempDir("aigw-bench-serve-");
  writeFileSync(join(dir, "bench.route"), benchPolicy(upstream, hashKey(BENCH_KEY)));
  const args = [AIGW_BIN, "serve", dir, "--host", "127.0.0.1", "--port", "0", "--no-access-log", "--compile-idle", `${SERVE_COMPILE_IDLE_MS}ms`, ...(opts.args ?? [])];
  const spawned = bench.group.spawn(name, process.execPath, args, { cpu: opts.cpu ?? GATEWAY_CPU });
  let port = 0;
  await waitUntil(
    async () => {
      if (spawned.proc.exitCode !== null) throw new FatalProbeError(`aigw serve exited: ${spawned.stderrTail()}`);
      const m = /listening on http:\/\/[^:\s]+:(\d+)/.exec(spawned.stderrTail());
      if (m) port = Number(m[1]);
      return port > 0;
    },
    20_000,
    "aigw serve to listen",
  );
  return { spawned, contender: { name, url: `http://127.0.0.1:${port}`, headers: {}, pid: spawned.pid }, cleanup: () => bench.group.removeDir(dir) };
}

/** Starts the bare relay (uWS edge + one undici dispatch per request) on the gateway core. */
export async function startRelay(bench: Bench): Promise<Running> {
  const spawned = bench.group.node("relay", "relay", ["--upstream", bench.upstream.base], { cpu: GATEWAY_CPU });
  const ready = await nextMessage<ChildMsg, "ready">(spawned, "ready");
  return { spawned, contender: { name: "floor: bare relay", url: `http://127.0.0.1:${ready.port}`, headers: {}, pid: spawned.pid, profilable: spawned } };
}

/** Starts Portkey on the gateway core, forwarding to `upstreamBase` (the main or the hold port). */
export async function startPortkeyContender(bench: Bench, upstreamBase: string): Promise<Running> {
  const pk = await startPortkey(bench.group, GATEWAY_CPU, upstreamBase, bench.commonHeaders, bench.body);
  return { spawned: pk.spawned, contender: { name: "Portkey", url: pk.url, headers: portkeyHeaders(upstreamBase), pid: pk.spawned.pid } };
}

/** The name of the nginx row, which the summary's ratios look up. */
export const NGINX = "anchor: nginx reverse proxy";

/** Starts nginx as a plain reverse proxy to the mock on the gateway core (bench/nginx.ts). */
export async function startNginxContender(bench: Bench): Promise<Running> {
  const n = await startNginx(bench.group, GATEWAY_CPU, bench.upstream.base, CHAT_PATH, bench.commonHeaders, bench.body);
  return { spawned: n.spawned, contender: { name: NGINX, url: n.url, headers: {}, pid: n.spawned.pid }, cleanup: n.cleanup };
}

/**
 * The reference rows measured after the contenders: aigw answering from its
 * built-in mock (the server and pipeline without the upstream hop), and the
 * bare relay (the floor of this process model). nginx, the proxy limit, is
 * a contender of its own (bench/run.ts starts it next to aigw).
 */
export function referenceStarters(bench: Bench): (() => Promise<Running>)[] {
  return [() => startAigw(bench, "aigw, built-in mock provider", "mock"), () => startRelay(bench)];
}

/** Stops a contender's process and waits until it is gone (so the next one has the core to itself). */
export async function stop(bench: Bench, r: Running | undefined): Promise<void> {
  if (!r) return;
  await bench.group.stop(r.spawned);
  r.cleanup?.();
}
