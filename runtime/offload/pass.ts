/**
 * The guard pass: the text work of one request that grows with its size
 * (normalising, counting tokens, `matches` patterns, detectors and
 * redaction), as pure functions of a prepared graph and plain data, so the
 * same code runs on the event loop for small texts and in a worker thread
 * (worker.ts) for large ones. Every task and result is structured-cloneable.
 *
 * - `text`: what conditions read about the input text, computed ahead of
 *   `decide`: its token count, its normal form and the verdict of every
 *   `matches` pattern on `text` (facts.ts `primeFacts` hands them to the
 *   one evaluator, expr.ts, which then reads instead of scanning).
 * - `guard`: `applyGuardrails` in one direction over the located texts.
 * - `log`: the bodies the access log writes (observe/bodies.ts).
 */
import type { ExprNode } from "../../compiler/graph.js";
import { applyGuardrails, makeFacts, tokenFloor, type Facts, type FactsInit, type GuardHit, type PreparedGraph, type Tokenizer } from "../engine/index.js";
import { patternKey, type TextAnalysis } from "../engine/facts.js";
import { compileRegex, readsFact } from "../engine/expr.js";
import { normalizeText } from "../request/index.js";
import { loggedBodies, type LogBodies, type LoggedBodies } from "./log-bodies.js";

/** The plain fields of request facts, the token count when it was counted. */
export type FactsSnapshot = FactsInit;

export type PassTask =
  | { kind: "text"; text: string; count: boolean }
  | {
      kind: "guard";
      direction: "input" | "output";
      guardrails: readonly string[];
      /** Without `text` when it is `texts[0]` (the one input text: sent once). */
      facts: FactsSnapshot;
      texts: readonly string[];
      textIsFirst?: boolean;
    }
  | { kind: "log"; request: unknown; guardrails: readonly string[]; facts: FactsSnapshot; text: string | undefined };

/** A guard verdict; `texts` holds the changed texts only (null where a text is unchanged), undefined when none changed. */
export interface GuardVerdict {
  kind: "guard";
  blocked: GuardHit | undefined;
  texts: (string | null)[] | undefined;
  redacted: readonly GuardHit[];
  flagged: readonly GuardHit[];
}

export type PassResult = ({ kind: "text" } & TextAnalysis) | GuardVerdict | ({ kind: "log" } & LoggedBodies);

/**
 * The facts a task carries: every plain field, the token count if it is
 * known. `withText: false` leaves the input text out (its byte length
 * stays): output rules and the body log read the text under inspection,
 * never the input's, and copying it to a worker would cost the event loop
 * as much again.
 */
export function snapshotFacts(f: Facts, withText = true): FactsSnapshot {
  const s: FactsSnapshot = {
    endpoint: f.endpoint,
    stream: f.stream,
    headers: f.headers,
    labels: f.labels,
    metadata: f.metadata,
    tools: f.tools,
    images: f.images,
  };
  if (withText) s.text = f.text;
  else s.inputBytes = f.inputBytes;
  if (f.model !== undefined) s.model = f.model;
  if (f.temperature !== undefined) s.temperature = f.temperature;
  if (f.topP !== undefined) s.topP = f.topP;
  if (f.key !== undefined) s.key = f.key;
  if (f.team !== undefined) s.team = f.team;
  if (f.user !== undefined) s.user = f.user;
  const session = f.session;
  if (session !== undefined) s.session = session;
  if (f.tokensCounted) s.inputTokens = f.inputTokens;
  return s;
}

/**
 * Runs one task. `tokenizer` is asked for only when a count is needed (a
 * `text` task that counts, or facts whose count a condition may read).
 */
export async function runPass(prepared: PreparedGraph, task: PassTask, tokenizer: () => Promise<Tokenizer>): Promise<PassResult> {
  switch (task.kind) {
    case "text":
      return { kind: "text", ...(await analyseText(prepared, task.text, task.count ? await tokenizer() : undefined)) };
    case "guard": {
      const facts = await factsOf(prepared, task.textIsFirst === true ? { ...task.facts, text: task.texts[0]! } : task.facts, tokenizer);
      const o = applyGuardrails(prepared, task.guardrails, task.direction, facts, task.texts);
      const texts = o.texts === task.texts ? undefined : o.texts.map((t, i) => (t === task.texts[i] ? null : t));
      return { kind: "guard", blocked: o.blocked, texts, redacted: o.redacted, flagged: o.flagged };
    }
    case "log": {
      const bodies: LogBodies = { request: task.request, guardrails: task.guardrails, facts: await factsOf(prepared, task.facts, tokenizer) };
      return { kind: "log", ...loggedBodies(prepared, bodies, task.text) };
    }
  }
}

/** The token count (when a tokenizer is given), the normal form and every `matches` verdict on the text. */
export function analyseText(prepared: PreparedGraph, text: string, tokenizer: Tokenizer | undefined): TextAnalysis {
  const normal = normalizeText(text).text;
  const matches: Record<string, boolean> = {};
  for (const [key, re] of textPatterns(prepared)) matches[key] = re.test(normal);
  const out: TextAnalysis = { normalizedText: normal === text ? null : normal, matches };
  if (tokenizer !== undefined) out.inputTokens = tokenizer.count(text);
  return out;
}

/**
 * Facts rebuilt from a snapshot; with a tokenizer only when a comparison
 * may need the count and it is not in the snapshot (below the graph's token
 * floor the byte length decides every comparison, tokens.ts).
 */
async function factsOf(prepared: PreparedGraph, s: FactsSnapshot, tokenizer: () => Promise<Tokenizer>): Promise<Facts> {
  const facts = makeFacts(s);
  if (s.inputTokens !== undefined || !prepared.readsTokens || facts.inputBytes < floorOf(prepared)) return facts;
  return makeFacts(s, await tokenizer());
}

const floors = new WeakMap<PreparedGraph, number>();

function floorOf(prepared: PreparedGraph): number {
  let floor = floors.get(prepared);
  if (floor === undefined) floors.set(prepared, (floor = tokenFloor(prepared.graph)));
  return floor;
}

const patterns = new WeakMap<PreparedGraph, ReadonlyMap<string, { test(s: string): boolean }>>();

/** Every distinct `matches` pattern on `text` in the graph's conditions (routes and guardrails), compiled once per graph. */
export function textPatterns(prepared: PreparedGraph): ReadonlyMap<string, { test(s: string): boolean }> {
  let found = patterns.get(prepared);
  if (found !== undefined) return found;
  const map = new Map<string, { test(s: string): boolean }>();
  const walk = (e: ExprNode): void => {
    if (e.op === "and" || e.op === "or") e.args.forEach(walk);
    else if (e.op === "not") walk(e.arg);
    else if (e.op === "matches" && e.fact.name === "text") {
      const key = patternKey(e.source, e.flags);
      if (!map.has(key)) map.set(key, compileRegex(e.source, e.flags));
    }
  };
  const graph = prepared.graph;
  for (const r of graph.routes) if (r.when !== undefined) walk(r.when);
  for (const g of Object.values(graph.guardrails)) for (const rule of g.rules) if (rule.when !== undefined) walk(rule.when);
  found = map;
  patterns.set(prepared, found);
  return found;
}

/** Whether any condition of the graph reads `text` (its normal form is then worth computing ahead). */
export function readsText(prepared: PreparedGraph): boolean {
  return prepared.graph.routes.some((r) => (r.when !== undefined && readsFact(r.when, "text")) || (r.target.kind === "split" && r.target.by?.name === "text"));
}
