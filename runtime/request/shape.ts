/**
 * Request shaping (lang/SPEC.md §4.8.2) on the canonical request: a route's
 * `set`, `default` and `cap max_tokens` applied to what the request asks,
 * so every provider adapter encodes the shaped values whatever the inbound
 * API. `shapeParams` is the rule on the parameters alone (the policy tests
 * and the reference interpreter apply it to a test's request facts);
 * `shapeRequest` applies it to a canonical request. Pure.
 */
import type { ShapeParams, Shaping } from "../../compiler/graph.js";
import type { CanonicalRequest } from "./model.js";

/** How a parameter came to its shaped value. */
export type ShapeHow = "set" | "default" | "cap";

/** One parameter the shaping changed, by its policy name (`max_tokens`, `temperature`, `top_p`, `stop`). */
export interface ShapeChange {
  readonly param: string;
  readonly how: ShapeHow;
  /** What the caller asked; absent when it asked nothing. */
  readonly from?: number | readonly string[];
  readonly to: number | readonly string[];
}

const NAMES: Record<keyof ShapeParams, string> = { maxTokens: "max_tokens", temperature: "temperature", topP: "top_p", stop: "stop" };
const KEYS = Object.keys(NAMES) as (keyof ShapeParams)[];

type Param = number | readonly string[] | undefined;
type Asked = { readonly [K in keyof ShapeParams]?: K extends "stop" ? readonly string[] : number };

function same(a: Param, b: Param): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/**
 * The parameters after shaping, and what changed: `set` always, `default`
 * where nothing was asked, then `max_tokens` lowered to the cap — and set to
 * it when still absent, so the worst case a budget reserves is the cap.
 */
export function shapeParams(asked: Asked, s: Shaping): { params: Asked; changes: ShapeChange[] } {
  const out: { -readonly [K in keyof Asked]: Asked[K] } = { ...asked };
  const how = new Map<keyof ShapeParams, ShapeHow>();
  for (const k of KEYS) {
    const set = s.set?.[k];
    const dflt = s.default?.[k];
    if (set !== undefined) {
      (out as Record<string, Param>)[k] = set;
      how.set(k, "set");
    } else if (dflt !== undefined && asked[k] === undefined) {
      (out as Record<string, Param>)[k] = dflt;
      how.set(k, "default");
    }
  }
  const cap = s.maxTokensCap;
  if (cap !== undefined && (out.maxTokens === undefined || out.maxTokens > cap)) {
    out.maxTokens = cap;
    how.set("maxTokens", "cap");
  }
  const changes: ShapeChange[] = [];
  for (const k of KEYS) {
    const to = out[k];
    if (to === undefined || same(asked[k], to)) continue;
    const from = asked[k];
    changes.push(from === undefined ? { param: NAMES[k], how: how.get(k)!, to } : { param: NAMES[k], how: how.get(k)!, from, to });
  }
  return { params: out, changes };
}

/** The request's own shapeable parameters. */
export function askedOf(req: CanonicalRequest): Asked {
  const o = req.output;
  const a: { -readonly [K in keyof Asked]: Asked[K] } = {};
  if (o.maxTokens !== undefined) a.maxTokens = o.maxTokens;
  if (req.sampling.temperature !== undefined) a.temperature = req.sampling.temperature;
  if (req.sampling.topP !== undefined) a.topP = req.sampling.topP;
  if (o.stop !== undefined) a.stop = o.stop;
  return a;
}

/** OpenAI chat fields kept as sent in passthrough that a shaped value must replace (request/chat.ts). */
const TOKEN_FIELDS = ["max_tokens", "max_completion_tokens"];

/**
 * `req` shaped by `s` (a new request; `req` itself when nothing changes),
 * with the changes. An embeddings request has nothing to shape. A chat
 * request's bound stays under the spelling the caller used
 * (`max_tokens` or `max_completion_tokens`); a null it sent for a shaped
 * parameter ("the default") gives way to the shaped value.
 */
export function shapeRequest(req: CanonicalRequest, s: Shaping): { request: CanonicalRequest; changes: ShapeChange[] } {
  if (req.operation !== "chat") return { request: req, changes: [] };
  const { params, changes } = shapeParams(askedOf(req), s);
  if (changes.length === 0) return { request: req, changes };
  const output: Record<string, unknown> = { ...req.output };
  const sampling: Record<string, unknown> = { ...req.sampling };
  if (params.maxTokens !== undefined) output["maxTokens"] = params.maxTokens;
  if (params.stop !== undefined) output["stop"] = params.stop;
  if (params.temperature !== undefined) sampling["temperature"] = params.temperature;
  if (params.topP !== undefined) sampling["topP"] = params.topP;
  let passthrough = req.passthrough;
  if (passthrough.api === "openai.chat") {
    const fields: Record<string, unknown> = { ...passthrough.fields };
    for (const c of changes) {
      if (c.param === "max_tokens") {
        for (const f of TOKEN_FIELDS) if (f in fields) fields[f] = c.to;
      } else delete fields[c.param];
    }
    passthrough = { api: passthrough.api, fields };
  }
  return { request: { ...req, output, sampling, passthrough }, changes };
}

/** `max_tokens 20000 → 8000 (cap), temperature set 0.2`: the changes as the decision record and `aigw explain` say them. */
export function describeShaping(changes: readonly ShapeChange[]): string {
  const text = (v: number | readonly string[]): string => (typeof v === "number" ? String(v) : `[${v.map((x) => JSON.stringify(x)).join(", ")}]`);
  return changes.map((c) => (c.from === undefined ? `${c.param} ${c.how === "set" ? "set" : c.how === "cap" ? "capped" : "defaulted"} ${text(c.to)}` : `${c.param} ${text(c.from)} → ${text(c.to)}${c.how === "cap" ? " (cap)" : ""}`)).join(", ");
}
