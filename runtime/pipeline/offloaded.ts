/**
 * The pipeline's side of the guard pass (runtime/offload/): a request whose
 * text is at least the offload threshold has its text analysed ahead of
 * `decide` and its guardrails applied on a worker thread, so it never holds
 * the event loop; a smaller one, or a gateway without workers, runs the
 * same pure functions inline. A worker that crashes or times out fails the
 * request with a 503 (`guard_unavailable`); nothing is sent upstream.
 */
import { applyGuardrails, type Facts, type GuardOutcome, type PreparedGraph } from "../engine/index.js";
import { primeFacts } from "../engine/facts.js";
import { OffloadError, readsText, snapshotFacts, type GuardOffload, type PassResult, type PassTask } from "../offload/index.js";
import { GatewayError } from "./errors.js";
import type { Runtime } from "./runtime.js";

/** Applies guardrails in one direction; on a worker when the texts are large. */
export type ApplyGuard = (prepared: PreparedGraph, guardrails: readonly string[], direction: "input" | "output", facts: Facts, texts: readonly string[]) => GuardOutcome | Promise<GuardOutcome>;

/** The guardrails of `rt`'s graph, inline or on its offload. */
export function guardApplier(rt: Pick<Runtime, "offload">): ApplyGuard {
  const offload = rt.offload;
  if (offload === undefined) return applyGuardrails;
  return (prepared, guardrails, direction, facts, texts) => {
    if (guardrails.length === 0 || totalLength(texts) < offload.threshold) return applyGuardrails(prepared, guardrails, direction, facts, texts);
    // The input's one text is the facts' text: sent once. Output rules never read the input text: left out.
    const textIsFirst = direction === "input" && texts.length === 1 && texts[0] === facts.text;
    const snapshot = snapshotFacts(facts, direction === "input" && !textIsFirst);
    return offloaded(offload, prepared, { kind: "guard", direction, guardrails, facts: snapshot, texts, textIsFirst }).then((r) => {
      if (r.kind !== "guard") throw new Error(`guard pass: a \`${r.kind}\` result for a guard task`);
      const changed = r.texts;
      const out = changed === undefined ? texts : texts.map((t, i) => changed[i] ?? t);
      return { blocked: r.blocked, texts: out, redacted: r.redacted, flagged: r.flagged };
    });
  };
}

/**
 * Before `decide`, for a large input text that some route condition reads
 * (or whose tokens a comparison may count): its normal form, `matches`
 * verdicts and token count, computed on a worker and handed to the facts.
 */
export function analyseAhead(rt: Runtime, facts: Facts): Promise<void> | undefined {
  const offload = rt.offload;
  // Undefined (no promise, no microtask) for a text below the threshold, as nearly every one is.
  if (offload === undefined || facts.text.length < offload.threshold) return undefined;
  const count = rt.needsTokenizer && !facts.tokensCounted && facts.inputBytes >= rt.tokenFloor;
  if (!count && !readsText(rt.prepared)) return undefined;
  return offloaded(offload, rt.prepared, { kind: "text", text: facts.text, count }).then((r) => {
    if (r.kind !== "text") throw new Error(`guard pass: a \`${r.kind}\` result for a text task`);
    primeFacts(facts, r);
  });
}

/** Runs a task on the offload; a crash or timeout is the caller's 503. */
async function offloaded(offload: GuardOffload, prepared: PreparedGraph, task: PassTask): Promise<PassResult> {
  try {
    return await offload.run(prepared.graph, task);
  } catch (e) {
    if (e instanceof OffloadError) throw new GatewayError("guard_unavailable", `the guardrail pass over this request's text failed (${e.reason === "timeout" ? "it took too long" : "its worker stopped"})`);
    throw e;
  }
}

function totalLength(texts: readonly string[]): number {
  let n = 0;
  for (const t of texts) n += t.length;
  return n;
}
