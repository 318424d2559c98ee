/**
 * Capability constraints: whether a target can take a request at all
 * (lang/SPEC.md §7.8). A model that declares `supports […]` has exactly
 * those capabilities; `context` bounds the request's input tokens plus the
 * output it asks for; `max_output` bounds the `max_tokens` it asks for. A
 * model that declares none of the three is never a reason to skip.
 *
 * `decide` leaves a target that cannot take the request out of its plan —
 * it is never attempted, unlike an ejected one, which is only tried last —
 * and a split draws among the arms that can. What the request needs is read
 * from the facts (the canonical request's tools, image parts, response
 * format, stream flag and `max_tokens`), once, and only for routes whose
 * targets declare something; the token count is read only when the byte
 * bound does not already settle the context check.
 */
import type { Capability, Graph } from "../../compiler/graph.js";
import type { Facts } from "./facts.js";
import type { AttemptPlan } from "./plan.js";

/** Why a target cannot take a request: a capability it lacks, or too little room. */
export type Lack = Capability | "context" | "max_output";

/** A target left out of the plan because it cannot take the request. */
export interface UnfitTarget {
  readonly model: string;
  readonly lacks: readonly Lack[];
  /** The model's context, when `context` is a lack. */
  readonly context?: number;
  /** The model's max output, when `max_output` is a lack. */
  readonly maxOutput?: number;
}

/** What one model can take, as `decide` checks it. */
export interface ModelFit {
  /** Bits of the capabilities it has (see BIT); undefined: not declared, so any. */
  readonly supports: number | undefined;
  readonly context: number | undefined;
  readonly maxOutput: number | undefined;
}

const BIT: Readonly<Record<Capability, number>> = { tools: 1, images: 2, json_schema: 4, stream: 8 };
const ORDER: readonly Capability[] = ["tools", "images", "json_schema", "stream"];
const NO_LACKS: readonly Lack[] = Object.freeze([]);

/** The fit of every model that declares `supports`, `context` or `max_output` (the others fit every request). */
export function modelFits(graph: Pick<Graph, "models">): ReadonlyMap<string, ModelFit> {
  const out = new Map<string, ModelFit>();
  for (const name of Object.keys(graph.models)) {
    const m = graph.models[name]!;
    if (m.supports === undefined && m.context === undefined && m.maxOutput === undefined) continue;
    let bits: number | undefined;
    if (m.supports !== undefined) {
      bits = 0;
      for (const c of m.supports) bits |= BIT[c] ?? 0;
    }
    out.set(name, { supports: bits, context: m.context, maxOutput: m.maxOutput });
  }
  return out;
}

/** The capability bits a request needs. */
export function needsOf(f: Facts): number {
  return (f.tools ? BIT.tools : 0) | (f.images ? BIT.images : 0) | (f.jsonSchema ? BIT.json_schema : 0) | (f.stream ? BIT.stream : 0);
}

/** What a model lacks for the request whose needs are `needs` (empty: it can take it). */
export function lacksOf(fit: ModelFit, needs: number, f: Facts, asked: number = f.maxTokens ?? 0): readonly Lack[] {
  let out: Lack[] | undefined;
  const missing = fit.supports === undefined ? 0 : needs & ~fit.supports;
  if (missing !== 0) for (const c of ORDER) if ((missing & BIT[c]) !== 0) (out ??= []).push(c);
  // The byte length bounds the token count, so most requests are settled without counting.
  if (fit.context !== undefined && f.maxInputTokens + asked > fit.context && f.inputTokens + asked > fit.context) (out ??= []).push("context");
  if (fit.maxOutput !== undefined && asked > fit.maxOutput) (out ??= []).push("max_output");
  return out ?? NO_LACKS;
}

/**
 * One request's capability checks on one route: each model is judged once,
 * and every model found unable is remembered, in the order judged, for the
 * decision record.
 */
