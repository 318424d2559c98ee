/**
 * "Did you mean" for unknown references. Unlike settings (compiler/suggest.ts),
 * a misspelt reference may be closest to a declaration of another kind, and
 * the help says which kind it is: "did you mean `pii`, a guardrail?".
 */
import { editDistance } from "../suggest.js";
import type { SymbolTable } from "../symbols.js";
import { DECL_KINDS, tableOf, type DeclKind } from "./references.js";

export interface Suggestion {
  name: string;
  kind: DeclKind;
}

/** Shortest name for which a prefix match counts; `g` is a prefix of too much. */
const MIN_PREFIX = 3;
const MAX_EDITS = 2;

/**
 * How close `candidate` is to `name`, lower is closer; undefined when it is
 * not a plausible typo. At most two edits (and fewer edits than `name` has
 * characters, so `ab` never suggests `cd`), or one name a prefix of the other.
 */
function closeness(name: string, candidate: string): number | undefined {
  const d = editDistance(name, candidate, MAX_EDITS);
  if (d <= MAX_EDITS && d < name.length) return d;
  const [short, long] = name.length <= candidate.length ? [name, candidate] : [candidate, name];
  if (short.length >= MIN_PREFIX && long.startsWith(short)) return MAX_EDITS + 1 + (long.length - short.length);
  return undefined;
}

/**
 * The declaration whose name is closest to `name`. An exact match of another
 * kind comes first (the caller says "`pii` is a guardrail, not a model"), then
 * candidates of the kind the reference needs, then by closeness, kind and name
 * so the answer does not depend on declaration order.
 */
export function suggestDeclaration(symbols: SymbolTable, name: string, wanted: DeclKind): Suggestion | undefined {
  let best: { s: Suggestion; key: [number, number, number, string] } | undefined;
  for (const kind of DECL_KINDS) {
    for (const candidate of tableOf(symbols, kind).keys()) {
      if (kind === wanted && candidate === name) continue;
      const c = closeness(name, candidate);
      if (c === undefined) continue;
      // An exact name of another kind is the surest answer; then the wanted kind first.
      const rank = c === 0 ? 0 : kind === wanted ? 1 : 2;
      const key: [number, number, number, string] = [rank, c, DECL_KINDS.indexOf(kind), candidate];
      if (!best || less(key, best.key)) best = { s: { name: candidate, kind }, key };
    }
  }
  return best?.s;
}

function less(a: [number, number, number, string], b: [number, number, number, string]): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number);
  return a[3] < b[3];
}
