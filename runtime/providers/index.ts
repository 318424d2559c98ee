/**
 * The providers' public entry: the registry from a provider's `api` to its
 * adapter, and `Providers`, built once per loaded graph, which resolves the
 * provider keys, owns the keep-alive pools and runs one attempt against a
 * model. Keys stay in a private field: never in errors, logs or `inspect`.
 */

import { isWildcard, UPSTREAM_NAME, type EnvRef, type Graph, type ModelNode, type ProviderApi, type ProviderNode } from "../../compiler/graph.js";
import { createAnthropicAdapter } from "./anthropic.js";
import { createAzureAdapter } from "./azure.js";
import { createBedrockAdapter } from "./bedrock.js";
import { createGeminiAdapter } from "./gemini.js";
import { Pools, type PoolOptions } from "./http.js";
import { createMockAdapter } from "./mock.js";
import type { CanonicalRequest } from "../request/model.js";
import { createOpenAIAdapter } from "./openai.js";
import { createVertexAdapter } from "./vertex.js";
import { ProviderRequestError, originOf } from "./errors.js";
import type { AbortSignalLike, AwsCredentials, ChatStream, Completion, Embedded, ProviderAdapter, ProviderCall, Sleep } from "./types.js";

export type { AbortSignalLike, AwsCredentials, ChatStream, Completion, Embedded, ProviderAdapter, ProviderCall, Sleep, Usage, WireBytes } from "./types.js";
export { WIRE_EVENTS, wireEventsOf } from "./types.js";
export type { PoolOptions } from "./http.js";
export { DEFAULT_MAX_REPLY_BYTES, Pools } from "./http.js";
export * from "./errors.js";
export type * from "../request/openai-wire.js";

/** Everything an adapter may need from the outside world. */
export interface AdapterDeps {
  pools: Pools;
  now: () => number;
  sleep: Sleep;
  random: () => number;
}

/** One adapter per `api` kind of the policy language. */
export const ADAPTERS: Record<ProviderApi, (deps: AdapterDeps) => ProviderAdapter> = {
  openai: createOpenAIAdapter,
  anthropic: createAnthropicAdapter,
  mock: createMockAdapter,
  azure: createAzureAdapter,
  bedrock: createBedrockAdapter,
  gemini: createGeminiAdapter,
  vertex: createVertexAdapter,
};

/** Reads a secret (`env("NAME")`) at graph load; `undefined` when unset. */
export type SecretResolver = (ref: EnvRef) => string | undefined;

export interface ProvidersOptions {
  resolveSecret: SecretResolver;
  now?: () => number;
  sleep?: Sleep;
  random?: () => number;
  /**
   * Pools to share, e.g. across hot reloads so keep-alive connections
   * survive; `close()` leaves them open. Without it, `Providers` owns its own.
   */
  pools?: Pools;
  /** Settings for the pools `Providers` creates itself. */
  poolOptions?: PoolOptions;
}

/** One attempt as the server asks for it. */
export interface Attempt {
  request: CanonicalRequest;
  /** The target: a model's name in the policy (a key of `graph.models`). */
  model: string;
  /** The name sent upstream for a wildcard target (the plan's); the model's own `upstream` otherwise. */
  upstream?: string | undefined;
  /** Aborts the attempt: the client went away or the overall deadline passed. */
  signal?: AbortSignalLike;
  /** Per-attempt timeout; defaults to the provider's `timeoutMs`. */
  timeoutMs?: number;
  requestId: string;
  /** Headers the route adds upstream (`upstream_header`), name and value alternating. */
  upstreamHeaders?: readonly string[] | undefined;
}

/** Sleeps with `setTimeout`, rejecting with the signal's reason on abort. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** The adapters of one graph, with their keys and connection pools. */
export class Providers {
  /** Configuration problems found at load (an unset key variable); worth a warning. */
  readonly problems: readonly string[];
  readonly #keys = new Map<string, string>();
  readonly #aws = new Map<string, AwsCredentials>();
  readonly #adapters = new Map<ProviderApi, ProviderAdapter>();
  readonly #providers: Record<string, ProviderNode>;
  readonly #models: Record<string, ModelNode>;
  readonly #pools: Pools;
  readonly #ownsPools: boolean;

