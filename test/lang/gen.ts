/**
 * fast-check generators for `.route` text: syntactically valid policies that
 * use every construct of the grammar, laid out with random whitespace and
 * comments between tokens, and "token soup" of the language's own words for
 * the parser's robustness properties.
 *
 * Valid policies are built as token lists, then joined: the grammar is
 * whitespace-insensitive, so any separator keeps them valid.
 */
import fc from "fast-check";

type Tokens = string[];
type Arb<T> = fc.Arbitrary<T>;

// ---------------------------------------------------------------- words

/** Names, including soft keywords that are legal as names everywhere a name is expected. */
const NAMES = ["a", "b2", "gpt-4o", "gpt-4.1-mini", "sonnet", "team-daily", "per-key", "x_y", "claude.3", "model", "input", "limit", "route", "tokens", "to", "output", "key"];
/** Facts in conditions: not `not`, which would start a negation. */
const FACTS = ["model", "team", "key", "stream", "input_tokens", "endpoint", "header", "metadata", "tools", "limit", "to"];
/** Detector names: not `matches` or `deny`, which start the other detector forms. */
const DETECTORS = ["email", "phone", "credit_card", "pii", "secrets", "input"];

export const arbName: Arb<string> = fc.constantFrom(...NAMES);

const UNITS = ["", "ms", "s", "m", "h", "d", "k", "M", "%", "B", "KB", "MB", "GB", "$"];

/** A quantity literal with a known unit, written the way users write them. */
export const arbQuantity: Arb<string> = fc.oneof(
  fc.tuple(fc.nat(100_000), fc.option(fc.nat(999), { nil: undefined }), fc.constantFrom(...UNITS)).map(([n, frac, unit]) => `${n}${frac === undefined ? "" : `.${frac}`}${unit}`),
  fc.tuple(fc.nat(500), fc.option(fc.constantFrom("/Mtok", "/ktok", "/tok", ".50", ".002/Mtok"), { nil: undefined })).map(([n, rest]) => `$${n}${rest ?? ""}`),
  fc.integer({ min: 1, max: 5 }).map((d) => `${d}xx`),
);

/** One character of a string literal's body: as itself, or escaped one of the ways the language allows. */
function encodeChar(ch: string, mode: number): string {
  const code = ch.codePointAt(0)!;
  if (ch === '"') return '\\"';
  if (ch === "\\") return "\\\\";
  if (ch === "\n") return "\\n";
  if (ch === "\r") return "\\r";
  if (mode === 1) return `\\u{${code.toString(16)}}`;
  if (mode === 2 && ch === "\t") return "\\t";
  if (mode === 2 && ch === "/") return "\\/";
  return ch;
}

/** A string literal, quotes included, whose body mixes raw and escaped characters. */
export const arbString: Arb<string> = fc
  .array(fc.tuple(fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), fc.constantFrom('"', "\\", "\n", "\t", "/", "é", "😀")), fc.nat(3)), { maxLength: 8 })
  .map((chars) => `"${chars.map(([ch, mode]) => [...ch].map((c) => encodeChar(c, mode)).join("")).join("")}"`);

const arbRegex: Arb<string> = fc
  .tuple(fc.constantFrom("x", "ignore (all )?previous", "a\\/b", "[a-z/]+", "\\d{3}-\\d{4}", "^sk-[A-Za-z0-9]{20,}$"), fc.constantFrom("", "i", "im", "su"))
  .map(([p, f]) => `/${p}/${f}`);

// ---------------------------------------------------------------- values and expressions

const arbBool: Arb<Tokens> = fc.constantFrom("true", "false").map((b) => [b]);

function commaSeparated(items: Tokens[]): Tokens {
  return items.flatMap((t, i) => (i === 0 ? t : [",", ...t]));
}

const { value: arbValue } = fc.letrec<{ value: Tokens }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    arbString.map((s) => [s]),
    arbQuantity.map((q) => [q]),
    arbBool,
    arbName.map((n) => [n]),
    fc.tuple(arbName, fc.array(tie("value"), { maxLength: 2 })).map(([n, args]) => [n, "(", ...commaSeparated(args), ")"]),
    fc.array(tie("value"), { maxLength: 3 }).map((items) => ["[", ...commaSeparated(items), "]"]),
  ),
}));
export { arbValue };

