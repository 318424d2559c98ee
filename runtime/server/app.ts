/**
 * The gateway server: the OpenAI-compatible endpoints over the uWS edge.
 *
 *   POST /v1/chat/completions   the pipeline's chat chain (pipeline/chain.ts)
 *   POST /v1/messages, /v1/responses, /v1/embeddings
 *                               the same chain with that API's decode and respond (api-routes.ts)
 *   POST /v1/messages/count_tokens  the tokenizer's count of a Messages request
 *   GET  /v1/models, /v1/models/{id}  the models the policy accepts
 *   GET  /healthz, /readyz      liveness; readiness (503 while draining)
 *   GET  /metrics               Prometheus metrics (runtime/observe)
 *   /admin/…                    admin endpoints (admin/)
 *   GET  /ui                    the read-only dashboard (admin/ui.ts), with a usage ledger
 *
 * The loaded graph lives in one reference (`current`); each request captures
 * it when it starts, so a hot reload (`setGraph`) is one assignment and a
 * request in flight finishes on the graph it started with.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Graph } from "../../compiler/graph.js";
import { validateGraph } from "../../compiler/validate.js";
import { Budgets } from "../budget/admission.js";
import { GatewayError, toErrorReply } from "../pipeline/errors.js";
import { checkJsonContentType, createRuntime, identify, requestIds, writeReply, type ChatInput, type Runtime, type Written } from "../pipeline/index.js";
import { Pools, type PoolOptions } from "../providers/index.js";
import { memoryStore, type Store } from "../state/index.js";
import { Coalescer, memoryCacheStore, memoryVectorIndexes, type CacheStore, type VectorIndexes } from "../cache/index.js";
import { DEFAULTS } from "../../compiler/settings.js";
import { HealthTracker } from "../health/index.js";
import { GatewayMetrics, Observer, RecentRequests, silentLogger, storeBudgetReader, type Logger, type RequestSink, type SpanSink } from "../observe/index.js";
import type { UsageLedger } from "../usage/index.js";
import { exportHttpEngine } from "../observe/http-engine.js";
import { needsOffload, startOffload, type GuardOffload, type OffloadOptions } from "../offload/index.js";
import { realWorld, type World } from "../world.js";
import { KeySets, RevocationWatch } from "../identity/index.js";
import { budgetRoutes, uiRoutes, usageRoutes, type RouteTable } from "./admin/index.js";
import { API_PATHS, countTokens, modelEntry } from "./api-routes.js";
import { ClientSignal } from "./client-signal.js";
import type { Shadow } from "../shadow/index.js";
import {
  BodyTooLargeError,
  createHttpServer,
  httpEngine,
  type HeaderList,
  type HttpEngineInfo,
  type HttpRequest,
  type HttpResponse,
} from "./uws.js";

export interface GatewayOptions {
  graph: Graph;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 8787; 0 picks a free port. */
  port?: number;
  /** Clocks, randomness, sleep and the environment (`env("…")` keys); each part left out is the real one (world.ts). */
  world?: Partial<World>;
  /** Where the policy's relative file paths (`revoked`, `jwks_file`) are resolved: the policy directory. Default: the working directory. */
  baseDir?: string;
  log?: Logger;
  /**
   * The state store (runtime/state `openStore`): budgets and rate limits are
   * read, reserved and settled through it (runtime/budget) and
   * `GET /admin/budgets` lists its counters. The caller owns it (closes it
   * after `close()`). Default: a memory store of the gateway's own, closed
   * with it (and no `/admin/budgets`).
   */
  store?: Store;
  /**
   * The usage ledger (runtime/usage): every finished request is added to it,
   * and `/admin/usage`, `/admin/requests`, `/admin/health` and the `/ui`
   * dashboard are mounted (behind the admin token). The caller owns it and
   * closes it after `close()`, which flushes what the last requests added.
   */
  usage?: UsageLedger;
  /**
   * The response cache's store (runtime/cache `openCacheStore`), kept across
   * reloads and closed by its opener. Default: a memory store of the
   * gateway's own, bounded by the first graph's `cache_memory`, closed by
   * `close()`.
   */
  cacheStore?: CacheStore;
  /** The semantic caches' vector indexes (a Redis mirror beside a Redis cache store); default: in memory. */
  vectorIndexes?: VectorIndexes;
  /**
   * More endpoints (admin, metrics), mounted beside the built-in ones; a
   * handler that throws a `GatewayError` gets the usual OpenAI-style error.
   * Admin handlers guard themselves with `requireAdmin` (admin/guard.ts).
   */
  routes?: RouteTable;
  /** A candidate policy decided beside the live one for every request, sending and charging nothing (`aigw serve --shadow`, runtime/shadow). */
  shadow?: Shadow;
  /** What is observed of each request. */
  observe?: {
    /** Prometheus metrics, served on `GET /metrics`. Default: a new registry; `false`: none (and no `/metrics`). */
    metrics?: GatewayMetrics | false;
    /** Put the decision record (`aigw explain`'s JSON) in every access-log entry; costs a traced decision per request. Default off. */
    logDecisions?: boolean;
    /** OpenTelemetry spans (observe/otlp.ts). Default none: no span is built. */
    spans?: SpanSink;
    /** What `GET /metrics` answers; default `metrics.render()`. A worker of `aigw serve --workers` answers every worker's metrics merged (server/workers). */
    scrape?: () => Promise<string>;
  };
  /**
   * The guard pass workers (runtime/offload/): started when a loaded policy
   * has guardrails, text or token conditions or `log_bodies`, and used for
   * texts from `thresholdChars` (default 32 Ki UTF-16 units). `false`:
   * everything inline (the event loop then holds for as long as a large
   * text takes).
   */
  guardPass?: OffloadOptions | false;
  /** The HTTP edge and the upstream connections. */
  http?: {
    /** Upstream connection pool settings. */
    pools?: PoolOptions;
    /** How long a request body may take to arrive, from the request head; then 408 and a close. Default 30 s (`DEFAULT_BODY_TIMEOUT_MS`). */
    bodyTimeoutMs?: number;
    /** The largest request head (URL and headers) answered; larger gets 431 and a close. Default 16 KiB (`DEFAULT_MAX_HEADER_BYTES`). */
    maxHeaderBytes?: number;
  };
}

