/**
 * Applying guardrails to the input (before anything is sent upstream) or to
 * the output (before it is returned). Pure: texts in, verdict and redacted
 * texts out.
 *
 * Rules run in order: the decision's guardrail list in order, each
 * guardrail's rules in order, skipping rules for the other direction.
 * - `block <detectors>` / `block when <cond>`: the first that fires stops
 *   everything (HTTP 400 naming the guardrail; nothing is sent).
 * - `redact <detectors>`: every match is replaced by the detector's
 *   placeholder; later rules see the redacted text. `redact when <cond>`
 *   replaces each whole text with `[REDACTED]`.
 * - `flag …`: recorded only.
 * A rule with both detectors and a condition acts only when the condition holds.
 *
 * The texts are everything the model reads (runtime/request/text.ts: one
 * per field, so the server can put redacted texts back where they came
 * from); detectors look at each text's normal form (normalize.ts) and
 * redaction edits the original, and a condition on `text` sees the texts
 * joined by newlines (its `matches` reading the normal form, see expr.ts).
 */
import type { Facts } from "./facts.js";
import type { PreparedRule } from "./guard-compile.js";
import { normalizeText, type NormalizedText } from "../request/index.js";
import type { PreparedGraph } from "./prepare.js";
import { redactText } from "./redact.js";

/** A guardrail rule that fired. */
export interface GuardHit {
  readonly guardrail: string;
  /** 0-based rule index within the guardrail. */
  readonly rule: number;
  /** The detectors or condition that fired: `email`, `when input_tokens > 100000`. */
  readonly by: string;
  /** Matches replaced (redact rules). */
  readonly count: number;
}

/** The verdict of applying guardrails in one direction. */
export interface GuardOutcome {
  /** The block that stopped the request, if any. */
  readonly blocked: GuardHit | undefined;
  /** The texts after redaction: the input array itself when nothing changed. */
  readonly texts: readonly string[];
  readonly redacted: readonly GuardHit[];
  readonly flagged: readonly GuardHit[];
}

const NO_HITS: readonly GuardHit[] = Object.freeze([]);

/**
 * Applies `guardrails` (names, usually `decision.guardrails`) to texts in one
 * direction. `texts` defaults to the input text as one part. Unknown names
 * cannot occur in a prepared graph (prepare rejects them).
 */
export function applyGuardrails(
  graph: PreparedGraph,
  guardrails: readonly string[],
  direction: "input" | "output",
  facts: Facts,
  texts: readonly string[] = [facts.text],
): GuardOutcome {
  if (guardrails.length === 0) return { blocked: undefined, texts, redacted: NO_HITS, flagged: NO_HITS };
  const prepared = graph.guardrails;
  let current = texts;
  let joined: string | undefined;
  let redacted: GuardHit[] | undefined;
  let flagged: GuardHit[] | undefined;
  const whole = (): string => (joined ??= current.join("\n"));
  // Each text's normal form, computed once and again only after a redaction changed the text.
  const views: (NormalizedText | undefined)[] = [];
  const view = (i: number): NormalizedText => (views[i] ??= normalizeText(current[i]!));

  for (const name of guardrails) {
    const g = prepared.get(name);
    if (g === undefined) throw new Error(`guardrail \`${name}\` is not in the graph`);
    for (let i = 0; i < g.rules.length; i++) {
      const rule = g.rules[i]!;
      if (rule.on !== direction) continue;
      if (rule.when !== undefined && !rule.when(facts, whole())) continue;
      if (rule.action === "redact") {
        const r = redactRule(rule, current, view);
        if (r.count > 0) {
          for (const j of r.changed) views[j] = undefined;
          current = r.texts;
          joined = undefined;
          (redacted ??= []).push({ guardrail: name, rule: i, by: rule.by, count: r.count });
        }
        continue;
      }
      const by = firesBy(rule, current.length, view);
      if (by === undefined) continue;
      const hit: GuardHit = { guardrail: name, rule: i, by, count: 0 };
      if (rule.action === "block") return { blocked: hit, texts: current, redacted: redacted ?? NO_HITS, flagged: flagged ?? NO_HITS };
      (flagged ??= []).push(hit);
    }
  }
  return { blocked: undefined, texts: current, redacted: redacted ?? NO_HITS, flagged: flagged ?? NO_HITS };
}

/** Which detector fires on any text's normal form (or the condition, for a condition-only rule, which already held); undefined if none. */
function firesBy(rule: PreparedRule, count: number, view: (i: number) => NormalizedText): string | undefined {
  if (rule.detectors.length === 0) return rule.by;
  for (const d of rule.detectors) {
    for (let i = 0; i < count; i++) if (d.test(view(i).text)) return d.name;
  }
  return undefined;
}

function redactRule(rule: PreparedRule, texts: readonly string[], view: (i: number) => NormalizedText): { texts: readonly string[]; count: number; changed: number[] } {
  const changed: number[] = [];
  if (rule.detectors.length === 0) {
    // `redact when …`: the condition held, and there is no narrower thing to remove than the text itself.
    const out = texts.map((t, i) => (t === "" || t === "[REDACTED]" ? t : (changed.push(i), "[REDACTED]")));
    return { texts: out, count: texts.filter((t) => t !== "").length, changed };
  }
  let out: string[] | undefined;
  let count = 0;
  for (let i = 0; i < texts.length; i++) {
    const r = redactText(texts[i]!, rule.detectors, view(i));
    if (r.total > 0) {
      out ??= [...texts];
      out[i] = r.text;
      count += r.total;
      changed.push(i);
    }
  }
  return { texts: out ?? texts, count, changed };
}
