/**
 * What the pipeline needs per loaded graph, built once when a graph is
 * loaded (compile once, evaluate many times): the graph, its providers with
 * their resolved keys, and answers that never change for that graph (the
 * `/v1/models` body). Hot reload builds a new `Runtime` and swaps one
 * reference; requests in flight keep the one they started with.
 */
import type { Graph } from "../../compiler/graph.js";
import { loadTokenizer, needsTokenizer, tokenFloor } from "../engine/index.js";
import { createProviders, type Pools, type Providers, type Sleep } from "../providers/index.js";

export interface Runtime {
  readonly graph: Graph;
  readonly providers: Providers;
  /** Some condition reads `input_tokens`: the tokenizer must be loaded before deciding. */
  readonly needsTokenizer: boolean;
  /** The smallest count an `input_tokens` comparison uses: shorter texts are never counted. */
  readonly tokenFloor: number;
  /** The `GET /v1/models` body. */
  readonly modelsBody: string;
  /** Configuration problems worth a warning at load (an unset key variable). */
  readonly problems: readonly string[];
}

export interface RuntimeOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Keep-alive pools shared across reloads. */
  pools: Pools;
  now: () => number;
  sleep: Sleep;
  random: () => number;
}

/** Builds the runtime of a graph; starts loading the tokenizer when the policy needs it. */
export function createRuntime(graph: Graph, options: RuntimeOptions): Runtime {
  const providers = createProviders(graph, {
    resolveSecret: (ref) => options.env[ref.env],
    pools: options.pools,
    now: options.now,
    sleep: options.sleep,
    random: options.random,
  });
  const tokens = needsTokenizer(graph);
  if (tokens) void loadTokenizer();
  return {
    graph,
    providers,
    needsTokenizer: tokens,
    tokenFloor: tokens ? tokenFloor(graph) : Infinity,
    modelsBody: modelsList(graph),
    problems: providers.problems,
  };
}

/** The OpenAI list format of the model names the policy accepts. */
function modelsList(graph: Graph): string {
  const data = graph.accepted.map((id) => ({ id, object: "model", created: 0, owned_by: "aigw" }));
  return JSON.stringify({ object: "list", data });
}
