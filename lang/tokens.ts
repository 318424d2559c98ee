/**
 * The token vocabulary of `.route` files. Keywords are soft: each keyword
 * token is also in the `Name` category, so a keyword can stand wherever a
 * name is expected and the parser only treats it as a keyword where a
 * statement starts. `true` and `false` are the only reserved words.
 *
 * Every token has a `LABEL` in the language's own terms; parse errors are
 * built from these labels, never from chevrotain's token names.
 */
import { createToken, Lexer, type CustomPatternMatcherReturn, type IToken, type TokenType } from "chevrotain";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\uFEFF]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: "comments" });
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, group: "comments", line_breaks: true });
/** A block comment that is never closed: runs to the end of the file; reported as P001 and kept as a comment. */
export const UnterminatedComment = createToken({ name: "UnterminatedComment", pattern: /\/\*[\s\S]*/, group: "comments", line_breaks: true });

/** The abstract category of everything usable as a name: identifiers and soft keywords. */
export const Name = createToken({ name: "Name", pattern: Lexer.NA, label: "a name" });
export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*/,
  categories: [Name],
  label: "a name",
});

const keywordTokens: TokenType[] = [];
function keyword(word: string): TokenType {
  const t = createToken({
    name: `Kw_${word}`,
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: [Name],
    label: `\`${word}\``,
  });
  keywordTokens.push(t);
  return t;
}

export const Import = keyword("import");
export const Gateway = keyword("gateway");
export const Provider = keyword("provider");
export const Model = keyword("model");
export const Keys = keyword("keys");
export const Budget = keyword("budget");
export const Limit = keyword("limit");
export const Guardrail = keyword("guardrail");
export const Health = keyword("health");
export const Jwt = keyword("jwt");
export const Route = keyword("route");
export const Test = keyword("test");
export const Invariant = keyword("invariant");
export const Require = keyword("require");
export const Residency = keyword("residency");
export const When = keyword("when");
export const To = keyword("to");
export const Split = keyword("split");
export const By = keyword("by");
export const Fallback = keyword("fallback");
export const On = keyword("on");
export const Retry = keyword("retry");
export const Backoff = keyword("backoff");
export const Timeout = keyword("timeout");
export const MaxLatency = keyword("max_latency");
export const MaxCost = keyword("max_cost");
export const Guard = keyword("guard");
export const And = keyword("and");
export const Or = keyword("or");
export const Not = keyword("not");
export const In = keyword("in");
export const Matches = keyword("matches");
export const Per = keyword("per");
export const Tokens = keyword("tokens");
export const Requests = keyword("requests");
export const Concurrent = keyword("concurrent");
export const Warn = keyword("warn");
export const Exceeded = keyword("exceeded");
export const Reject = keyword("reject");
export const Downgrade = keyword("downgrade");
export const Block = keyword("block");
export const Redact = keyword("redact");
export const Flag = keyword("flag");
export const Deny = keyword("deny");
export const Request = keyword("request");
export const Given = keyword("given");
export const Expect = keyword("expect");
export const Picks = keyword("picks");
export const Fails = keyword("fails");
export const Spent = keyword("spent");
export const Used = keyword("used");
export const No = keyword("no");
export const Target = keyword("target");
export const Attempts = keyword("attempts");
export const Retries = keyword("retries");
export const Blocked = keyword("blocked");
export const Flagged = keyword("flagged");
export const Status = keyword("status");
export const Cost = keyword("cost");
export const Shaped = keyword("shaped");
export const Redacted = keyword("redacted");
export const Input = keyword("input");
export const Once = keyword("once");
export const After = keyword("after");
export const Latency = keyword("latency");
export const Ejected = keyword("ejected");
export const Failures = keyword("failures");
export const Fastest = keyword("fastest");
export const Cheapest = keyword("cheapest");
export const Rejected = keyword("rejected");
export const Warned = keyword("warned");
export const Answers = keyword("answers");
export const Replies = keyword("replies");
export const Streamed = keyword("streamed");
export const Chunks = keyword("chunks");
export const Of = keyword("of");
export const Streams = keyword("streams");
export const WindowKw = keyword("window");
export const Output = keyword("output");
export const Cache = keyword("cache");
export const Hit = keyword("hit");
export const Defaults = keyword("defaults");
export const Use = keyword("use");
export const SetKw = keyword("set");
export const Default = keyword("default");
export const Cap = keyword("cap");
export const UpstreamHeader = keyword("upstream_header");