  constructor(graph: Pick<Graph, "providers" | "models">, options: ProvidersOptions) {
    this.#providers = graph.providers;
    this.#models = graph.models;
    this.#ownsPools = options.pools === undefined;
    this.#pools = options.pools ?? new Pools(options.poolOptions);
    const deps: AdapterDeps = {
      pools: this.#pools,
      now: options.now ?? Date.now,
      sleep: options.sleep ?? realSleep,
      random: options.random ?? Math.random,
    };
    const problems: string[] = [];
    for (const [name, provider] of Object.entries(graph.providers)) {
      if (!this.#adapters.has(provider.api)) this.#adapters.set(provider.api, ADAPTERS[provider.api](deps));
      if (provider.bedrock !== undefined) {
        const aws = resolveAws(provider.bedrock, options.resolveSecret);
        if (typeof aws === "string") problems.push(`provider \`${name}\`: ${aws}`);
        else this.#aws.set(name, aws);
      }
      if (provider.key === undefined) continue;
      const key = options.resolveSecret(provider.key);
      if (key) this.#keys.set(name, key);
      else problems.push(`provider \`${name}\`: environment variable \`${provider.key.env}\` is not set`);
    }
    this.problems = problems;
  }

  /** Runs one non-streaming attempt against `attempt.model`. */
  complete(attempt: Attempt): Promise<Completion> {
    // Not `async`: one promise less per request; a bad model still rejects rather than throws.
    try {
      const call = this.#call(attempt);
      return this.#adapters.get(call.provider.api)!.complete(call);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Runs one streaming attempt; resolves when the first chunk has arrived. */
  stream(attempt: Attempt): Promise<ChatStream> {
    try {
      const call = this.#call(attempt);
      return this.#adapters.get(call.provider.api)!.stream(call);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Runs one embeddings attempt (`attempt.request` is an embeddings request); a provider without embeddings refuses it (400). */
  embed(attempt: Attempt): Promise<Embedded> {
    try {
      const call = this.#call(attempt);
      const adapter = this.#adapters.get(call.provider.api)!;
      if (adapter.embed === undefined) throw new ProviderRequestError(originOf(call), `model \`${attempt.model}\`'s provider has no embeddings`);
      return adapter.embed(call);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Closes the pools this object created, after the requests in flight. */
  async close(): Promise<void> {
    if (this.#ownsPools) await this.#pools.close();
  }

  #call(attempt: Attempt): ProviderCall {
    const node = this.#models[attempt.model];
    if (node === undefined) throw new Error(`unknown model \`${attempt.model}\``);
    const model = wildcardAs(node, attempt);
    const provider = this.#providers[model.provider];
    if (provider === undefined) throw new Error(`model \`${attempt.model}\` names unknown provider \`${model.provider}\``);
    return {
      request: attempt.request,
      model,
      provider,
      providerName: model.provider,
      key: this.#keys.get(model.provider),
      ...(provider.bedrock !== undefined ? { aws: this.#aws.get(model.provider) } : {}),
      signal: attempt.signal,
      timeoutMs: attempt.timeoutMs ?? provider.timeoutMs,
      requestId: attempt.requestId,
      ...(attempt.upstreamHeaders !== undefined ? { upstreamHeaders: attempt.upstreamHeaders } : {}),
    };
  }
}

/** A wildcard target as sent: with the request's upstream name, which decide has checked (compiler/graph.ts, `UPSTREAM_NAME`). */
function wildcardAs(model: ModelNode, attempt: Attempt): ModelNode {
  if (!isWildcard(model)) return model;
  if (attempt.upstream === undefined || !UPSTREAM_NAME.test(attempt.upstream)) throw new Error(`wildcard model \`${attempt.model}\` without a name to send`);
  return { ...model, upstream: attempt.upstream };
}

/** A Bedrock provider's region and credentials, or what is missing (never a value). */
function resolveAws(b: NonNullable<ProviderNode["bedrock"]>, resolve: SecretResolver): AwsCredentials | string {
  const region = "value" in b.region ? b.region.value : resolve(b.region);
  const accessKeyId = resolve(b.accessKey);
  const secretAccessKey = resolve(b.secretKey);
  const unset = [
    ...(region ? [] : ["env" in b.region ? b.region.env : "region"]),
    ...(accessKeyId ? [] : [b.accessKey.env]),
    ...(secretAccessKey ? [] : [b.secretKey.env]),
  ];
  if (unset.length > 0 || !region || !accessKeyId || !secretAccessKey) return `environment variable${unset.length > 1 ? "s" : ""} ${unset.map((n) => `\`${n}\``).join(", ")} not set`;
  const sessionToken = resolve(b.sessionToken);
  return { region, accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** Builds the providers of a freshly loaded graph. */
export function createProviders(graph: Pick<Graph, "providers" | "models">, options: ProvidersOptions): Providers {
  return new Providers(graph, options);
}