/** A value without bare names, as request facts take. */
const arbLiteral: Arb<Tokens> = fc.oneof(
  arbString.map((s) => [s]),
  arbQuantity.map((q) => [q]),
  arbBool,
  fc.array(arbValue, { maxLength: 3 }).map((items) => ["[", ...commaSeparated(items), "]"]),
);

const arbList: Arb<Tokens> = fc.array(arbValue, { maxLength: 3 }).map((items) => ["[", ...commaSeparated(items), "]"]);

const arbFact: Arb<Tokens> = fc.oneof(
  fc.constantFrom(...FACTS).map((f) => [f]),
  fc.tuple(fc.constantFrom("header", "metadata"), arbString).map(([f, s]) => [f, "(", s, ")"]),
);

const arbCondition: Arb<Tokens> = fc.oneof(
  fc.tuple(arbFact, fc.constantFrom("==", "!=", "<", ">", "<=", ">="), arbValue).map(([f, op, v]) => [...f, op, ...v]),
  fc.tuple(arbFact, arbList).map(([f, l]) => [...f, "in", ...l]),
  fc.tuple(arbFact, arbRegex).map(([f, r]) => [...f, "matches", r]),
  arbFact,
);

const { expr: arbExpr } = fc.letrec<{ expr: Tokens }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    arbCondition,
    tie("expr").map((e) => ["(", ...e, ")"]),
    arbCondition.map((c) => ["not", ...c]),
    tie("expr").map((e) => ["not", "(", ...e, ")"]),
    fc.tuple(tie("expr"), fc.constantFrom("and", "or"), tie("expr")).map(([l, op, r]) => [...l, op, ...r]),
  ),
}));
export { arbExpr };

/** Four to ten conditions joined by `and`/`or`: often longer than a line, so the formatter wraps them. */
const arbLongExpr: Arb<Tokens> = fc
  .tuple(arbCondition, fc.array(fc.tuple(fc.constantFrom("and", "or"), fc.oneof(arbCondition, arbExpr.map((e) => ["(", ...e, ")"]))), { minLength: 3, maxLength: 9 }))
  .map(([first, rest]) => [...first, ...rest.flatMap(([op, c]) => [op, ...c])]);

// ---------------------------------------------------------------- declarations

const arbSetting: Arb<Tokens> = fc.tuple(arbName, arbValue).map(([n, v]) => [n, ...v]);
const arbSettings = (max = 4): Arb<Tokens> => fc.array(arbSetting, { maxLength: max }).map((s) => s.flat());
const braced = (body: Tokens): Tokens => ["{", ...body, "}"];

const arbClause: Arb<Tokens> = fc.oneof(
  arbName.map((n) => ["per", n]),
  fc.tuple(fc.constantFrom("limit", "tokens", "requests"), arbValue, fc.oneof(fc.constantFrom("day", "minute", "hour"), fc.constantFrom("24h", "1d", "30s"))).map(([m, v, w]) => [m, ...v, "per", w]),
  arbValue.map((v) => ["warn", ...v]),
  fc.constant<Tokens>(["exceeded", "reject"]),
  arbName.map((n) => ["exceeded", "downgrade", n]),
);

const arbDetector: Arb<Tokens> = fc.oneof(
  fc.constantFrom(...DETECTORS).map((d) => [d]),
  arbRegex.map((r) => ["matches", r]),
  arbList.map((l) => ["deny", ...l]),
);

const arbGuardStmt: Arb<Tokens> = fc.oneof(
  fc.constantFrom("input", "output", "both").map((t) => ["on", t]),
  fc.tuple(fc.constantFrom("block", "redact", "flag"), fc.array(arbDetector, { minLength: 1, maxLength: 3 })).map(([a, ds]) => [a, ...commaSeparated(ds)]),
  fc.tuple(fc.constantFrom("block", "redact", "flag"), arbExpr).map(([a, e]) => [a, "when", ...e]),
);

