/**
 * Cross-checking `decide` against the reference interpreter: the same
 * request and the same state (draws replayed from the same seed) must give
 * the same route, the same rejection and the same target order. `aigw check`
 * runs this on every policy test and reports a disagreement as an internal
 * error.
 */
import type { SourceFile } from "../../lang/ast.js";
import type { Graph, TestCase } from "../../compiler/graph.js";
import type { SymbolTable } from "../../compiler/symbols.js";
import { decide } from "../engine/decide.js";
import { prepare, type PreparedGraph } from "../engine/prepare.js";
import type { Decision } from "../engine/decision.js";
import type { Facts } from "../engine/facts.js";
import { givenFacts, givenState, sentParams, type SentParams } from "./policy-tests.js";
import { seedOf, seededRandom } from "../engine/random.js";
import { referenceDecide, referenceSymbols, type ReferenceDecision } from "./reference.js";
import type { StateView } from "../engine/state.js";
import type { Tokenizer } from "../engine/tokens.js";

/** How a decision and a reference decision differ, or undefined when they agree. */
export function compareWithReference(d: Decision, r: ReferenceDecision, sent?: SentParams): string | undefined {
  const show = (x: string[]): string => `[${x.join(", ")}]`;
  if (d.kind === "no-route" || r.kind === "no-route") {
    if (d.kind === r.kind) return undefined;
    return `the evaluator found ${d.kind === "no-route" ? "no route" : `route \`${d.route.name}\``}, the reference ${r.kind === "no-route" ? "no route" : `route \`${r.route}\``}`;
  }
  if (d.route.name !== r.route) return `the evaluator chose route \`${d.route.name}\`, the reference route \`${r.route}\``;
  if (d.kind === "refused" || r.kind === "refused") {
    const dStatus = d.kind === "refused" ? d.status : undefined;
    const rStatus = r.kind === "refused" ? r.status : undefined;
    if (dStatus === rStatus) return undefined;
    const said = (s: number | undefined): string => (s === undefined ? "did not reject" : `rejected with ${s}`);
    return `route \`${r.route}\`: the evaluator ${said(dStatus)}, the reference ${said(rStatus)}`;
  }
  if (d.kind === "rejected" || r.kind === "rejected") {
    const dBy = d.kind === "rejected" ? (d.reason.kind === "budget" ? d.reason.budget : d.reason.limit) : undefined;
    const rBy = r.kind === "rejected" ? r.by.name : undefined;
    if (dBy === rBy) return undefined;
    return `the evaluator ${dBy ? `rejected by \`${dBy}\`` : "accepted"} the request, the reference ${rBy ? `rejected it by \`${rBy}\`` : "accepted it"}`;
  }
  const dTargets = d.plan.targets.map((t) => t.model);
  if (dTargets.join("\u0000") !== r.targets.join("\u0000")) return `route \`${r.route}\`: the evaluator plans ${show(dTargets)}, the reference ${show(r.targets)}`;
  const retries = d.plan.targets[0]?.retries ?? r.retries;
  if (retries !== r.retries) return `route \`${r.route}\`: the evaluator retries ${retries} times, the reference ${r.retries}`;
  if (d.plan.fallbackOn.join(",") !== r.fallbackOn.join(",")) {
    return `route \`${r.route}\`: the evaluator falls back on ${show([...d.plan.fallbackOn])}, the reference on ${show(r.fallbackOn)}`;
  }
  if ((d.downgrade?.model ?? undefined) !== r.downgrade) return `route \`${r.route}\`: the downgrades differ`;
  if (sent !== undefined && r.sent !== undefined) {
    for (const p of Object.keys(r.sent)) {
      if (sent[p] !== r.sent[p]) return `route \`${r.route}\`: the evaluator sends ${p} ${sent[p] ?? "unset"}, the reference ${r.sent[p] ?? "unset"}`;
    }
  }
  return undefined;
}

/** Decides one request both ways from identical states; undefined when they agree. */
export function crossCheck(graph: PreparedGraph, symbols: SymbolTable, facts: Facts, makeState: () => StateView): string | undefined {
  const d = decide(graph, facts, makeState());
  return compareWithReference(d, referenceDecide(symbols, facts, makeState()), sentParams(graph.graph, facts, d));
}

/** A policy test on which `decide` and the reference interpreter disagree. */
export interface Disagreement {
  test: string;
  file: string;
  line: number;
  message: string;
}

/**
 * Runs every policy test's request through both evaluators, with the test's
 * `given`s. Returns the disagreements (empty when all agree). An exception in
 * either evaluator is reported as a disagreement, not thrown.
 */
export function crossCheckTests(files: readonly SourceFile[], graph: Graph, tests: readonly TestCase[], options: { tokenizer?: Tokenizer; seed?: number } = {}): Disagreement[] {
  const symbols = referenceSymbols(files);
  const out: Disagreement[] = [];
  let prepared: PreparedGraph | undefined;
  for (const t of tests) {
    try {
      const facts = givenFacts(t, graph, options.tokenizer);
      const makeState = (): StateView => givenState(t, seededRandom(seedOf(t.name, options.seed ?? 0)), graph);
      const message = crossCheck((prepared ??= prepare(graph)), symbols, facts, makeState);
      if (message !== undefined) out.push({ test: t.name, file: t.span.file, line: t.span.line, message });
    } catch (e) {
      out.push({ test: t.name, file: t.span.file, line: t.span.line, message: `internal error: ${(e as Error).message}` });
    }
  }
  return out;
}
