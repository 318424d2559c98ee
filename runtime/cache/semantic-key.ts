/**
 * What a semantic cache compares (lang/SPEC.md §4.10): the request's last
 * message, when it is the user's and only text, is the one part allowed to
 * vary; its text is what is embedded. Everything else — the system prompt,
 * the earlier turns, tools, sampling, output constraints, stream or not,
 * the target, the scope, the cache and the policy version — must be equal,
 * so it is hashed into the partition the vectors are compared within: the
 * exact-match key material (key.ts) of the request with that last text
 * left empty.
 *
 * A request whose last message is not a plain user text (a tool result, an
 * image, an assistant prefill) and an embeddings request take part in the
 * exact cache only: there is no one user text to compare.
 */
import { createHash } from "node:crypto";
import type { CanonicalRequest, Message } from "../request/index.js";
import { keyMaterial, type KeyContext } from "./key.js";

export interface SemanticQuery {
  /** The last user text, embedded. */
  readonly text: string;
  /** The partition its vector is compared within (64 hex digits). */
  readonly partition: string;
}

/** The text to embed and its partition; undefined when the request has no last user text to compare. */
export function semanticQuery(request: CanonicalRequest, ctx: KeyContext): SemanticQuery | undefined {
  if (request.operation !== "chat") return undefined;
  const last = request.messages.at(-1);
  if (last === undefined || last.role !== "user" || last.content.length === 0) return undefined;
  const texts: string[] = [];
  for (const b of last.content) {
    if (b.kind !== "text") return undefined;
    texts.push(b.text);
  }
  const text = texts.join("\n");
  if (text.trim() === "") return undefined;
  const blank: Message = { ...last, content: [] };
  const rest: CanonicalRequest = { ...request, messages: [...request.messages.slice(0, -1), blank] };
  const partition = createHash("sha256").update("semantic\n").update(keyMaterial(rest, ctx)).digest("hex");
  return { text, partition };
}