const arbNames: Arb<Tokens> = fc.array(arbName.map((n) => [n]), { minLength: 1, maxLength: 3 }).map(commaSeparated);

const arbRouteStmt: Arb<Tokens> = fc.oneof(
  arbExpr.map((e) => ["when", ...e]),
  arbLongExpr.map((e) => ["when", ...e]),
  arbName.map((n) => ["to", n]),
  fc
    .tuple(fc.option(arbFact, { nil: undefined }), fc.array(fc.tuple(arbQuantity, arbName), { maxLength: 3 }))
    .map(([by, arms]) => ["split", ...(by ? ["by", ...by] : []), "{", ...arms.flat(), "}"]),
  fc.tuple(arbNames, fc.array(arbValue, { maxLength: 3 })).map(([ns, on]) => ["fallback", ...ns, ...(on.length ? ["on", ...commaSeparated(on)] : [])]),
  fc.tuple(arbValue, fc.option(arbValue, { nil: undefined })).map(([c, b]) => ["retry", ...c, ...(b ? ["backoff", ...b] : [])]),
  arbValue.map((v) => ["timeout", ...v]),
  fc.tuple(fc.constantFrom("guard", "budget", "limit"), arbNames).map(([k, ns]) => [k, ...ns]),
);

const arbBracketNames: Arb<Tokens> = fc.array(arbName.map((n) => [n]), { maxLength: 3 }).map((ns) => ["[", ...commaSeparated(ns), "]"]);

const arbTestStmt: Arb<Tokens> = fc.oneof(
  fc.array(fc.tuple(arbName, fc.array(arbLiteral, { maxLength: 2 })), { maxLength: 4 }).map((facts) => ["request", "{", ...facts.flatMap(([n, args]) => [n, ...args.flat()]), "}"]),
  arbName.map((n) => ["given", "split", "picks", n]),
  fc.tuple(arbName, arbValue).map(([n, v]) => ["given", "budget", n, "spent", ...v]),
  fc.tuple(arbName, arbValue).map(([n, v]) => ["given", "limit", n, "used", ...v]),
  fc.tuple(arbName, arbValue).map(([n, v]) => ["given", n, "fails", ...v]),
  fc.oneof(
    arbName.map((n) => ["route", n]),
    fc.constant(["no", "route"]),
    arbName.map((n) => ["target", n]),
    arbBracketNames.map((l) => ["target", "in", ...l]),
    arbBracketNames.map((l) => ["attempts", ...l]),
    arbValue.map((v) => ["retries", ...v]),
    arbName.map((n) => ["blocked", "by", n]),
    arbName.map((n) => ["flagged", "by", n]),
    arbValue.map((v) => ["status", ...v]),
    arbString.map((s) => ["redacted", "input", s]),
    fc.tuple(arbString, arbString).map(([name, value]) => ["header", name, value]),
  ).map((e) => ["expect", ...e]),
);

/** Rows of one shape, as tables are written: models with the same prices, key entries with the same labels. */
const arbTable: Arb<Tokens> = fc.oneof(
  fc
    .array(fc.tuple(arbName, arbName, arbString, arbQuantity, arbQuantity), { minLength: 2, maxLength: 4 })
    .map((rows) => rows.flatMap(([n, p, u, i, o]) => ["model", n, "=", p, "/", u, "{", "input", i, "output", o, "}"])),
  fc
    .array(fc.tuple(arbString, arbString, arbString), { minLength: 2, maxLength: 4 })
    .map((rows) => ["keys", ...braced(rows.flatMap(([h, t, u]) => [h, "team", t, "user", u]))]),
);