export interface Gateway {
  /** The bound port. */
  readonly port: number;
  readonly host: string;
  /** The HTTP engine in use (native uWS or the node:http fallback). */
  readonly engine: HttpEngineInfo;
  /** The graph new requests use. */
  readonly graph: Graph;
  /** Swaps the graph for new requests; requests in flight keep theirs. */
  setGraph(graph: Graph): void;
  /** The metrics behind `GET /metrics` (hot reload reports with `metrics.policyReloaded(ok)`); undefined when off. */
  readonly metrics: GatewayMetrics | undefined;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs` (default 10 s), then closes everything. */
  close(graceMs?: number): Promise<void>;
}

const JSON_HEADERS: HeaderList = [["content-type", "application/json"]];
const MODEL_PREFIX = "/v1/models/";
const OK_BODY = '{"status":"ok"}';

/** Starts the gateway; resolves once it listens. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const world = realWorld(options.world);
  const log = options.log ?? silentLogger;
  const pools = new Pools(options.http?.pools);
  const host = options.host ?? "127.0.0.1";
  // Always a store, so budgets and limits take one code path; without one given, a memory store of our own.
  const ownStore = options.store === undefined ? memoryStore({ clock: world.now }) : undefined;
  const observe = options.observe ?? {};
  const metrics = observe.metrics === false ? undefined : (observe.metrics ?? new GatewayMetrics(world.now));
  const budgets = new Budgets(options.store ?? ownStore!, log, (target, fault) => metrics?.usageClamped(target, fault));
  const ownCache =
    options.cacheStore === undefined
      ? memoryCacheStore({ maxBytes: options.graph.gateway.cacheMemoryBytes ?? DEFAULTS.gateway.cacheMemoryBytes, clock: world.now })
      : undefined;
  const ownVectors = options.vectorIndexes === undefined ? memoryVectorIndexes(world.now) : undefined;
  const cache = { store: options.cacheStore ?? ownCache!, coalescer: new Coalescer(), vectors: options.vectorIndexes ?? ownVectors! };
  metrics?.setCacheStore(cache.store);
  if (metrics) options.shadow?.attach(metrics.registry);
  const requestId = requestIds(world.random);
  // Per instance, kept across reloads like the budgets; every ejection is logged and counted.
  const health = new HealthTracker(world.now, (e) => log.warn("target ejected", { health: e.health, target: e.model, cause: e.cause, forMs: e.forMs }));
  // Policies declared `shared` follow the state store; this instance's name in its probe leases is random.
  const sharing = health.share(options.store ?? ownStore!, `gw-${Math.floor(world.random() * 2 ** 48).toString(36)}`, {
    up: (up, error) =>
      up ? log.info("shared health reaches the state store again") : log.warn("shared health cannot reach the state store: judging targets per instance", { error: String(error) }),
    followed: (h, model) => log.info("target ejected by another instance", { health: h, target: model }),
  });
  // Started with the first graph that has work for it, kept across reloads.
  let offload: GuardOffload | undefined;
  const offloadFor = (graph: Graph): GuardOffload | undefined =>
    options.guardPass === false || !needsOffload(graph) ? undefined : (offload ??= startOffload(options.guardPass ?? {}));

  // The runtime trusts no graph it did not check: every graph, at start and
  // on every swap, must pass the same JSON Schema the compiler validates with.
  // Kept across reloads: remote key sets keep their cached keys, the revocation file its watch.
  const baseDir = options.baseDir ?? process.cwd();
  const revocations = new RevocationWatch(log, baseDir);
  const identity = { keySets: new KeySets((path) => readFileSync(resolve(baseDir, path), "utf8")), revoked: revocations.current };
  const build = (graph: Graph): Runtime => {
    const valid = validateGraph(graph);
    if (!valid.ok) throw new InvalidGraphError(valid.errors);
    const rt = createRuntime(valid.graph, {
      identity,
      world,
      pools,
      budgets,
      cache,
      health,
      requestId,
      explain: observe.logDecisions === true,
      timeSteps: observe.spans !== undefined,
      offload: offloadFor(valid.graph),
      ...(options.shadow === undefined ? {} : { shadow: options.shadow }),
    });
    revocations.use(valid.graph.gateway.revoked);
    for (const p of rt.problems) log.warn(p);
    sharing?.use(valid.graph.health);
    return rt;
  };
  let current = build(options.graph);
  let draining = false;
  metrics?.setGraph(current.graph);
  if (metrics) exportHttpEngine(metrics.registry, httpEngine.kind === "fallback" ? "node" : httpEngine.build === "glibc-compat" ? "uws-glibc-compat" : "uws");
  if (options.store) metrics?.setBudgetReader(storeBudgetReader(options.store));
  metrics?.setHealthReader(health);
  // With a ledger, the last requests' decision records are kept for the dashboard's lookup.
  const recent = options.usage !== undefined ? new RecentRequests() : undefined;
  const sinks: RequestSink[] = options.usage !== undefined && recent !== undefined ? [options.usage, recent] : [];
  const observer = new Observer({ log, metrics, spans: observe.spans, offload: () => offload, sinks });

  async function chat(req: HttpRequest, res: HttpResponse): Promise<void> {
    const rt = current;
    const startMs = world.monotonic();
    const api = API_PATHS[trimSlash(req.path)];
    const input: ChatInput = {
      headers: req.headers,
      path: req.path,
      ...(api !== undefined ? { api } : {}),
      signal: new ClientSignal(res),
      // A body not declared as JSON is refused (415) before it is read: see checkJsonContentType.
      body: () => {
        checkJsonContentType(req.headers["content-type"]);
        return req.body().catch(bodyError);
      },
    };
    const { reply, record } = await rt.chat(input);
    const replyMs = world.monotonic();
    // The edge answered on its own (408: the body was late); log what the client got.
    if (res.edgeStatus !== undefined) record.add({ kind: "edge", status: res.edgeStatus, code: "request_timeout" });
    const view = observer.view(record);
    if (view.internal !== undefined) log.error("internal error", { requestId: view.requestId, error: view.internal });
    const bodyText = observer.beforeWrite(rt.prepared, reply);
    const written: Written =
      reply !== null ? await writeReply(res, reply) : res.edgeStatus !== undefined ? { status: res.edgeStatus, aborted: false } : { status: 499, aborted: true };
    // A stream's output guardrails report when it ends: its record is read again once written.
    const seen = reply?.kind === "stream" ? observer.view(record) : view;
    observer.chat(rt.prepared, req, seen, written, { startMs, replyMs, endMs: world.monotonic() }, bodyText);
  }

  async function models(req: HttpRequest, res: HttpResponse): Promise<void> {
    const rt = current;
    try {
      await identify(rt, req.headers);
    } catch (err) {
      sendError(res, err);
      return;
    }
    res.send(200, JSON_HEADERS, rt.modelsBody);
  }

  const routes: RouteTable = {
    ...guarded(options.routes ?? {}),
    ...(options.store ? guarded(budgetRoutes(options.store, () => current.graph, world.env)) : {}),
    ...(options.usage !== undefined && recent !== undefined
      ? guarded({ ...usageRoutes({ ledger: options.usage, recent, health, graph: () => current.graph, env: world.env, now: world.now }), ...uiRoutes(() => current.graph) })
      : {}),
    "/v1/chat/completions": { POST: chat },
    "/v1/messages": { POST: chat },
    "/v1/responses": { POST: chat },
    "/v1/embeddings": { POST: chat },
    "/v1/messages/count_tokens": { POST: (req, res) => countTokens(current, req, res) },
    "/v1/models": { GET: models },
    ...(metrics ? { "/metrics": { GET: async (_req: HttpRequest, res: HttpResponse) => res.send(200, [["content-type", metrics.contentType]], await (observe.scrape ?? (() => metrics.render()))()) } } : {}),
    "/healthz": { GET: (_req, res) => res.send(200, JSON_HEADERS, OK_BODY) },
    "/readyz": {
      GET: (_req, res) =>
        draining
          ? res.send(503, JSON_HEADERS, '{"status":"draining"}')
          : res.send(200, JSON_HEADERS, JSON.stringify({ status: "ready", policy: current.graph.policy })),
    },
  };

  const server = createHttpServer({
    bodyLimit: () => current.graph.gateway.maxBodyBytes,
    ...(options.http?.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: options.http.bodyTimeoutMs } : {}),
    ...(options.http?.maxHeaderBytes !== undefined ? { maxHeaderBytes: options.http.maxHeaderBytes } : {}),
    onError: (err) => log.error("unhandled error in a request handler", { error: err }),
    handler: (req, res) => {
      const route = routes[req.path] ?? routes[trimSlash(req.path)];
      if (route === undefined && req.path.startsWith(MODEL_PREFIX) && (req.method === "GET" || req.method === "HEAD")) {
        return modelEntry(current, safeDecode(req.path.slice(MODEL_PREFIX.length)), req, res);
      }
      if (route === undefined) {
        sendError(res, new GatewayError("not_found", `unknown path \`${req.method} ${req.path}\``));
        return;
      }
      // HEAD is answered as GET; the edge leaves out the body
      const handle = route[req.method] ?? (req.method === "HEAD" ? route["GET"] : undefined);
      if (handle === undefined) {
        const allowed = Object.keys(route).join(", ");
        sendError(res, new GatewayError("method_not_allowed", `method \`${req.method}\` is not allowed on \`${req.path}\` (allowed: ${allowed})`), [["allow", allowed]]);
        return;
      }
      return handle(req, res);
    },
  });
  const port = await server.listen(host, options.port ?? 8787);

  return {
    port,
    host,
    engine: httpEngine,
    get graph() {
      return current.graph;
    },
    setGraph(graph) {
      current = build(graph);
      metrics?.setGraph(current.graph);
    },
    metrics,
    async close(graceMs = 10_000) {
      draining = true;
      await server.close(graceMs);
      // The store (the caller's) must outlive the last sync.
      sharing?.stop();
      await sharing?.settled();
      await pools.close();
      revocations.close();
      await offload?.close();
      await ownStore?.close();
      await ownCache?.close();
      await ownVectors?.close();
      // Metrics made here are ours to stop; metrics passed in belong to the caller.
      if (observe.metrics === undefined) metrics?.close();
    },
  };
}

