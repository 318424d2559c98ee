/**
 * Syntax error messages in the language's own terms. chevrotain asks this
 * provider for every message; we answer from what came before the error
 * ("expected a duration like 30s after `timeout`") and from the block being
 * parsed, and never show chevrotain's token names.
 */
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";

/** What may follow a keyword, keyed by the keyword's text. */
const AFTER: Record<string, string> = {
  timeout: "a duration like 30s",
  backoff: "a duration like 250ms",
  latency: "a duration like 20ms",
  retry: "a retry count like 2",
  warn: "a percentage like 80%",
  limit: "an amount like $200 or a name",
  tokens: "a token count like 200k",
  requests: "a request count like 600",
  to: "a model name",
  fallback: "a model name",
  guard: "a guardrail name",
  budget: "a name",
  cache: "a cache name or `{`",
  when: 'a condition like model == "chat"',
  matches: "a regex like /x/i",
  split: "`{` or `by`",
  by: "a fact like `key` or header(\"x\")",
  given: "`cache hit`, `split picks`, `budget … spent`, `limit … used` or `… fails`",
  expect: "`route`, `no route`, `target`, `attempts`, `retries`, `blocked by`, `flagged by`, `cache`, `status`, `redacted input`, `shaped` or `header`",
  picks: "a model name",
  fails: "a failure reason like 429, 5xx or timeout",
  spent: "an amount like $200",
  used: "a count like 600",
  exceeded: "`reject` or `downgrade`",
  downgrade: "a model name",
  deny: "a list of words like [\"a\", \"b\"]",
  import: 'a file name like "routes.route"',
  test: 'a test name in quotes like "premium traffic splits"',
  "=": 'a provider and model like openai/"gpt-4o"',
  "/": 'the provider\'s model name in quotes like "gpt-4o"',
  "==": "a value",
  "!=": "a value",
  "<": "a number",
  ">": "a number",
  "<=": "a number",
  ">=": "a number",
  in: "a list like [\"a\", \"b\"]",
};

/** What a block may contain, for errors at its closing brace. */
const BLOCK: Record<string, string> = {
  routeDecl: "a route statement (`when`, `to`, `split`, `fallback`, `retry`, `timeout`, `guard`, `budget`, `limit`, `cache`)",
  cacheBody: "`when` or a cache setting like `ttl 1h`",
  settingsBlock: "a setting like `timeout 30s`",
  modelBlock: "a setting like `input $2/Mtok`, or a price entry like `\"gpt-4o\" input $2.50/Mtok`",
  clauseBlock: "a clause (`per`, `limit`, `tokens`, `requests`, `warn`, `exceeded`)",
  guardrailDecl: "`on`, `block`, `redact` or `flag`",
  testDecl: "`request`, `given` or `expect`",
  invariantDecl: "`when` or `require`",
  keysDecl: "a key hash in quotes",
  // the `}` of `request { … }` and of `split { … }`: their bodies are inlined into these rules (parser.ts)
  testStmt: 'a request fact like `model "chat"`',
  routeStmt: "a weight and a model like `70% gpt-4o`",
};

/** Rules whose alternatives are all kinds of value: named as one thing rather than listed token by token. */
const VALUES: Record<string, string> = {
  value: 'a value like "x", 30s, true, [a, b] or a name',
  literal: 'a value like "x", 30s, true or [a, b]',
};

const DECLARATIONS = "a declaration (`gateway`, `provider`, `model`, `keys`, `budget`, `limit`, `guardrail`, `cache`, `health`, `jwt`, `route`, `invariant`, `test` or `import`)";

function found(token: IToken | undefined): string {
  if (!token || token.tokenType === EOF) return "the end of the file";
  const image = token.image.length > 30 ? `${token.image.slice(0, 30)}…` : token.image;
  return `\`${image}\``;
}

function after(previous: IToken | undefined): string {
  return previous && previous.tokenType !== EOF && previous.image ? ` after \`${previous.image}\`` : "";
}

function label(t: TokenType): string {
  if (t === EOF) return "the end of the file";
  return t.LABEL ?? t.name;
}

/**
 * The token before the error, if chevrotain's idea of it is right. After
 * in-repetition recovery chevrotain passes the last token it skipped, which
 * lies at or after the offending one ("expected `]` after `d`, found `b`").
 */
function before(previous: IToken | undefined, actual: IToken | undefined): IToken | undefined {
  if (!previous || !actual || actual.tokenType === EOF) return previous;
  return previous.startOffset < actual.startOffset ? previous : undefined;
}

function oneOf(labels: string[]): string {
  const unique = [...new Set(labels)];
  if (unique.length <= 1) return unique[0] ?? "something else";
  return `${unique.slice(0, -1).join(", ")} or ${unique[unique.length - 1]}`;
}

/** The expectation to state: the keyword-specific one when we have it, else the tokens' labels. */
function expectation(previous: IToken | undefined, fallback: string): string {
  const specific = previous ? AFTER[previous.image] : undefined;
  return specific ?? fallback;
}

export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous: reported, ruleName }) {
    const previous = before(reported, actual);
    // a top-level repetition resyncing to the end of the file: something that is not a declaration
    if (expected === EOF) return `expected ${DECLARATIONS}, found ${found(actual)}`;
    if (expected.name === "RBracket" && (ruleName === "list" || ruleName === "bracketNames")) return `expected \`,\` or \`]\`, found ${found(actual)}`;
    if (expected.name === "RBrace" && BLOCK[ruleName]) {
      return `expected ${BLOCK[ruleName]} or \`}\`, found ${found(actual)}`;
    }
    const what = expected.name === "Name" || expected.name === "StringLiteral" || expected.name === "QuantityLiteral" || expected.name === "RegexLiteral"
      ? expectation(previous, label(expected))
      : label(expected);
    return `expected ${what}${after(previous)}, found ${found(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `expected ${DECLARATIONS}, found ${found(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, previous, ruleName }) {
    const first = actual[0];
    if (ruleName === "declaration") return `expected ${DECLARATIONS}, found ${found(first)}`;
    const labels = expectedPathsPerAlt.flatMap((paths) => paths.map((path) => (path[0] ? label(path[0]) : "")));
    const general = VALUES[ruleName] ?? oneOf(labels.filter(Boolean));
    return `expected ${expectation(previous, general)}${after(previous)}, found ${found(first)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, previous }) {
    const labels = expectedIterationPaths.map((path) => (path[0] ? label(path[0]) : ""));
    return `expected ${expectation(previous, oneOf(labels.filter(Boolean)))}${after(previous)}, found ${found(actual[0])}`;
  },
};
