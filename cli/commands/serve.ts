/**
 * `aigw serve [PATHS] [--port N] [--host H] [--workers N] [--no-access-log] [--log-decisions] [--otlp URL] [--body-timeout D] [--compile-idle D] [--guard-workers N] [--guard-timeout D] [--watch | --git REF] [--shadow CANDIDATE]`:
 * verifies the policy as `aigw check` does and serves it. A policy that does
 * not compile or whose tests fail is refused with its diagnostics (exit 1).
 * Hot reload (runtime/server/reload): `--watch` follows the files, `--git REF`
 * serves the tree committed at REF and follows the ref; SIGHUP and
 * `POST /admin/reload` reload on demand. Start-up lines (HTTP engine, address, policy
 * version) go to stderr; the access log is JSON lines on stdout. SIGTERM or
 * SIGINT shuts down gracefully (stop accepting, finish in-flight requests
 * within a bound) and exits 0. `--body-timeout` (`500ms`, `30s`) bounds how
 * long a request body may take to arrive (then 408 and a close; default 30s).
 * `--compile-idle` is how long the compile worker of reloads is kept after
 * its last compile (default 30s; it holds ~60 MB while it lives).
 * `--guard-workers` and `--guard-timeout` size the guard pass workers that
 * take large texts off the event loop (runtime/offload/: default one per
 * CPU beyond the first, 1 to 4; 30s per pass, then the request is a 503). OTLP
 * traces go to `--otlp URL` or where the standard OTEL_* environment says
 * (runtime/observe/otel-env.ts). `--shadow CANDIDATE` (a path, or a git ref
 * read at PATHS) decides every request on a candidate policy too, sending
 * and charging nothing, and reports where it differs (runtime/shadow).
 * `--workers N` (default: `AIGW_WORKERS`, else the CPUs the process may use) serves on N event
 * loops on worker threads sharing the port (serve-workers.ts); `1` is the
 * one-thread gateway, with no worker thread at all.
 */
import { availableParallelism } from "node:os";
import type { Graph } from "../../compiler/graph.js";
import { hasErrors } from "../../lang/diagnostics.js";
import { batchedWrite, jsonLogger } from "../../runtime/observe/log.js";
import { otlpExporter } from "../../runtime/observe/otlp.js";
import { otelFromEnv } from "../../runtime/observe/otel-env.js";
import type { OffloadOptions } from "../../runtime/offload/index.js";
import { startGateway, type Gateway } from "../../runtime/server/app.js";
import { parseArgs, UsageError } from "../args.js";
import { processIo, type Io } from "../io.js";
import { Candidate, candidateSource, defaultVerifier, policySource, reloadRoutes, Reloader, SourceError, type PolicySource } from "../../runtime/server/reload/index.js";
import { shadowRoutes } from "../../runtime/server/admin/index.js";
import { Shadow } from "../../runtime/shadow/index.js";
import { renderHuman, summary } from "../render.js";
import { policyDir } from "../policy-dir.js";
import { openManagedStore, type ManagedStore } from "../../runtime/budget/lifecycle.js";
import { openManagedCache, openVectorIndexes, type ManagedCache, type VectorIndexes } from "../../runtime/cache/index.js";
import { openManagedLedger, type ManagedLedger } from "../../runtime/usage/index.js";
import { DEFAULTS } from "../../compiler/settings.js";
import { httpEngine } from "../../runtime/server/uws.js";
import { serveWorkers } from "./serve-workers.js";

const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 8787;
/** How long in-flight requests may take to finish at shutdown. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface ServeOptions {
  /** Resolves when the server should shut down; default: the first SIGTERM or SIGINT. */
  stop?: Promise<unknown>;
  /**
   * Called once the one-thread gateway listens, with the gateway itself (tests
   * read the port from it, embedders swap graphs): given, the default is one
   * thread (`--workers` can still ask for more; this is then not called).
   */
  onListening?: (gateway: Gateway) => void;
  /** Called once the gateway listens, with one thread or with workers. */
  onListen?: (listening: Listening) => void;
}

/** What a listening gateway shows its starter, with one thread or with workers. */
export type Listening = Pick<Gateway, "port" | "host" | "engine" | "graph">;