/** Wraps extra handlers so a thrown error becomes an OpenAI-style error response. */
function guarded(table: RouteTable): RouteTable {
  const out: RouteTable = {};
  for (const [path, methods] of Object.entries(table)) {
    out[path] = {};
    for (const [method, handler] of Object.entries(methods)) {
      out[path]![method] = async (req, res) => {
        try {
          await handler(req, res);
        } catch (err) {
          sendError(res, err);
        }
      };
    }
  }
  return out;
}

function sendError(res: HttpResponse, err: unknown, extra: HeaderList = []): void {
  const e = toErrorReply(err);
  res.send(e.status, [...JSON_HEADERS, ...e.headers, ...extra], e.body);
}

/** A body that cannot be read becomes the pipeline's error. */
function bodyError(err: unknown): never {
  if (err instanceof BodyTooLargeError) throw new GatewayError("request_too_large", `request body is larger than the limit of ${err.limit} bytes`);
  throw err;
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/** A graph refused at load: it does not match compiler/graph.schema.json. */
export class InvalidGraphError extends Error {
  readonly code = "AIGW_INVALID_GRAPH";
  constructor(readonly errors: readonly string[]) {
    super(`the decision graph does not match its schema: ${errors.slice(0, 5).join("; ")}`);
  }
}

/** A path segment, percent-decoded when it is well-formed. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
