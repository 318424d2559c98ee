/**
 * The slips people make, as repairs to the token stream. Given the first
 * syntax error of a parse, `repairsAt` proposes edits that might be what
 * was meant: a misspelt keyword (`improt`, `retries`), `=` for `==`, a
 * missing `,`, a `{` never closed, a declaration written inside a route.
 * Each proposal carries the diagnostic to report for the slip, its fix as
 * data, and the repaired tokens; lang/recover.ts keeps a proposal only if
 * the parser then reads further than before, so a suggestion is never
 * offered that does not help, and the parse goes on as if it had been
 * applied (no cascade of follow-on errors from one slip).
 *
 * Repairs keep every token's offsets, so spans stay true to the text: a
 * retyped token keeps its place, an inserted one is zero-width.
 */
import { EOF, tokenMatcher, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
import { diagnostic, type Diagnostic, type Fix } from "./diagnostics.js";
import type { LineMap } from "./line-map.js";
import { startingKeywords } from "./parser.js";
import type { Span } from "./span.js";
import { suggest } from "./suggest.js";
import * as T from "./tokens.js";

export interface Repair {
  tokens: IToken[];
  diagnostics: Diagnostic[];
}

/** The rule whose items a block holds, by the rule that holds the block. */
const ITEMS: Record<string, string> = {
  policy: "declaration",
  declaration: "declaration",
  routeDecl: "routeStmt",
  clauseBlock: "clause",
  guardrailDecl: "guardStmt",
  testDecl: "testStmt",
};

/** Words from other gateways' configs, or plurals, for the keyword a block item starts with. */
const SYNONYMS: Record<string, string[]> = {
  retry: ["retries", "max_retries", "num_retries", "retry_count"],
  fallback: ["fallbacks"],
  guard: ["guards", "guardrail", "guardrails"],
  budget: ["budgets"],
  limit: ["limits", "rate_limit", "ratelimit"],
  to: ["target", "targets", "use", "model", "send"],
  when: ["if", "where", "match"],
  timeout: ["timeout_ms", "request_timeout"],
  import: ["include", "require", "use"],
  model: ["models"],
  provider: ["providers"],
  route: ["routes"],
  test: ["tests"],
  keys: ["key"],
};

const KEYWORDS = new Map(T.keywordTokens.map((t) => [(t.PATTERN as RegExp).source, t]));

function isWord(t: IToken): boolean {
  return tokenMatcher(t, T.Name);
}

function isValueLike(t: IToken): boolean {
  return isWord(t) || tokenMatcher(t, T.QuantityLiteral) || tokenMatcher(t, T.StringLiteral);
}

function make(type: TokenType, image: string, startOffset: number, endOffset: number): IToken {
  return { image, startOffset, endOffset, tokenType: type, tokenTypeIdx: type.tokenTypeIdx! } as IToken;
}

function retype(tokens: IToken[], i: number, type: TokenType, image: string): IToken[] {
  const out = tokens.slice();
  const t = tokens[i]!;
  out[i] = make(type, image, t.startOffset, t.endOffset!);
  return out;
}

/** Inserts zero-width tokens before index `i`, at `offset`. */
function insert(tokens: IToken[], i: number, inserted: { type: TokenType; image: string }[], offset: number): IToken[] {
  return [...tokens.slice(0, i), ...inserted.map((x) => make(x.type, x.image, offset, offset - 1)), ...tokens.slice(i)];
}

/** Everything the repairs need to know about the error. */
interface Site {
  tokens: IToken[];
  /** The index of the offending token; `tokens.length` at the end of the file. */
  i: number;
  token: IToken | undefined;
  previous: IToken | undefined;
  rules: string[];
  message: string;
  lines: LineMap;
}

function span(site: Site, t: IToken): Span {
  return site.lines.tokenSpan(t);
}

/** A zero-width span just after token `t`. */
function after(site: Site, t: IToken): Span {
  const end = t.endOffset! + 1;
  return site.lines.span(end, end);
}

function replace(site: Site, t: IToken, text: string, message = `write \`${text}\``): Fix {
  return { message, edits: [{ span: span(site, t), text }] };
}

/** The error's own message (or a plainer one) at the offending token, with a fix. */
function atError(site: Site, fix: Fix, message = site.message): Diagnostic {
  const where = site.token ? span(site, site.token) : site.lines.end();
  return diagnostic("P002", message, where, { fix });
}

/** Indices of the `{` still open before index `end`, outermost first. */
function openBraces(tokens: IToken[], end: number): number[] {
  const open: number[] = [];
  for (let k = 0; k < end; k++) {
    const t = tokens[k]!;
    if (t.tokenType === T.LBrace) open.push(k);
    else if (t.tokenType === T.RBrace) open.pop();
  }
  return open;
}

/** The index of the `}` matching the `{` at `i`, if the file has one. */
function matching(tokens: IToken[], i: number): number | undefined {
  let depth = 0;
  for (let k = i; k < tokens.length; k++) {
    const t = tokens[k]!.tokenType;
    if (t === T.LBrace) depth++;
    else if (t === T.RBrace && --depth === 0) return k;
  }
  return undefined;
}

/** Is `t` the first token on its line, no further right than `than`? (An unclosed block is seen by its indentation.) */
function startsLineAtOrLeftOf(site: Site, k: number, than: IToken): boolean {
  const t = site.tokens[k]!;
  const before = site.tokens[k - 1];
  const text = site.lines.text;
  if (before && !text.slice(before.endOffset! + 1, t.startOffset).includes("\n")) return false;
  return site.lines.span(t.startOffset, t.startOffset).column <= lineStart(site, than).column;
}

/** The span of the first token on `t`'s line (where its declaration starts). */
function lineStart(site: Site, t: IToken): Span {
  const text = site.lines.text;
  let k = t.startOffset;
  while (k > 0 && text[k - 1] !== "\n") k--;
  while (text[k] === " " || text[k] === "\t") k++;
  return site.lines.span(k, k);
}

/**
 * `{` never closed: the file ends inside a block, or a declaration starts
 * at a block's own indentation. Closes every open block before token `k`.
 */
function unclosed(site: Site, k: number): Repair | undefined {
  const open = openBraces(site.tokens, k);
  if (open.length === 0) return undefined;
  const next = site.tokens[k];
  const atEnd = next === undefined || next.tokenType === EOF;
  if (!atEnd) {
    const keyword = next.image;
    if (!startingKeywords("declaration").includes(keyword) || !isWord(next)) return undefined;
    if (!startsLineAtOrLeftOf(site, k, site.tokens[open[0]!]!)) return undefined;
  }
  const last = site.tokens[k - 1]!;
  const offset = atEnd ? site.lines.text.length : next.startOffset;
  const related = atEnd
    ? { message: "the file ends here, inside the block", span: site.lines.end() }
    : { message: `\`${next.image}\` starts the next declaration here`, span: span(site, next) };
  const diagnostics = open
    .slice()
    .reverse()
    .map((b) =>
      diagnostic("P002", "`{` is never closed", span(site, site.tokens[b]!), {
        related,
        fix: { message: "close the block with `}`", edits: [{ span: after(site, last), text: "\n}" }] },
      }),
    );
  return { tokens: insert(site.tokens, k, open.map(() => ({ type: T.RBrace, image: "}" })), offset), diagnostics };
}

/** A misspelt or foreign keyword where a block's item (or a declaration) starts. */
function keyword(site: Site): Repair[] {
  const t = site.token;
  if (!t || !isWord(t)) return [];
  const rule = site.rules[site.rules.length - 1] ?? "policy";
  const items = ITEMS[rule];
  if (!items) return [];
  const known = startingKeywords(items);
  const word = t.image;
  const guesses = new Set<string>();
  for (const [kw, words] of Object.entries(SYNONYMS)) if (known.includes(kw) && words.includes(word.toLowerCase())) guesses.add(kw);
  const close = suggest(word, known);
  if (close) guesses.add(close);
  return [...guesses].map((kw) => ({
    tokens: retype(site.tokens, site.i, KEYWORDS.get(kw)!, kw),
    diagnostics: [atError(site, replace(site, t, kw))],
  }));
}

/** `=` where a comparison needs `==`, and `==` where a model declaration needs `=`. */
function equals(site: Site): Repair[] {
  const t = site.token;
  if (!t) return [];
  if (t.tokenType === T.Assign) return [{ tokens: retype(site.tokens, site.i, T.EqEq, "=="), diagnostics: [atError(site, replace(site, t, "==", "write `==` to compare"), "expected `==` to compare, found `=`")] }];
  if (t.tokenType === T.EqEq && site.rules.includes("modelDecl")) return [{ tokens: retype(site.tokens, site.i, T.Assign, "="), diagnostics: [atError(site, replace(site, t, "=", "write `=`: a model is declared as `model NAME = provider/\"id\"`"))] }];
  return [];
}

/** Two items of a list on one line with no `,` between them. */
function comma(site: Site): Repair[] {
  const { token: t, previous: p } = site;
  if (!t || !p || !isValueLike(t) || !isValueLike(p)) return [];
  if (site.lines.text.slice(p.endOffset! + 1, t.startOffset).includes("\n")) return [];
  return [
    {
      tokens: insert(site.tokens, site.i, [{ type: T.Comma, image: "," }], p.endOffset! + 1),
      diagnostics: [atError(site, { message: `add \`,\` after \`${p.image}\``, edits: [{ span: after(site, p), text: "," }] })],
    },
  ];
}

/** Declarations a route can only name, with the statement that attaches each to a route (none for models and providers). */
const ATTACH: Record<string, string | undefined> = { budget: "budget", limit: "limit", guardrail: "guard", health: "health", provider: undefined, model: undefined };

/**
 * A declaration written inside a route (`budget b { … }`): read as if it
 * had been declared above the route and attached in it (`budget b`), so
 * neither its `}` ending the route nor the name being unknown cascades.
 */
function hoist(site: Site, kwAt: number): Repair[] {
  const kw = site.tokens[kwAt];
  const name = site.tokens[kwAt + 1];
  const brace = site.tokens[kwAt + 2];
  if (!kw || !name || !brace || !(kw.image in ATTACH) || !isWord(name) || brace.tokenType !== T.LBrace || !site.rules.includes("routeDecl")) return [];
  const open = openBraces(site.tokens, kwAt);
  const end = matching(site.tokens, kwAt + 2);
  if (open.length === 0 || end === undefined) return [];
  const close = site.tokens[end]!;
  const routeStart = lineStart(site, site.tokens[open[0]!]!);
  const first = site.tokens.findIndex((t) => t.startOffset >= routeStart.offset);
  const attach = ATTACH[kw.image];
  const declared = site.tokens.slice(kwAt, end + 1).map((t) => ({ ...t }));
  const attaching = attach ? [make(KEYWORDS.get(attach)!, attach, kw.startOffset, kw.endOffset!), name] : [];
  const tokens = [...site.tokens.slice(0, first), ...declared, ...site.tokens.slice(first, kwAt), ...attaching, ...site.tokens.slice(end + 1)];
  const text = site.lines.text.slice(kw.startOffset, close.endOffset! + 1);
  const whole = site.lines.span(kw.startOffset, close.endOffset! + 1);
  const fix: Fix = {
    message: attach ? `move the declaration above the route; inside it, \`${attach} ${name.image}\` attaches it` : "move the declaration above the route",
    edits: [
      { span: routeStart, text: `${text}\n\n` },
      { span: whole, text: attach ? `${attach} ${name.image}` : "" },
    ],
  };
  const message = `a ${kw.image} is declared at the top level of a file, not inside a route`;
  return [{ tokens, diagnostics: [diagnostic("P002", message, whole, { fix })] }];
}

/**
 * An unexpected `{`: a route whose `}` is missing before a declaration
 * (`budget b {` at the route's own indentation), a declaration written
 * inside a route, or a stray block, skipped as a whole so that its `}`
 * does not end the route too.
 */
function block(site: Site): Repair[] {
  const t = site.token;
  if (!t || t.tokenType !== T.LBrace) return [];
  const kw = site.tokens[site.i - 2];
  if (kw && isWord(kw) && startingKeywords("declaration").includes(kw.image)) {
    const repair = unclosed(site, site.i - 2) ?? hoist(site, site.i - 2)[0];
    if (repair) return [repair];
  }
  const open = openBraces(site.tokens, site.i);
  const end = matching(site.tokens, site.i);
  // at the top level a `{` is a declaration's own, missing its name: nothing to skip
  if (end === undefined || open.length === 0) return [];
  const tokens = [...site.tokens.slice(0, site.i), ...site.tokens.slice(end + 1)];
  const close = site.tokens[end]!;
  return [{ tokens, diagnostics: [diagnostic("P002", site.message, site.lines.span(t.startOffset, close.endOffset! + 1), { help: "this block belongs to nothing here; it is skipped" })] }];
}

/** A regex written as a string after `matches`. */
function regex(site: Site): Repair[] {
  const t = site.token;
  if (!t || t.tokenType !== T.StringLiteral || site.previous?.tokenType !== T.Matches) return [];
  const body = t.image.slice(1, -1);
  if (body === "" || /[\\/]/.test(body)) return [];
  return [{ tokens: retype(site.tokens, site.i, T.RegexLiteral, `/${body}/`), diagnostics: [atError(site, replace(site, t, `/${body}/`, `write the regex between slashes: \`/${body}/\``))] }];
}

/** `team in "a", "b"`: the list without its brackets, bracketed up to the last item on the line. */
function brackets(site: Site): Repair[] {
  const t = site.token;
  if (!t || site.previous?.tokenType !== T.In || !isValueLike(t)) return [];
  let last = site.i;
  while (site.tokens[last + 1]?.tokenType === T.Comma && site.tokens[last + 2] && isValueLike(site.tokens[last + 2]!)) last += 2;
  const end = site.tokens[last]!;
  const close = end.endOffset! + 1;
  const tokens = insert(insert(site.tokens, last + 1, [{ type: T.RBracket, image: "]" }], close), site.i, [{ type: T.LBracket, image: "[" }], t.startOffset);
  const fix: Fix = { message: "put the list in brackets", edits: [{ span: site.lines.span(t.startOffset, t.startOffset), text: "[" }, { span: site.lines.span(close, close), text: "]" }] };
  return [{ tokens, diagnostics: [atError(site, fix)] }];
}

/** A `}` at the top level closes nothing. */
function strayBrace(site: Site): Repair[] {
  const t = site.token;
  if (!t || t.tokenType !== T.RBrace || openBraces(site.tokens, site.i).length > 0) return [];
  const tokens = [...site.tokens.slice(0, site.i), ...site.tokens.slice(site.i + 1)];
  return [{ tokens, diagnostics: [diagnostic("P002", "this `}` closes no block", span(site, t), { fix: { message: "delete it", edits: [{ span: span(site, t), text: "" }] } })] }];
}

/**
 * The repairs to try for the parse's first error, most specific first.
 * `message` is the error's message in the language's terms (parse-errors.ts).
 */
export function repairsAt(tokens: IToken[], error: IRecognitionException, lines: LineMap): Repair[] {
  const atEnd = error.token.tokenType === EOF;
  const i = atEnd ? tokens.length : tokens.indexOf(error.token);
  if (i < 0) return [];
  const site: Site = {
    tokens,
    i,
    token: atEnd ? undefined : error.token,
    previous: tokens[i - 1],
    rules: error.context?.ruleStack ?? [],
    message: error.message,
    lines,
  };
  const closing = unclosed(site, i);
  if (closing) return [closing];
  return [...equals(site), ...regex(site), ...brackets(site), ...block(site), ...hoist(site, i), ...strayBrace(site), ...keyword(site), ...comma(site)];
}
