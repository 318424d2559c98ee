/**
 * Output guardrails on streamed text (lang/SPEC.md §7.5). Pure: text in,
 * text out, one `TextGuard` per stream position (a choice's content, its
 * refusal, its reasoning, each tool call's arguments).
 *
 * The route's output rules run in order, as on a whole reply, each as a
 * stage the text flows through: a `redact` stage holds back its window
 * (stream-window.ts) and releases the settled text with its matches
 * replaced, so the next stage sees redacted text exactly as the next rule
 * would; a `block` stage releases the text before its first match and
 * stops; a `flag` stage passes text on at once and only counts. A rule's
 * `when` that does not read the text is decided once, up front; `when text
 * matches /…/` is a pattern over the stream (the compiler refuses any other
 * test of the text on a guardrail that inspects streams, E209). Hence the
 * concatenation of what a position releases is the whole reply's redaction,
 * and the text held back is at most the sum of the redact and block rules'
 * windows.
 */
import type { ExprNode } from "../../compiler/graph.js";
import { compileDetector, type Detector } from "./detectors/index.js";
import type { Facts } from "./facts.js";
import type { PreparedRule } from "./guard-compile.js";
import type { GuardHit } from "./guardrails.js";
import { GraphError } from "./expr.js";
import type { PreparedGraph } from "./prepare.js";
import { StreamWindow } from "./stream-window.js";

/** One output rule as a stream stage. */
interface StageSpec {
  readonly guardrail: string;
  readonly rule: number;
  readonly by: string;
  readonly action: "block" | "redact" | "flag";
  /** Empty: a condition that held up front (blocks or flags before any text). */
  readonly detectors: readonly Detector[];
  readonly hold: number;
}

/** What a route's output guardrails do to its streams, for one request. */
export interface StreamGuardPlan {
  readonly stages: readonly StageSpec[];
  /** Characters held back at most (the redact and block windows added up). */
  readonly hold: number;
}

/** Tallies what the stages did across every position of one stream (the decision record). */
export class StreamHits {
  readonly redacted = new Map<StageSpec, number>();
  readonly flagged = new Set<StageSpec>();
  blocked: GuardHit | undefined;

  /** The hits in the engine's shapes, in rule order. */
  report(plan: StreamGuardPlan): { redacted: GuardHit[]; flagged: GuardHit[]; blocked: GuardHit | undefined } {
    const redacted: GuardHit[] = [];
    const flagged: GuardHit[] = [];
    for (const s of plan.stages) {
      const n = this.redacted.get(s);
      if (n !== undefined) redacted.push(hitOf(s, n));
      if (this.flagged.has(s)) flagged.push(hitOf(s, 0));
    }
    return { redacted, flagged, blocked: this.blocked };
  }
}

const hitOf = (s: StageSpec, count: number): GuardHit => ({ guardrail: s.guardrail, rule: s.rule, by: s.by, count });

/** `when text matches /…/` as a detector, compiled once per rule (not per request). */
const textPatterns = new WeakMap<PreparedRule, readonly Detector[]>();

/** Whether a condition reads the output text. */
function readsText(e: ExprNode): boolean {
  switch (e.op) {
    case "and":
    case "or":
      return e.args.some(readsText);
    case "not":
      return readsText(e.arg);
    default:
      return e.fact.name === "text";
  }
}

/**
 * The stream stages of `guardrails` for a request with `facts`, or
 * undefined when none inspects streams (no output rules, `streams off`, or
 * every rule's condition false).
 */
