/**
 * Tool-call ids between OpenAI's chat shape and Gemini's. OpenAI needs an
 * id on every call and a tool result names the call by it; Gemini's older
 * models send none, so the gateway makes one up (`call_aigw_…`, not sent
 * back). Gemini 3 also signs each function call (`thoughtSignature`) and
 * refuses a conversation that returns a call without its signature; the
 * chat shape has no field for it, so it travels in the id, after
 * `__thought__` (as other gateways carry it), and goes back on the call's
 * part. Pure.
 */

export const SYNTHETIC_ID_PREFIX = "call_aigw_";
const SIGNATURE = "__thought__";

/** The id the caller sees for a call: Gemini's own or `made`, with the call's signature when there is one. */
export function toCallerId(geminiId: string | undefined, made: string, signature: string | undefined): string {
  const id = geminiId ?? made;
  return signature === undefined || signature === "" ? id : `${id}${SIGNATURE}${signature}`;
}

/** What a caller's tool-call id carries back: Gemini's id (absent when the gateway made it up) and the signature. */
export function fromCallerId(callerId: string): { id?: string; signature?: string } {
  const at = callerId.indexOf(SIGNATURE);
  const id = at < 0 ? callerId : callerId.slice(0, at);
  const out: { id?: string; signature?: string } = {};
  if (!id.startsWith(SYNTHETIC_ID_PREFIX)) out.id = id;
  if (at >= 0) out.signature = callerId.slice(at + SIGNATURE.length);
  return out;
}