export const arbDeclaration: Arb<Tokens> = fc.oneof(
  arbTable,
  arbString.map((s) => ["import", s]),
  arbSettings().map((s) => ["gateway", ...braced(s)]),
  fc.tuple(arbName, arbSettings()).map(([n, s]) => ["provider", n, ...braced(s)]),
  fc.tuple(arbName, arbName, arbString, fc.option(arbSettings(), { nil: undefined })).map(([n, p, u, s]) => ["model", n, "=", p, "/", u, ...(s ? braced(s) : [])]),
  fc.array(fc.tuple(arbString, arbSettings(2)), { maxLength: 3 }).map((es) => ["keys", ...braced(es.flatMap(([h, s]) => [h, ...s]))]),
  fc.tuple(fc.constantFrom("budget", "limit"), arbName, fc.array(arbClause, { maxLength: 4 })).map(([k, n, cs]) => [k, n, ...braced(cs.flat())]),
  fc.tuple(arbName, fc.array(arbGuardStmt, { maxLength: 3 })).map(([n, ss]) => ["guardrail", n, ...braced(ss.flat())]),
  fc.tuple(arbName, fc.array(arbRouteStmt, { maxLength: 6 })).map(([n, ss]) => ["route", n, ...braced(ss.flat())]),
  fc.tuple(arbString, fc.array(arbTestStmt, { maxLength: 5 })).map(([n, ss]) => ["test", n, ...braced(ss.flat())]),
);

// ---------------------------------------------------------------- layout

const arbCommentText: Arb<string> = fc.string({ unit: "binary", maxLength: 12 });

/** What may separate two tokens: whitespace, blank lines, and comments of both kinds. */
export const arbSeparator: Arb<string> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(" ", " ", "  ", "\n", "\n  ", "\n\n", "\n\n\n  ", "\t", "\r\n") },
  { weight: 1, arbitrary: arbCommentText.map((t) => ` // ${t.replace(/[\n\r]/g, " ")}\n`) },
  { weight: 1, arbitrary: arbCommentText.map((t) => ` /* ${t.replace(/\*\//g, "* /")} */ `) },
  { weight: 1, arbitrary: fc.constantFrom("\n// a comment\n", "\n\n  /* two\n     lines */\n", " /**/ ", " //\n") },
);

/** Joins tokens with generated separators, plus leading and trailing ones. */
export function layout(tokens: Tokens): Arb<string> {
  return fc.array(arbSeparator, { minLength: tokens.length + 1, maxLength: tokens.length + 1 }).map((seps) => {
    let out = seps[0]!;
    tokens.forEach((t, i) => {
      out += t + seps[i + 1]!;
    });
    return out;
  });
}

/** The text of a syntactically valid policy of up to `maxDeclarations` declarations, with random layout and comments. */
export function arbPolicyText(maxDeclarations = 6): Arb<string> {
  return fc.array(arbDeclaration, { maxLength: maxDeclarations }).chain((ds) => layout(ds.flat()));
}

// ---------------------------------------------------------------- token soup

const SOUP_WORDS = [
  "import", "gateway", "provider", "model", "keys", "budget", "limit", "guardrail", "route", "test", "when", "to", "split", "by",
  "fallback", "on", "retry", "backoff", "timeout", "guard", "and", "or", "not", "in", "matches", "per", "tokens", "requests", "warn",
  "exceeded", "reject", "downgrade", "block", "redact", "flag", "deny", "request", "given", "expect", "picks", "fails", "spent", "used",
  "no", "target", "attempts", "retries", "blocked", "flagged", "status", "redacted", "input", "true", "false", "gpt-4o", "x",
  "{", "}", "(", ")", "[", "]", ",", "==", "!=", "<=", ">=", "<", ">", "=", "/", "/x/i", "30s", "$2.50/Mtok", "80%", "5xx", "4o", "1.5M",
  '"s"', '"un', '"\\q"', '"\\u{110000}"', "//c\n", "/*c*/", "/*", "@", "#", "\\", "$", "-", ".", "\u0000", "😀", "\u2028",
];

/** Random sequences of the language's words and symbols, some of them broken, joined by random separators. */
export const arbTokenSoup: Arb<string> = fc
  .array(fc.tuple(fc.constantFrom(...SOUP_WORDS), fc.constantFrom(" ", "", "\n", "\t", "\r")), { maxLength: 40 })
  .map((parts) => parts.map(([w, s]) => w + s).join(""));