export function streamGuardPlan(graph: PreparedGraph, guardrails: readonly string[], facts: Facts): StreamGuardPlan | undefined {
  const stages: StageSpec[] = [];
  for (const name of guardrails) {
    const node = graph.graph.guardrails[name];
    const g = graph.guardrails.get(name);
    if (node === undefined || g === undefined || node.streams === false) continue;
    g.rules.forEach((rule, i) => {
      if (rule.on !== "output") return;
      let detectors = rule.detectors;
      const w = rule.whenNode;
      if (w !== undefined && readsText(w)) {
        if (w.op !== "matches" || rule.action === "redact") throw new GraphError(`guardrail \`${name}\` rule ${i + 1}: a condition on \`text\` other than \`text matches\` cannot inspect a stream`);
        detectors = textPatterns.get(rule) ?? [];
        if (detectors.length === 0) textPatterns.set(rule, (detectors = [compileDetector({ kind: "pattern", source: w.source, flags: w.flags }, node.window)]));
      } else if (rule.when !== undefined && !rule.when(facts, "")) return;
      let hold = 0;
      for (const d of detectors) {
        if (d.maxSpan === undefined) throw new GraphError(`guardrail \`${name}\` rule ${i + 1}: \`${d.name}\` has no longest match to inspect a stream with`);
        hold = Math.max(hold, d.maxSpan);
      }
      stages.push({ guardrail: name, rule: i, by: rule.by, action: rule.action, detectors, hold });
    });
  }
  if (stages.length === 0) return undefined;
  return { stages, hold: stages.reduce((n, s) => n + (s.action === "flag" ? 0 : s.hold), 0) };
}

/** What a position released, and the block that ended it. */
export interface Released {
  readonly text: string;
  readonly blocked?: GuardHit;
}

/** One stage running over one position's text. */
class Stage {
  private readonly window: StreamWindow | undefined;
  private stopped = false;

  constructor(
    private readonly spec: StageSpec,
    private readonly hits: StreamHits,
  ) {
    this.window = spec.detectors.length === 0 ? undefined : new StreamWindow(spec.detectors, spec.hold);
  }

  get held(): number {
    return this.window?.held ?? 0;
  }

  push(text: string, final: boolean): Released {
    const s = this.spec;
    if (this.stopped) return { text: "" };
    if (this.window === undefined) {
      // A condition that held up front: a block withholds everything, a flag only records.
      if (s.action === "flag") {
        this.hits.flagged.add(s);
        return { text };
      }
      return this.block("");
    }
    const settled = this.window.push(text, final);
    const spans = settled.spans;
    if (s.action === "flag") {
      if (spans.length > 0) this.hits.flagged.add(s);
      return { text };
    }
    if (spans.length === 0) return { text: settled.text };
    if (s.action === "block") return this.block(settled.text.slice(0, spans[0]));
    let out = "";
    let pos = 0;
    for (let i = 0; i < spans.length; i += 3) {
      out += settled.text.slice(pos, spans[i]) + s.detectors[spans[i + 2]!]!.placeholder;
      pos = spans[i + 1]!;
    }
    this.hits.redacted.set(s, (this.hits.redacted.get(s) ?? 0) + spans.length / 3);
    return { text: out + settled.text.slice(pos) };
  }

  /** Stops the stage (and so the stream): `text` is what came before the match. */
  private block(text: string): Released {
    this.stopped = true;
    const hit = hitOf(this.spec, 0);
    this.hits.blocked ??= hit;
    return { text, blocked: hit };
  }
}

/** The output rules over one stream position: feed its deltas to `push`, then call `end`. */
export class TextGuard {
  private readonly stages: Stage[];

  constructor(plan: StreamGuardPlan, hits: StreamHits) {
    this.stages = plan.stages.map((s) => new Stage(s, hits));
  }

  /** Characters held back now, over every stage. */
  get held(): number {
    let n = 0;
    for (const s of this.stages) n += s.held;
    return n;
  }

  /** The text that can be released after `text` arrived. */
  push(text: string): Released {
    return this.run(text, false);
  }

  /** The text has ended: the rest. */
  end(): Released {
    return this.run("", true);
  }

  private run(text: string, final: boolean): Released {
    let t = text;
    for (const stage of this.stages) {
      const r = stage.push(t, final);
      if (r.blocked !== undefined) return r;
      t = r.text;
    }
    return { text: t };
  }
}
