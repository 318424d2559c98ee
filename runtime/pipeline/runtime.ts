/**
 * Everything the pipeline needs per loaded graph, built once when the graph
 * is loaded (compile once, evaluate many times): the graph and its prepared
 * form, the callers' key index, the providers with their resolved keys,
 * whether the tokenizer is needed, the `/v1/models` body, and the chat chain
 * composed for the graph's features. Hot reload builds a new `Runtime` and
 * swaps one reference; requests in flight keep the one they started with.
 */
import { readFileSync } from "node:fs";
import { isWildcard, tableRows, type Graph } from "../../compiler/graph.js";
import { loadTokenizer, prepare, tokenFloor, type PreparedGraph } from "../engine/index.js";
import type { Budgets } from "../budget/admission.js";
import { HealthTracker } from "../health/index.js";
import { createProviders, type Pools, type Providers } from "../providers/index.js";
import type { World } from "../world.js";
import type { CacheStore, Coalescer, VectorIndexes } from "../cache/index.js";
import { CallerIndex } from "./auth.js";
import { embeddingsShape, messagesShape, responsesShape } from "./apis.js";
import { chatChain } from "./chain.js";
import { ChatContext, type ChatInput } from "./context.js";
import { guardApplier, type ApplyGuard } from "./offloaded.js";
import { RequestRecord } from "./record.js";
import type { GuardOffload } from "../offload/index.js";
import { KeySets, Revocations, TokenVerifier } from "../identity/index.js";
import type { Reply } from "./respond.js";
import type { Shadow } from "../shadow/index.js";

export interface Runtime {
  readonly graph: Graph;
  readonly prepared: PreparedGraph;
  readonly callers: CallerIndex;
  /** Verifies bearer JWTs against the graph's `jwt` blocks; absent when it has none. */
  readonly tokens: TokenVerifier | undefined;
  /** The revocation list as it is now (the server swaps it when its file changes). */
  readonly revoked: () => Revocations;
  readonly providers: Providers;
  /** Some condition reads `input_tokens`: the tokenizer must be loaded before deciding. */
  readonly needsTokenizer: boolean;
  /** The smallest count an `input_tokens` comparison uses: shorter texts are never counted. */
  readonly tokenFloor: number;
  /**
   * The largest `max_tokens` a route's shaping may ask (`set`, `default`,
   * `cap`; 0 when none): with the caller's, what a context check adds to the
   * input, so the facts step knows when a count may be needed.
   */
  readonly shapedAskCeiling: number;
  /** The `GET /v1/models` body. */
  readonly modelsBody: string;
  /** The `GET /v1/models/{id}` body of each accepted model. */
  readonly modelEntries: ReadonlyMap<string, string>;
  /** Configuration problems worth a warning at load (an unset key variable). */
  readonly problems: readonly string[];
  readonly world: World;
  /** Budgets and limits over the gateway's store (one per gateway, shared across reloads). */
  readonly budgets: Budgets;
  /** The response cache's store and its in-flight misses (one per gateway, shared across reloads); absent: no route may cache. */
  readonly cache: ResponseCache | undefined;
  /** Target health and latency (one per gateway, shared across reloads); present when the graph has a health policy or a `split fastest`. */
  readonly health: HealthTracker | undefined;
  /** Time the decide and input-guardrail steps (for trace spans). */
  readonly timeSteps: boolean;
  /** The guard pass workers, when the graph has work for them and the gateway has them (runtime/offload/). */
  readonly offload: GuardOffload | undefined;
  /** Applies guardrails: inline, or on the offload for large texts. */
  readonly applyGuard: ApplyGuard;
  /** The candidate policy decided beside this one (`aigw serve --shadow`), one per gateway, shared across reloads. */
  readonly shadow: Shadow | undefined;
  /** Runs the chain of the request's inbound API (`input.api`, chat by default). */
  chat(input: ChatInput): Promise<ChatOutcome>;
}

/** The response cache a gateway keeps across reloads. */
export interface ResponseCache {
  readonly store: CacheStore;
  readonly coalescer: Coalescer;
  /** The semantic caches' vector indexes. */
  readonly vectors: VectorIndexes;
}

/** What a chat request answered, and what happened on the way. */
export interface ChatOutcome {
  /** Null when the client left before there was anything to say. */
  readonly reply: Reply | null;
  readonly record: RequestRecord;
}

export interface RuntimeOptions {
  world: World;
  /** Keep-alive pools shared across reloads. */
  pools: Pools;
  budgets: Budgets;
  /** The response cache; without it the cache step answers nothing from a cache. */
  cache?: ResponseCache;
  /** The gateway's health tracker; a fresh one on the world's clock when absent. */
  health?: HealthTracker;
  /** A request id: the client's when sane, else a fresh one. */
  requestId: (given: string | undefined) => string;
  /** Keep the decision record (`aigw explain`'s JSON) of every request; costs a traced decide. */
  explain?: boolean;
  /** Time the decide and input-guardrail steps (for trace spans). */
  timeSteps?: boolean;
  /** The gateway's guard pass workers, when the graph needs them (see `needsOffload`). */
  offload?: GuardOffload | undefined;
  /** Token key sets and the revocation list, kept across reloads; absent: key set files read from disk, nothing revoked. */
  identity?: Identity;
  /** A candidate policy to decide beside this one (runtime/shadow). */
  shadow?: Shadow;
}

