/**
 * A request body as JSON: UTF-8 only, parse errors as a 400 with the
 * parser's position, and a bound on nesting so the steps that walk the body
 * recursively cannot overflow their stack.
 */
import { isUtf8 } from "node:buffer";
import { GatewayError } from "./errors.js";

/**
 * Refuses a body not declared as JSON with 415: `application/json`, with
 * any parameters (`; charset=utf-8`), case-insensitive. A missing
 * content type is refused too: a web page can POST `text/plain` or an
 * untyped body to a local gateway cross-site without a CORS preflight, and
 * only a JSON content type forces one.
 */
export function checkJsonContentType(contentType: string | undefined): void {
  const media = (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
  if (media === "application/json") return;
  const seen = contentType === undefined || media === "" ? "no content-type" : `content-type \`${media.slice(0, 100)}\``;
  throw new GatewayError("unsupported_media_type", `request body must be json: expected content-type \`application/json\`, got ${seen}`);
}

/**
 * How deep arrays and objects may nest in a request body. JSON.parse itself
 * copes with any depth, but the steps after it (guardrails, token counting,
 * re-serialising for the upstream) walk the body recursively, and 100k
 * nested `[` overflow their stack: a 500 at best. Legitimate requests,
 * tool schemas included, nest a few tens of levels at most.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Parses the raw body as JSON; a parse error is a 400 with the parser's
 * position. Bytes must be UTF-8 (RFC 8259): invalid sequences are refused
 * rather than silently turned into U+FFFD and sent on to a model.
 */
export function parseJsonBody(body: Uint8Array | string): unknown {
  let text: string;
  if (typeof body === "string") {
    text = body;
  } else {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (!isUtf8(bytes)) throw new GatewayError("invalid_json", "request body is not valid utf-8");
    text = bytes.toString("utf8");
  }
  if (text.length === 0) throw new GatewayError("invalid_json", "request body is empty: expected a json object");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new GatewayError("invalid_json", `request body is not valid json: ${detail}`);
  }
  checkDepth(value);
  return value;
}

/**
 * Refuses a body nesting deeper than {@link MAX_JSON_DEPTH}, naming the
 * top-level field it is under. Iterative, so the check itself cannot
 * overflow; it visits only arrays and objects, so long strings cost nothing.
 */
function checkDepth(root: unknown): void {
  if (typeof root !== "object" || root === null) return;
  const values: object[] = [root];
  const depths: number[] = [1];
  const fields: (string | null)[] = [null];
  while (values.length > 0) {
    const v = values.pop()!;
    const depth = depths.pop()!;
    const field = fields.pop()!;
    if (depth > MAX_JSON_DEPTH) {
      const where = field === null ? "request body" : `\`${field}\``;
      throw new GatewayError("invalid_request", `${where} nests deeper than ${MAX_JSON_DEPTH} levels`, { param: field });
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === "object" && x !== null) {
          values.push(x);
          depths.push(depth + 1);
          fields.push(field);
        }
      }
      continue;
    }
    for (const k in v) {
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === "object" && x !== null) {
        values.push(x);
        depths.push(depth + 1);
        fields.push(depth === 1 ? k : field);
      }
    }
  }
}

