/**
 * Request shaping (lang/SPEC.md §4.8.2): the parameters a route may `set`,
 * `default` or `cap`, each with its type, and the upstream headers it may
 * add. One table read by the check pass, the lowering and the LSP, so a
 * parameter is typed in one place. Pure.
 */
import type { RouteStmt, ShapeVerb, Value } from "../lang/ast.js";
import type { ShapeParams, Shaping } from "./graph.js";
import { quantityType, TOKENS, type ValueType } from "./value-types.js";

/** One shapeable parameter of the canonical request. */
export interface ShapeParam {
  /** Its key in the graph's `ShapeParams`. */
  key: keyof ShapeParams;
  type: ValueType;
  /** The verbs it takes: only `max_tokens` can be capped (the cap is what bounds a reservation). */
  verbs: readonly ShapeVerb[];
}

const BOTH: readonly ShapeVerb[] = ["set", "default"];

/** A list of one to four strings: OpenAI takes at most four stop sequences. */
const STOP_LIST: ValueType = {
  expected: 'a list of up to 4 strings like ["END"]',
  check(v) {
    if (v.kind === "string") return { code: "E201", help: `write it as a list: \`[${JSON.stringify(v.value)}]\`` };
    if (v.kind !== "list" || v.items.some((i) => i.kind !== "string")) return { code: "E201" };
    if (v.items.length === 0 || v.items.length > 4) return { code: "E204", detail: `must list 1 to 4 strings, found ${v.items.length}` };
    return undefined;
  },
};

const POSITIVE_TOKENS: ValueType = { expected: TOKENS.expected, check: (v) => TOKENS.check(v) ?? (v.kind === "quantity" && v.value === 0 ? { code: "E204", detail: "must be more than 0, found `0`" } : undefined) };

/** The parameters, by their name in a policy (the OpenAI chat field's). */
export const SHAPE_PARAMS: ReadonlyMap<string, ShapeParam> = new Map([
  ["max_tokens", { key: "maxTokens", type: POSITIVE_TOKENS, verbs: ["set", "default", "cap"] }],
  ["temperature", { key: "temperature", type: quantityType("a number like 0.2", ["number"], { min: 0, max: 2 }), verbs: BOTH }],
  ["top_p", { key: "topP", type: quantityType("a number like 0.9", ["number"], { min: 0, max: 1 }), verbs: BOTH }],
  ["stop", { key: "stop", type: STOP_LIST, verbs: BOTH }],
]);

/**
 * Header names a policy may not send upstream: credentials (the provider's
 * key is the gateway's to send, and a literal in a policy file is a leaked
 * secret), hop-by-hop headers (they describe one connection, RFC 9110 §7.6.1)
 * and the ones the gateway writes itself.
 */
export const FORBIDDEN_HEADERS: ReadonlyMap<string, string> = new Map([
  ...["authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie", "x-amz-security-token"].map((h) => [h, "a credential"] as const),
  ...["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect"].map((h) => [h, "hop-by-hop"] as const),
  ...["host", "content-length", "content-type", "x-request-id"].map((h) => [h, "written by the gateway"] as const),
]);

/** RFC 9110 token characters: what a header name may be made of. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The value a checked shaping statement lowers to. */
function lowered(v: Value): number | string[] | undefined {
  if (v.kind === "quantity") return v.value;
  if (v.kind === "list") return v.items.flatMap((i) => (i.kind === "string" ? [i.value] : []));
  return undefined;
}

function put(into: ShapeParams, key: keyof ShapeParams, v: number | string[]): void {
  if (key === "stop") into.stop ??= v as string[];
  else into[key] ??= v as number;
}

/**
 * The route's shaping from its (expanded) statements, or undefined when it
 * shapes nothing. The first statement for a parameter and verb wins (the
 * defaults phase left the route's own one last only when it has no other).
 */
export function lowerShaping(body: readonly RouteStmt[]): Shaping | undefined {
  const set: ShapeParams = {};
  const dflt: ShapeParams = {};
  let cap: number | undefined;
  const headers: { name: string; value: string }[] = [];
  for (const s of body) {
    if (s.kind === "upstream_header") {
      const name = s.name.value.toLowerCase();
      if (!headers.some((h) => h.name === name)) headers.push({ name, value: s.value.value });
      continue;
    }
    if (s.kind !== "shape") continue;
    const param = SHAPE_PARAMS.get(s.param.name);
    const v = lowered(s.value);
    if (param === undefined || v === undefined) continue;
    if (s.verb === "cap") cap ??= v as number;
    else put(s.verb === "set" ? set : dflt, param.key, v);
  }
  const out: Shaping = {};
  if (Object.keys(set).length > 0) out.set = set;
  if (Object.keys(dflt).length > 0) out.default = dflt;
  if (cap !== undefined) out.maxTokensCap = cap;
  if (headers.length > 0) out.headers = headers;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The most output tokens per choice a shaped request can ask for, when the
 * route's shaping bounds it: a cap, or a `set max_tokens`. Undefined: the
 * caller's own ask (or the model's bound) decides.
 */
export function shapedMaxTokens(s: Shaping | undefined): number | undefined {
  const set = s?.set?.maxTokens;
  const cap = s?.maxTokensCap;
  if (set !== undefined && cap !== undefined) return Math.min(set, cap);
  return set ?? cap;
}

/** `cap max_tokens 8000, default temperature 0.7, set top_p 0.5, upstream_header x-team: research`: a route's shaping in words (`aigw diff`). */
export function shapingText(s: Shaping): string {
  const name = new Map([...SHAPE_PARAMS].map(([n, p]) => [p.key, n] as const));
  const value = (v: number | string[]): string => (typeof v === "number" ? String(v) : `[${v.map((x) => JSON.stringify(x)).join(", ")}]`);
  const params = (verb: string, p: ShapeParams | undefined): string[] => Object.entries(p ?? {}).map(([k, v]) => `${verb} ${name.get(k as keyof ShapeParams) ?? k} ${value(v as number | string[])}`);
  const parts = [...(s.maxTokensCap === undefined ? [] : [`cap max_tokens ${s.maxTokensCap}`]), ...params("set", s.set), ...params("default", s.default), ...(s.headers ?? []).map((h) => `upstream_header ${h.name}: ${h.value}`)];
  return parts.join(", ");
}

/**
 * The `max_tokens` a route sends for a request that asked `asked` (the
 * shaping rule of runtime/request/shape.ts on this one parameter): what the
 * fit check and `split cheapest` read, so a capped route's target with a
 * smaller `max_output` still takes a larger ask.
 */
export function shapedAsk(s: Shaping | undefined, asked: number | undefined): number | undefined {
  if (s === undefined) return asked;
  const v = s.set?.maxTokens ?? asked ?? s.default?.maxTokens;
  const cap = s.maxTokensCap;
  return cap !== undefined && (v === undefined || v > cap) ? cap : v;
}