/** What identifies callers beyond the policy's keys, shared across reloads. */
export interface Identity {
  readonly keySets: KeySets;
  readonly revoked: () => Revocations;
}

/** Builds the runtime of a graph; starts loading the tokenizer when the policy needs it. */
export function createRuntime(graph: Graph, options: RuntimeOptions): Runtime {
  const { world } = options;
  const providers = createProviders(graph, {
    resolveSecret: (ref) => world.env[ref.env],
    pools: options.pools,
    now: world.now,
    sleep: world.sleep,
    random: world.random,
  });
  const prepared = prepare(graph);
  // A condition on `input_tokens` may count any request: load now. A `context` alone counts only
  // requests near it, so the ranks (~40 MB) load with the first such request (pipeline/steps/facts.ts).
  if (prepared.conditionsReadTokens) void loadTokenizer();
  const offload = options.offload;
  offload?.prepare(graph);
  const features = { explain: options.explain === true };
  // One chain per inbound API, composed once per graph: the same steps between their decode and respond.
  const chains = {
    "openai.chat": chatChain(graph, features),
    "anthropic.messages": chatChain(graph, features, messagesShape),
    "openai.responses": chatChain(graph, features, responsesShape),
    "openai.embeddings": chatChain(graph, features, embeddingsShape),
  };
  const identity = options.identity ?? { keySets: new KeySets((path) => readFileSync(path, "utf8")), revoked: () => Revocations.EMPTY };
  const rt: Runtime = {
    graph,
    prepared,
    callers: new CallerIndex(graph),
    tokens: graph.jwt === undefined ? undefined : new TokenVerifier(graph.jwt, identity.keySets, world.now),
    revoked: identity.revoked,
    providers,
    needsTokenizer: prepared.readsTokens,
    tokenFloor: prepared.readsTokens ? tokenFloor(graph) : Infinity,
    shapedAskCeiling: shapedAskCeiling(graph),
    modelsBody: modelsList(graph),
    modelEntries: new Map(listedModels(graph).map((id) => [id, JSON.stringify(modelEntry(id))])),
    problems: providers.problems,
    world,
    budgets: options.budgets,
    cache: options.cache,
    health: graph.health === undefined && !graph.routes.some((r) => r.target.kind === "split" && r.target.fastest === true) ? undefined : (options.health ?? new HealthTracker(world.now)),
    timeSteps: options.timeSteps === true,
    offload,
    applyGuard: guardApplier({ offload }),
    shadow: options.shadow,
    async chat(input) {
      const requestId = options.requestId(input.headers["x-request-id"]);
      const record = new RequestRecord(requestId);
      return { reply: await chains[input.api ?? "openai.chat"](new ChatContext(rt, world, input, record)), record };
    },
  };
  return rt;
}

/** Every accepted name takes every inbound API; the route it matches decides where it goes. */
const ENDPOINTS = ["/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/embeddings"];

/** One model in OpenAI's format (Anthropic's SDK reads `id`, `type`, `display_name`, `created_at` too). */
function modelEntry(id: string) {
  return { id, object: "model", created: 0, owned_by: "aigw", type: "model", display_name: id, created_at: "1970-01-01T00:00:00Z", endpoints: ENDPOINTS };
}

/**
 * The names to list: those the route index accepts, then each price-table
 * row of a wildcard some route sends to, under its provider's prefix
 * (`openai/gpt-4o`), the name a caller asks for.
 */
function listedModels(graph: Graph): string[] {
  const names = new Set(graph.accepted);
  for (const route of graph.routes) {
    const first = route.target.kind === "to" ? [route.target.model] : route.target.kind === "split" ? route.target.arms.map((a) => a.model) : [];
    for (const m of [...first, ...route.fallback]) {
      const node = Object.hasOwn(graph.models, m) ? graph.models[m]! : undefined;
      if (node === undefined || !isWildcard(node)) continue;
      for (const [, row] of tableRows(graph.models, m)) names.add(`${node.provider}/${row.upstream}`);
    }
  }
  return [...names];
}

/** The OpenAI list format of the model names the policy accepts. */
function modelsList(graph: Graph): string {
  const data = listedModels(graph).map(modelEntry);
  return JSON.stringify({ object: "list", data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null });
}

/** The largest `max_tokens` any route's shaping sets, defaults or caps to (0 when none). */
function shapedAskCeiling(graph: Graph): number {
  let most = 0;
  for (const r of graph.routes) {
    const s = r.shaping;
    if (s === undefined) continue;
    most = Math.max(most, s.set?.maxTokens ?? 0, s.default?.maxTokens ?? 0, s.maxTokensCap ?? 0);
  }
  return most;
}
