/**
 * The semantic half of the cache step (lang/SPEC.md §4.10), tried after an
 * exact miss: embed the request's last user text with the cache's
 * embedding model, find the nearest stored vector of its partition
 * (cache/semantic-key.ts: the rest of the request must be equal), and
 * answer from that vector's entry when it is similar enough.
 *
 * The embedding is one upstream call through the same providers and pools
 * as any other, with the embedding provider's `timeout` and the caller's
 * signal. Whatever goes wrong — the provider fails, times out or has no
 * embeddings, the reply has no vector, the index's store is down — the
 * lookup is a miss: the semantic cache never fails a request. Its usage is
 * recorded on the cache event (the access log prices it); it is not
 * charged to the caller's budgets.
 */
import type { CacheEntry, KeyContext, VectorIndex } from "../cache/index.js";
import { semanticQuery, unitVector } from "../cache/index.js";
import type { PreparedCache } from "../engine/index.js";
import { vectorFromBase64, decodeEmbeddings } from "../request/index.js";
import type { Usage } from "../providers/index.js";
import type { ChatContext } from "./context.js";

/** What the embedding call cost, for the record. */
export interface EmbeddingUse {
  readonly model: string;
  readonly usage?: Usage;
  /** The call failed (its error code): the lookup was a miss. */
  readonly error?: string;
}

export interface SemanticLookup {
  /** A stored entry close enough, with its key and similarity. */
  readonly hit?: { readonly entry: CacheEntry; readonly key: string; readonly similarity: number };
  readonly embedding: EmbeddingUse;
  /** Files the request's vector under the entry stored for it (after a miss); a no-op when there is no vector. */
  remember(key: string): Promise<void>;
}

const NOTHING = async (): Promise<void> => {};

/**
 * The semantic lookup for a request that missed the exact cache; undefined
 * when the cache is not semantic or the request has no last user text.
 * `read` reads an entry by key as the exact lookup does (expiry, kind).
 */
export async function semanticLookup(
  ctx: ChatContext,
  c: PreparedCache,
  keyCtx: KeyContext,
  index: VectorIndex,
  read: (key: string) => Promise<CacheEntry | undefined>,
): Promise<SemanticLookup | undefined> {
  const s = c.node.semantic;
  if (s === undefined) return undefined;
  const query = semanticQuery(ctx.request, keyCtx);
  if (query === undefined) return undefined;
  let vector: Float32Array | undefined;
  let embedding: EmbeddingUse;
  try {
    const embedded = await ctx.rt.providers.embed({
      request: decodeEmbeddings({ model: s.model, input: query.text }),
      model: s.model,
      signal: ctx.input.signal,
      requestId: ctx.meta.requestId,
    });
    vector = vectorOf(embedded.body);
    embedding = { model: s.model, ...(embedded.usage ? { usage: embedded.usage } : {}), ...(vector === undefined ? { error: "no_vector" } : {}) };
  } catch (err) {
    embedding = { model: s.model, error: errorCode(err) };
  }
  if (vector === undefined) return { embedding, remember: NOTHING };
  const v = vector;
  const remember = async (key: string): Promise<void> => {
    try {
      await index.add(query.partition, key, v, c.node.ttlMs);
    } catch {
      // an index that cannot store leaves this entry to exact matches
    }
  };
  let near;
  try {
    near = await index.nearest(query.partition, v, s.similarity);
  } catch {
    near = undefined;
  }
  const entry = near === undefined ? undefined : await read(near.key);
  if (near === undefined || entry === undefined) return { embedding, remember };
  return { hit: { entry, key: near.key, similarity: near.similarity }, embedding, remember };
}

/** The first vector of an OpenAI-format embeddings body (floats or base64), as a unit vector. */
function vectorOf(body: Readonly<Record<string, unknown>>): Float32Array | undefined {
  const data = body["data"];
  const first: unknown = Array.isArray(data) ? data[0] : undefined;
  const e = first !== null && typeof first === "object" ? (first as Record<string, unknown>)["embedding"] : undefined;
  if (typeof e === "string") return unitVector(vectorFromBase64(e));
  if (Array.isArray(e) && e.length > 0 && e.every((x) => typeof x === "number")) return unitVector(e as number[]);
  return undefined;
}

function errorCode(err: unknown): string {
  const code = err !== null && typeof err === "object" ? (err as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : "error";
}
