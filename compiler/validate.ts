/**
 * Validates a decision graph against graph.schema.json with ajv's
 * validator for it, generated ahead as standalone code
 * (graph-validator.generated.ts, by scripts/gen-graph-validator.mjs): a
 * process loads it instead of compiling the schema, which cost every
 * `aigw serve`, `check` and `lsp` 0.5–1.5 s of CPU at start. The compiler
 * validates every graph it emits and the runtime every graph it loads, so a
 * graph that does not match the schema never serves traffic. Two facts the
 * schema cannot state are checked after it: route indices point at routes
 * and are ascending (first-match order).
 *
 * The generator's ajv options: strictRequired is off because `anyOf:
 * [{ required: [...] }]` names properties declared beside it (the idiom for
 * "at least one of"); union types are meant (a literal is a string, number
 * or boolean); and `discriminator` makes each tagged `oneOf` check one
 * branch instead of all, which keeps validating a 10,000-route graph fast
 * and its error messages about the branch that was meant.
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import generated from "./graph-validator.generated.js";
import type { Graph } from "./graph.js";

const check = generated as ValidateFunction<Graph>;

function describe(e: ErrorObject): string {
  const where = e.instancePath === "" ? "the graph" : e.instancePath;
  return `${where} ${e.message ?? "is invalid"}`;
}

/** Index lists must name existing routes in ascending order, or first-match order would be lost. */
function indexProblems(graph: Graph): string[] {
  const problems: string[] = [];
  const check = (list: readonly number[], where: () => string): void => {
    for (let n = 0; n < list.length; n++) {
      const i = list[n]!;
      if (i >= graph.routes.length) problems.push(`${where()}/${n} points at route ${i}, but there are ${graph.routes.length} routes`);
      else if (n > 0 && i <= list[n - 1]!) problems.push(`${where()} is not in ascending route order`);
    }
  };
  check(graph.index.anyModel, () => "/index/anyModel");
  for (const model in graph.index.byModel) check(graph.index.byModel[model]!, () => `/index/byModel/${model}`);
  return problems;
}

/** Checks `value` against the graph schema; on success it is typed as a `Graph`. */
export function validateGraph(value: unknown): { ok: true; graph: Graph } | { ok: false; errors: string[] } {
  if (!check(value)) return { ok: false, errors: (check.errors ?? []).map(describe) };
  const problems = indexProblems(value);
  return problems.length === 0 ? { ok: true, graph: value } : { ok: false, errors: problems };
}
