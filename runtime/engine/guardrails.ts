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
 * The texts are the request's text parts (one per message part, so the
 * server can put redacted parts back where they came from); detectors look
 * at each part, and a condition on `text` sees the parts joined by newlines.
 */
import type { Facts } from "./facts.js";
import type { PreparedRule } from "./guard-compile.js";
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

  for (const name of guardrails) {
    const g = prepared.get(name);
    if (g === undefined) throw new Error(`guardrail \`${name}\` is not in the graph`);
    for (let i = 0; i < g.rules.length; i++) {
      const rule = g.rules[i]!;
      if (rule.on !== direction) continue;
      if (rule.when !== undefined && !rule.when(facts, whole())) continue;
      if (rule.action === "redact") {
        const r = redactRule(rule, current);
        if (r.count > 0) {
          current = r.texts;
          joined = undefined;
          (redacted ??= []).push({ guardrail: name, rule: i, by: rule.by, count: r.count });
        }
        continue;
      }
      const by = firesBy(rule, current);
      if (by === undefined) continue;
      const hit: GuardHit = { guardrail: name, rule: i, by, count: 0 };
      if (rule.action === "block") return { blocked: hit, texts: current, redacted: redacted ?? NO_HITS, flagged: flagged ?? NO_HITS };
      (flagged ??= []).push(hit);
    }
  }
  return { blocked: undefined, texts: current, redacted: redacted ?? NO_HITS, flagged: flagged ?? NO_HITS };
}

/** Which detector fires on any text (or the condition, for a condition-only rule, which already held); undefined if none. */
function firesBy(rule: PreparedRule, texts: readonly string[]): string | undefined {
  if (rule.detectors.length === 0) return rule.by;
  for (const d of rule.detectors) {
    for (const t of texts) if (d.test(t)) return d.name;
  }
  return undefined;
}

function redactRule(rule: PreparedRule, texts: readonly string[]): { texts: readonly string[]; count: number } {
  if (rule.detectors.length === 0) {
    // `redact when …`: the condition held, and there is no narrower thing to remove than the text itself.
    return { texts: texts.map((t) => (t === "" ? t : "[REDACTED]")), count: texts.filter((t) => t !== "").length };
  }
  let out: string[] | undefined;
  let count = 0;
  for (let i = 0; i < texts.length; i++) {
    const r = redactText(texts[i]!, rule.detectors);
    if (r.total > 0) {
      out ??= [...texts];
      out[i] = r.text;
      count += r.total;
    }
  }
  return { texts: out ?? texts, count };
}
