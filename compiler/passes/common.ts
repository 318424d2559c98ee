/**
 * Small helpers the check passes share: recognising values the parser
 * invented after a syntax error, reporting repeated settings or clauses
 * (E208), and pushing an optional diagnostic.
 */
import type { Span } from "../../lang/span.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";

/** A value the parser had to invent after a syntax error (already reported): nothing more to say about it. */
export function isMissing(value: { kind: string; name?: string }): boolean {
  return value.kind === "ident" && value.name === "";
}

/**
 * Reports duplicates (E208) among `items` by `key`; returns the first of each.
 * `what` names the repeated thing in the message, e.g. "setting `timeout`".
 */
export function firstOfEach<T extends { span: Span }>(
  items: readonly T[],
  key: (item: T) => string | undefined,
  what: (key: string) => string,
  out: Diagnostic[],
): T[] {
  const seen = new Map<string, T>();
  const firsts: T[] = [];
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const first = seen.get(k);
    if (first) {
      out.push(
        diagnostic("E208", `${what(k)} is given twice`, item.span, {
          related: { message: "first given here", span: first.span },
          help: "remove one of them",
        }),
      );
      continue;
    }
    seen.set(k, item);
    firsts.push(item);
  }
  return firsts;
}

/** Appends `d` when there is one. */
export function push(out: Diagnostic[], d: Diagnostic | undefined): void {
  if (d) out.push(d);
}