/** Runs the gateway until told to stop; returns the exit code. */
export async function serveCommand(argv: readonly string[], io: Io, options: ServeOptions = {}): Promise<number> {
  const args = parseArgs(argv, { values: ["--port", "--host", "--workers", "--git", "--otlp", "--body-timeout", "--compile-idle", "--guard-workers", "--guard-timeout", "--shadow"], switches: ["--no-access-log", "--watch", "--log-decisions"] });
  const paths = args.positional.length ? args.positional : ["."];
  const git = args.values.get("--git");
  const bodyTimeoutText = args.values.get("--body-timeout");
  const bodyTimeoutMs = bodyTimeoutText === undefined ? undefined : parseDurationMs("--body-timeout", bodyTimeoutText);
  const idleText = args.values.get("--compile-idle");
  const idleMs = idleText === undefined ? undefined : parseDurationMs("--compile-idle", idleText);
  const guardPass = guardPassOptions(args.values.get("--guard-workers"), args.values.get("--guard-timeout"));
  const follow = git !== undefined || args.switches.has("--watch");
  const workersText = args.values.get("--workers");
  const workersEnv = io.env["AIGW_WORKERS"];
  let workers =
    workersText !== undefined
      ? parseWorkers("--workers", workersText)
      : options.onListening !== undefined
        ? 1
        : workersEnv !== undefined && workersEnv !== ""
          ? parseWorkers("AIGW_WORKERS", workersEnv)
          : availableParallelism();
  if (git !== undefined && args.switches.has("--watch")) throw new UsageError("--watch and --git cannot be combined (--git already follows the ref)");
  // One compile worker, for the live policy's reloads and the shadow candidate's loads alike.
  const verifier = defaultVerifier(idleMs === undefined ? {} : { idleMs });
  const reloader = new Reloader({ source: await openSource(paths, git), env: io.env, verifier });
  const shadowSpec = args.values.get("--shadow");
  const shadowSource = shadowSpec === undefined ? undefined : await openCandidate(shadowSpec, paths);
  // Start-up passes the same gate as every reload: compile, schema, tests.
  const first = await reloader.check();
  const policy = first.report;
  const texts = new Map((policy?.sources ?? []).map((s) => [s.path, s.text]));
  for (const d of policy?.diagnostics ?? []) io.err(renderHuman(d, texts, io.isTty));
  const failed = (policy?.results ?? []).filter((t) => !t.passed);
  for (const t of failed) io.err(`FAIL test "${t.name}" (${t.file}:${t.line})\n  ${(t.message ?? "").split("\n").join("\n  ")}\n`);
  if (!policy?.ok || !policy.graph) {
    await reloader.close();
    const why = first.error ?? (hasErrors(policy?.diagnostics ?? []) ? summary(policy?.diagnostics ?? []) : `${failed.length} test(s) failed`);
    io.err(`aigw serve: ${why}: refusing to start\n`);
    return 1;
  }
  const graph = policy.graph;
  const fromPolicy = parseListen(graph.gateway.listen);
  const host = args.values.get("--host") ?? fromPolicy.host ?? DEFAULT_HOST;
  const portText = args.values.get("--port");
  const port = portText === undefined ? (fromPolicy.port ?? DEFAULT_PORT) : parsePort(portText);

  // Observability (runtime/observe): access lines batched into one stdout write per event-loop turn;
  // decision records (costly: a traced decision per request) and OTLP traces only when asked for.
  const out = batchedWrite(io.out);
  const log = jsonLogger(out, { access: !args.switches.has("--no-access-log") });
  // The standard OTEL_* environment (runtime/observe/otel-env.ts); its headers hold credentials and are never printed.
  const otel = otelFromEnv(io.env, args.values.get("--otlp"));
  for (const w of otel.warnings) io.err(`aigw serve: warning: ${w}\n`);
  let warned = false;
  const onError = (err: unknown): void => {
    if (!warned) log.warn("otlp trace export failed (later failures are not logged)", { error: String(err) });
    warned = true;
  };
  const spans = otel.export ? otlpExporter({ url: otel.export.url, headers: otel.export.headers, resource: otel.export.resource, onError }) : undefined;
  const observe = { logDecisions: args.switches.has("--log-decisions"), ...(spans ? { spans } : {}) };
  // Threads share a port only through uWS (SO_REUSEPORT); the shadow candidate is decided in one thread.
  const single = httpEngine.kind !== "native" ? "the node:http fallback cannot share a port between threads" : shadowSpec !== undefined ? "--shadow decides on one thread" : undefined;
  if (workers > 1 && single !== undefined) {
    if (workersText !== undefined) io.err(`aigw serve: warning: serving on one thread, not ${workers} workers: ${single}\n`);
    workers = 1;
  }
  if (workers > 1) {
    await spans?.close();
    return serveWorkers({
      io,
      workers,
      reloader,
      first,
      graph,
      host,
      port,
      paths,
      follow,
      accessLog: !args.switches.has("--no-access-log"),
      logDecisions: observe.logDecisions,
      otlp: otel.export,
      guardPass,
      bodyTimeoutMs,
      out,
      log,
      graceMs: SHUTDOWN_GRACE_MS,
      startLines: (l) => startLines(l, reloader, follow, git, otel.export?.url, otel.export?.resource["service.name"]),
      stop: options.stop ?? firstSignal(),
      onListening: options.onListen,
    });
  }
  let gateway: Gateway;
  // Budgets and limits (runtime/budget): the store of `gateway { state … }`, swept on a timer, closed at shutdown.
  let state: ManagedStore | undefined;
  // The response cache (runtime/cache): beside the state, in the same memory, SQLite file or Redis.
  let cache: ManagedCache | undefined;
  // The semantic caches' vectors: mirrors of Redis streams with Redis state, else in memory.
  let vectors: VectorIndexes | undefined;
  // The usage ledger (runtime/usage): per-minute cells in the same store, flushed every few seconds and at shutdown.
  let usage: ManagedLedger | undefined;
  // The shadow candidate (runtime/shadow): decided beside the live policy, compiled by its own verifier.
  const shadow = shadowSource === undefined ? undefined : new Shadow({ now: Date.now, log });
  const candidate = shadowSource === undefined || shadow === undefined ? undefined : new Candidate(shadowSpec!, shadowSource, verifier, io.env, shadow, log);
  try {
    state = openManagedStore(graph.gateway.state, { env: io.env, baseDir: policyDir(paths[0]!), onError: (err) => log.warn("state sweep failed", { error: String(err) }) });
    cache = openManagedCache(graph.gateway, { env: io.env, baseDir: policyDir(paths[0]!), onError: (err) => log.warn("cache sweep failed", { error: String(err) }) });
    usage = openManagedLedger(graph.gateway.state, {
      env: io.env,
      baseDir: policyDir(paths[0]!),
      retentionMs: () => reloader.graph.gateway.usageRetentionMs ?? DEFAULTS.gateway.usageRetentionMs,
      onError: (err) => log.warn("usage ledger write failed (kept for the next flush)", { error: String(err) }),
    });
    vectors = openVectorIndexes(graph.gateway.state, { env: io.env, clock: Date.now });
    gateway = await startGateway({
      graph,
      host,
      port,
      world: { env: io.env },
      baseDir: policyDir(paths[0]!),
      log,
      routes: { ...reloadRoutes(reloader, io.env), ...(shadow === undefined ? {} : shadowRoutes(shadow, () => reloader.graph, io.env)) },
      ...(shadow === undefined ? {} : { shadow }),
      store: state.store,
      cacheStore: cache.store,
      vectorIndexes: vectors,
      usage: usage.store,
      observe,
      guardPass,
      ...(bodyTimeoutMs !== undefined ? { http: { bodyTimeoutMs } } : {}),
    });
  } catch (err) {
    await usage?.close();
    await state?.close();
    await cache?.close();
    await vectors?.close();
    await candidate?.close();
    await reloader.close();
    io.err(`aigw serve: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  // A live reload reads the candidate again (a ref may have moved with it); the candidate's own files or ref are followed with the live ones.
  const target = candidate === undefined ? gateway : { setGraph: (g: Graph) => (gateway.setGraph(g), void candidate.load("live reload")), metrics: gateway.metrics };
  await reloader.start(target, first, { log, watch: follow });
  if (candidate !== undefined) {
    await candidate.load("start");
    if (follow) await candidate.follow();
  }
  const hup = () => void reloader.reload("signal");
  process.on("SIGHUP", hup);
  for (const line of startLines(gateway, reloader, follow, git, otel.export?.url, otel.export?.resource["service.name"])) io.err(line);
  if (shadowSpec !== undefined) io.err(`aigw serve: shadow: ${shadowLine(shadow!)}\n`);
  io.err(`aigw serve: listening on http://${displayHost(gateway.host)}:${gateway.port}\n`);
  options.onListening?.(gateway);
  options.onListen?.(gateway);

  const signal = await (options.stop ?? firstSignal());
  io.err(`aigw serve: ${typeof signal === "string" ? signal + ": " : ""}shutting down (up to ${SHUTDOWN_GRACE_MS / 1000}s for requests in flight)\n`);
  process.off("SIGHUP", hup);
  await candidate?.close();
  await reloader.close();
  await gateway.close(SHUTDOWN_GRACE_MS);
  // After the drain: the last requests' cells are flushed before the store closes.
  await usage.close();
  await state.close();
  await cache.close();
  await vectors.close();
  await spans?.close();
  out.flush();
  io.err("aigw serve: stopped\n");
  return 0;
}

/** The start-up lines between the policy check and the address: engine, policy, reload, auth, traces. */
function startLines(l: Listening, reloader: Reloader, follow: boolean, git: string | undefined, tracesUrl: string | undefined, service: string | undefined): string[] {
  const graph = l.graph;
  return [
    // The fallback serves correctly but slower: say so as a warning, not as an ordinary start-up line.
    l.engine.kind === "native" ? `aigw serve: http engine: ${l.engine.detail}\n` : `aigw serve: warning: http engine: ${l.engine.detail}\n`,
    `aigw serve: policy ${graph.policy} (${graph.routes.length} routes, models: ${graph.accepted.join(", ") || "none"})\n`,
    `aigw serve: reload: ${follow ? (git !== undefined ? `following ${git}` : "watching the policy files") + ", " : ""}on SIGHUP and POST /admin/reload (compiles ${reloader.verifierKind === "worker" ? "on a worker thread" : "in-process"})\n`,
    `aigw serve: ${authLine(graph)}\n`,
    ...(tracesUrl !== undefined ? [`aigw serve: traces: OTLP/HTTP JSON to ${safeUrl(tracesUrl)} as service ${service}\n`] : []),
  ];
}

/**
 * How callers authenticate, said once at start: a policy whose `auth keys`
 * lists no keys (lint W504) would otherwise look healthy while answering
 * every request with 401.
 */
function authLine(graph: Graph): string {
  if (graph.gateway.auth === "none") return "auth: none (anyone may call, without a key; local development only)";
  const n = Object.keys(graph.keys).length;
  if (n === 0) return "auth: keys, but the policy lists no keys: every request will get 401 (add a key from `aigw key`, or `auth none`)";
  return `auth: keys (${n} key${n === 1 ? "" : "s"}; a request without a listed key gets 401)`;
}

/** A URL without credentials or query (either may hold a token), for start-up lines. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(unparsable URL)";
  }
}

/** The shadow candidate's source: a path, or a git ref read at the live PATHS; neither is a usage error. */
async function openCandidate(spec: string, paths: readonly string[]): Promise<PolicySource> {
  try {
    return await candidateSource(spec, paths, process.cwd());
  } catch (err) {
    throw new UsageError(`--shadow \`${spec}\` is neither a file or directory nor a git ref: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The start-up line of the shadow: what it decides beside the live policy, or why it does not. */
function shadowLine(shadow: Shadow): string {
  const s = shadow.status();
  if (s.candidate !== null) return `deciding every request on candidate ${s.candidate.policy} (${s.candidate.source}) too; differences on /metrics and GET /admin/shadow`;
  return `not shadowing: ${s.error?.message ?? "no candidate"}`;
}

/** The policy's source; a path outside the repository or an unknown ref is a usage error. */
async function openSource(paths: readonly string[], git: string | undefined): Promise<PolicySource> {
  try {
    return await policySource(paths, git === undefined ? {} : { git });
  } catch (err) {
    throw err instanceof SourceError ? new UsageError(err.message) : err;
  }
}

/** `aigw serve` as a process entry: the real streams and environment. */
export function run(args: string[]): Promise<number> {
  return serveCommand(args, processIo);
}

/** The first SIGTERM or SIGINT; the handlers are removed afterwards so a second signal kills as usual. */
function firstSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      resolve(sig);
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}

/** `"host:port"` or `":port"` from the gateway block; `":port"` listens on every interface. */
function parseListen(listen: string | undefined): { host?: string; port?: number } {
  if (listen === undefined) return {};
  const colon = listen.lastIndexOf(":");
  if (colon < 0) return { host: listen };
  const host = listen.slice(0, colon).replace(/^\[|\]$/g, "");
  const out: { host?: string; port?: number } = { host: host === "" ? "0.0.0.0" : host };
  const port = Number(listen.slice(colon + 1));
  if (Number.isInteger(port) && port >= 0 && port <= 65535) out.port = port;
  return out;
}

/** `--workers N` or `AIGW_WORKERS=N`: 1 (one thread, no worker) to 64. */
function parseWorkers(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`${name} must be a whole number from 1 to 64, not \`${text}\``);
  return n;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not \`${text}\``);
  return port;
}

/** `500ms`, `30s`, `2m` or a bare number of milliseconds, > 0. */
function parseDurationMs(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (m[2] === "s" ? 1000 : m[2] === "m" ? 60_000 : 1) : NaN;
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`${flag} must be a duration like 30s or 500ms, not \`${text}\``);
  return Math.round(ms);
}

function displayHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** `--guard-workers N` (1 to 64) and `--guard-timeout D`, as the gateway's guard pass options. */
function guardPassOptions(workers: string | undefined, timeout: string | undefined): OffloadOptions {
  const out: OffloadOptions = {};
  if (workers !== undefined) {
    const n = Number(workers);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--guard-workers must be a whole number from 1 to 64, got \`${workers}\``);
    out.workers = n;
  }
  if (timeout !== undefined) out.timeoutMs = parseDurationMs("--guard-timeout", timeout);
  return out;
}
