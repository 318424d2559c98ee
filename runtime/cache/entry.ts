/**
 * One cache entry and its bytes. An entry is what a replay needs: the
 * completion as the caller got it (after the output guardrails), or the
 * chunks of a stream in order, or an embeddings body; the target that
 * produced it and its usage (for the saved-cost metric and `charge hits`);
 * when it was stored (the `age` header). Entries are JSON, gzip-compressed
 * (node:zlib, off the event loop) from {@link COMPRESS_FROM} bytes; the
 * first byte says which, so either reads back whatever wrote it.
 */
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import type { ChatCompletion, ChatCompletionChunk, Usage } from "../providers/index.js";

interface Common {
  /** The model that answered. */
  readonly target: string;
  /** Epoch milliseconds. */
  readonly storedAt: number;
  readonly usage?: Usage;
}

export type CacheEntry =
  | (Common & { readonly kind: "completion"; readonly completion: ChatCompletion })
  | (Common & { readonly kind: "stream"; readonly chunks: readonly ChatCompletionChunk[] })
  | (Common & { readonly kind: "embedding"; readonly body: Readonly<Record<string, unknown>> });

/** Entries this long or longer (as JSON) are compressed. */
export const COMPRESS_FROM = 1024;

const RAW = 0;
const GZIP = 1;
const zip = promisify(gzip);
const unzip = promisify(gunzip);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The entry's bytes; its JSON length is returned too (what `max_entry` bounds). */
export async function encodeEntry(entry: CacheEntry): Promise<{ bytes: Uint8Array; jsonBytes: number }> {
  const json = encoder.encode(JSON.stringify(entry));
  const body = json.byteLength >= COMPRESS_FROM ? await zip(json) : json;
  const bytes = new Uint8Array(body.byteLength + 1);
  bytes[0] = body === json ? RAW : GZIP;
  bytes.set(body, 1);
  return { bytes, jsonBytes: json.byteLength };
}

/** The entry, or undefined for bytes that are not one (a store shared with an older gateway, a damaged row). */
export async function decodeEntry(bytes: Uint8Array): Promise<CacheEntry | undefined> {
  try {
    const tag = bytes[0];
    const body = bytes.subarray(1);
    const json = tag === RAW ? body : tag === GZIP ? await unzip(body) : undefined;
    if (json === undefined) return undefined;
    const entry = JSON.parse(decoder.decode(json)) as CacheEntry;
    const ok = typeof entry === "object" && entry !== null && typeof entry.target === "string" && typeof entry.storedAt === "number";
    return ok && (entry.kind === "completion" || entry.kind === "stream" || entry.kind === "embedding") ? entry : undefined;
  } catch {
    return undefined;
  }
}