export const True = createToken({ name: "True", pattern: /true/, longer_alt: Identifier, label: "`true`" });
export const False = createToken({ name: "False", pattern: /false/, longer_alt: Identifier, label: "`false`" });

/** A well-formed string literal; escapes are decoded when the AST is built. */
export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"/,
  label: 'a string like "x"',
});
/** A string missing its closing quote; reported as P003 and then treated as a string. */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*\\?/,
  label: 'a string like "x"',
});

/**
 * A number with an optional `$` and unit suffix: `30s`, `100k`, `$2.50/Mtok`, `80%`, `5xx`.
 * The suffix is interpreted when the AST is built, so an unknown unit gets a
 * precise diagnostic instead of a confusing token error.
 */
export const QuantityLiteral = createToken({
  name: "QuantityLiteral",
  pattern: /\$?\d+(?:\.\d+)?[A-Za-z%$]*(?:\/[A-Za-z]+)?/,
  label: "a number like 30s, 100k or $2.50",
});

/** Regex literals are only recognised right after `matches`, so `/` elsewhere stays a slash. */
function matchRegex(text: string, offset: number, tokens: IToken[]): CustomPatternMatcherReturn | null {
  const prev = tokens[tokens.length - 1];
  if (!prev || prev.tokenType !== Matches || text[offset] !== "/") return null;
  let i = offset + 1;
  let inClass = false;
  while (i < text.length) {
    const c = text[i];
    if (c === "\n" || c === "\r") return null;
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) break;
    i++;
  }
  if (i >= text.length || i === offset + 1) return null;
  i++;
  while (i < text.length && /[a-z]/.test(text[i] ?? "")) i++;
  const m = [text.slice(offset, i)] as unknown as CustomPatternMatcherReturn;
  return m;
}
export const RegexLiteral = createToken({
  name: "RegexLiteral",
  pattern: { exec: matchRegex },
  line_breaks: false,
  start_chars_hint: ["/"],
  label: "a regex like /x/i",
});

export const LBrace = createToken({ name: "LBrace", pattern: /\{/, label: "`{`" });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/, label: "`}`" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "`(`" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "`)`" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "`[`" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "`]`" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "`,`" });
export const EqEq = createToken({ name: "EqEq", pattern: /==/, label: "`==`" });
export const NotEq = createToken({ name: "NotEq", pattern: /!=/, label: "`!=`" });
export const LtEq = createToken({ name: "LtEq", pattern: /<=/, label: "`<=`" });
export const GtEq = createToken({ name: "GtEq", pattern: />=/, label: "`>=`" });
export const Lt = createToken({ name: "Lt", pattern: /</, label: "`<`" });
export const Gt = createToken({ name: "Gt", pattern: />/, label: "`>`" });
export const Assign = createToken({ name: "Assign", pattern: /=/, label: "`=`" });
export const Slash = createToken({ name: "Slash", pattern: /\//, label: "`/`" });

/** Order matters: comments before `/`, regex before slash, keywords before identifiers. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedComment,
  RegexLiteral,
  StringLiteral,
  UnterminatedString,
  QuantityLiteral,
  True,
  False,
  // longest first, so `tokens` is not lexed as `to` + `kens`
  ...[...keywordTokens].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  Identifier,
  Name,
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  EqEq,
  NotEq,
  LtEq,
  GtEq,
  Lt,
  Gt,
  Assign,
  Slash,
];

export { keywordTokens };