export class FitCheck {
  readonly unfit: UnfitTarget[] = [];
  private readonly needs: number;
  // A route has a handful of targets: a linear memo is cheaper than a Map per decision.
  private readonly names: string[] = [];
  private readonly verdicts: boolean[] = [];
  constructor(
    private readonly fits: ReadonlyMap<string, ModelFit>,
    private readonly facts: Facts,
    /** The `max_tokens` the route sends (its shaping applied, lang/SPEC.md §4.8.2). */
    private readonly asked: number = facts.maxTokens ?? 0,
  ) {
    this.needs = needsOf(facts);
  }

  /** Whether `model` can take the request. */
  takes(model: string): boolean {
    for (let i = 0; i < this.names.length; i++) if (this.names[i] === model) return this.verdicts[i]!;
    const fit = this.fits.get(model);
    const lacks = fit === undefined ? NO_LACKS : lacksOf(fit, this.needs, this.facts, this.asked);
    if (lacks.length > 0) {
      const room = { ...(lacks.includes("context") ? { context: fit!.context } : {}), ...(lacks.includes("max_output") ? { maxOutput: fit!.maxOutput } : {}) };
      this.unfit.push({ model, lacks, ...room });
    }
    this.names.push(model);
    this.verdicts.push(lacks.length === 0);
    return lacks.length === 0;
  }
}

/** The plan without the targets that cannot take the request (the plan itself when all can). */
export function fitPlan(plan: AttemptPlan, check: FitCheck): AttemptPlan {
  let all = true;
  for (const t of plan.targets) if (!check.takes(t.model)) all = false;
  if (all) return plan;
  const targets = plan.targets.filter((t) => check.takes(t.model));
  const retries = plan.targets[0]!.retries;
  return Object.freeze({ ...plan, targets: Object.freeze(targets), maxAttempts: targets.length * (retries + 1) });
}

/** The smallest declared context (Infinity when none): texts shorter in bytes never need counting for it. */
export function smallestContext(graph: Pick<Graph, "models">): number {
  let least = Infinity;
  for (const m of Object.values(graph.models)) if (m.context !== undefined && m.context < least) least = m.context;
  return least;
}

/** `no images`, `a context of 16000 tokens` …: one lack of `u` in a sentence. */
export function describeLack(lack: Lack, u: UnfitTarget): string {
  switch (lack) {
    case "context":
      return `a context of ${u.context} tokens`;
    case "max_output":
      return `an output of ${u.maxOutput} tokens at most`;
    default:
      return `no ${lack}`;
  }
}

/** What the request asked for that a lack refuses, for messages: `images`, `max_tokens 50000`. */
export function describeNeed(lack: Lack, f: Facts): string {
  switch (lack) {
    case "context":
      return `${f.tokensCounted ? f.inputTokens : f.maxInputTokens} input tokens${f.maxTokens === undefined ? "" : ` plus max_tokens ${f.maxTokens}`}`;
    case "max_output":
      return `max_tokens ${f.maxTokens ?? 0}`;
    case "json_schema":
      return "a json_schema response format";
    case "stream":
      return "a stream";
    default:
      return lack;
  }
}

/** `gpt-35 skipped: no images` */
export function describeUnfit(u: UnfitTarget): string {
  return `${u.model} skipped: ${u.lacks.map((l) => describeLack(l, u)).join(", ")}`;
}

/** The request field a lack is about, for the 400's `param`. */
export function lackParam(lack: Lack): string {
  switch (lack) {
    case "tools":
      return "tools";
    case "json_schema":
      return "response_format";
    case "stream":
      return "stream";
    case "max_output":
      return "max_tokens";
    default:
      return "messages";
  }
}

/**
 * The 400's message when no target of a route can take the request:
 * `no target of route \`chat\` can take this request (images): \`gpt-35\` has no images; …`.
 */
export function unfitMessage(route: string, unfit: readonly UnfitTarget[], f: Facts): string {
  const needs: string[] = [];
  for (const u of unfit) for (const l of u.lacks) if (!needs.includes(describeNeed(l, f))) needs.push(describeNeed(l, f));
  const why = unfit.map((u) => `\`${u.model}\` has ${u.lacks.map((l) => describeLack(l, u)).join(", ")}`).join("; ");
  return `no target of route \`${route}\` can take this request (it needs ${needs.join(", ")}): ${why}`;
}
