/**
 * bench/scenarios/cache-semantic: the semantic cache's cost per request,
 * part of scenario 9. Two parts, measured separately and in the same run:
 *
 * - the lookup in the vector index (runtime/cache/vectors.ts, brute-force
 *   cosine over float32) with one partition of 1k and of 10k vectors of
 *   1,536 dimensions (OpenAI's text-embedding-3-small), the sizes
 *   interleaved round by round so machine noise hits both alike;
 * - the embedding call the lookup needs first: the gateway's own providers
 *   (undici, the `openai` adapter) against an embeddings upstream on
 *   127.0.0.1 that answers a 1,536-dimension vector at once, plus turning
 *   it into a unit vector — the gateway's side of the call, without any
 *   provider's own latency (tens of milliseconds for a hosted model).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { compileSources } from "../../compiler/index.js";
import { MemoryVectorIndex, unitVector } from "../../runtime/cache/index.js";
import { Providers } from "../../runtime/providers/index.js";
import { decodeEmbeddings } from "../../runtime/request/index.js";

const DIM = 1536;
const SIZES = [1_000, 10_000] as const;

export interface SemanticCost {
  dim: number;
  /** Microseconds per lookup (median of rounds), by index size. */
  lookupUs: Record<string, number>;
  /** Microseconds per embedding call through the providers to a local upstream, vector made unit. */
  embedUs: number;
  rounds: number;
}

/** A seeded source of unit vectors (xorshift), the same every run. */
function vectors(seed: number): () => Float32Array {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 0xffffffff) * 2 - 1;
  };
  return () => unitVector(Array.from({ length: DIM }, next))!;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeLookups(index: MemoryVectorIndex, queries: Float32Array[]): Promise<number> {
  const t0 = performance.now();
  // `least` above any random pair's similarity: every vector is scanned and nothing is touched.
  for (const q of queries) await index.nearest("p", q, 0.99);
  return ((performance.now() - t0) * 1000) / queries.length;
}

/** Embedding calls to a local upstream through the gateway's providers, timed. */
async function timeEmbeds(calls: number): Promise<number> {
  const next = vectors(7);
  const body = JSON.stringify({ object: "list", data: [{ object: "embedding", index: 0, embedding: Array.from(next()) }], model: "e", usage: { prompt_tokens: 8, total_tokens: 8 } });
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }).end(body));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const { graph } = compileSources([{ path: "b.route", text: `provider emb { api openai  base_url "http://127.0.0.1:${port}/v1" }\nmodel e = emb/"e"\nroute r { to e }\n` }]);
  const providers = new Providers(graph!, { resolveSecret: () => undefined });
  const request = decodeEmbeddings({ model: "e", input: "what is the capital of France?" });
  const one = async (): Promise<void> => {
    const e = await providers.embed({ request, model: "e", requestId: "bench" });
    const data = e.body["data"] as { embedding: number[] }[];
    unitVector(data[0]!.embedding);
  };
  for (let i = 0; i < 50; i++) await one();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await one();
  const us = ((performance.now() - t0) * 1000) / calls;
  await providers.close();
  await new Promise((r) => server.close(r));
  return us;
}

export async function semanticCost(quick: boolean): Promise<SemanticCost> {
  const rounds = quick ? 3 : 7;
  const next = vectors(42);
  const indexes = new Map<number, MemoryVectorIndex>();
  for (const n of SIZES) {
    const index = new MemoryVectorIndex(n, () => 0);
    for (let i = 0; i < n; i++) await index.add("p", `k${i}`, next(), 3_600_000);
    indexes.set(n, index);
  }
  const queries = Array.from({ length: 50 }, next);
  const samples = new Map<number, number[]>(SIZES.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) for (const n of r % 2 === 0 ? SIZES : [...SIZES].reverse()) samples.get(n)!.push(await timeLookups(indexes.get(n)!, queries));
  const embedUs = await timeEmbeds(quick ? 200 : 1000);
  return { dim: DIM, lookupUs: Object.fromEntries(SIZES.map((n) => [String(n), median(samples.get(n)!)])), embedUs, rounds };
}

export function printSemanticCost(s: SemanticCost): void {
  const parts = Object.entries(s.lookupUs).map(([n, us]) => `${Number(n) / 1000}k vectors ${(us / 1000).toFixed(2)} ms`);
  console.log(`  semantic lookup, ${s.dim} dimensions, one partition (median of ${s.rounds} interleaved rounds): ${parts.join(", ")} per lookup`);
  console.log(`  the embedding call to a local upstream through the providers: ${(s.embedUs / 1000).toFixed(2)} ms per request (add the provider's own latency)`);
}
