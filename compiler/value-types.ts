/**
 * The types a setting, clause or statement value can have (a duration, money,
 * `env("X")` …), each with a check that says what is wrong in the language's
 * own terms. The settings table (settings.ts) and the check passes are built
 * from these; messages read "expected a duration like 30s after `timeout`,
 * found money `$5`".
 */
import type { Call, Quantity, Unit, Value } from "../lang/ast.js";
import { diagnostic, type Diagnostic, type DiagnosticCode } from "../lang/diagnostics.js";
import { suggest } from "./suggest.js";

/** What is wrong with a value: a wrong type (E201) or a value out of range (E204). */
export interface Problem {
  code: Extract<DiagnosticCode, "E201" | "E204">;
  /** Replaces the standard "expected … after `name`, found …" message. */
  message?: string;
  /** For E204: what the value must be, e.g. "must be at most 100, found `150%`". */
  detail?: string;
  help?: string;
}

export interface ValueType {
  /** What a message says is expected, e.g. "a duration like 30s". */
  expected: string;
  /** Undefined when the value is acceptable. */
  check(value: Value): Problem | undefined;
}

const UNIT_NOUN: Record<Unit, string> = {
  number: "the number",
  duration: "the duration",
  tokens: "the token count",
  money: "money",
  price: "the price",
  percent: "the percentage",
  status: "the status class",
  bytes: "the size",
};

/** The value as a message names it: "money `$5`", "the string `\"x\"`", "the word `fast`". */
export function describeValue(value: Value): string {
  switch (value.kind) {
    case "quantity":
      return `${UNIT_NOUN[value.unit]} \`${value.raw}\``;
    case "string":
      return `the string \`${JSON.stringify(value.value)}\``;
    case "bool":
      return `\`${value.value}\``;
    case "ident":
      return `the word \`${value.name}\``;
    case "call":
      return `a call to \`${value.callee.name}(…)\``;
    case "list":
      return "a list";
    case "regex":
      return `the regex \`/${value.pattern}/${value.flags}\``;
  }
}

/** The message for a problem with `value`, written after the word `after` (a setting or keyword). */
export function problemMessage(problem: Problem, type: ValueType, after: string, value: Value): string {
  if (problem.message !== undefined) return problem.message;
  if (problem.code === "E204" && problem.detail !== undefined) return `\`${after}\` ${problem.detail}`;
  return `expected ${type.expected} after \`${after}\`, found ${describeValue(value)}`;
}

/** Checks `value` against `type`; the diagnostic (E201 or E204) sits on the value. */
export function checkValue(type: ValueType, value: Value, after: string): Diagnostic | undefined {
  const problem = type.check(value);
  if (!problem) return undefined;
  const message = problemMessage(problem, type, after, value);
  return diagnostic(problem.code, message, value.span, problem.help ? { help: problem.help } : {});
}

const wrong: Problem = { code: "E201" };

function isQuantity(value: Value, units: readonly Unit[]): value is Quantity {
  return value.kind === "quantity" && units.includes(value.unit);
}

/** A quantity in one of `units`, between `min` and `max`, optionally whole. */
export function quantityType(
  expected: string,
  units: readonly Unit[],
  range: { min?: number; max?: number; whole?: boolean; above?: number } = {},
): ValueType {
  return {
    expected,
    check(value) {
      if (!isQuantity(value, units)) return wrong;
      const v = value.value;
      if (range.whole && !Number.isInteger(v)) {
        return { code: "E204", detail: `must be a whole number, found \`${value.raw}\`` };
      }
      if (range.above !== undefined && !(v > range.above)) {
        return { code: "E204", detail: `must be more than ${range.above}, found \`${value.raw}\`` };
      }
      if (range.min !== undefined && v < range.min) {
        return { code: "E204", detail: `must be at least ${range.min}, found \`${value.raw}\`` };
      }
      if (range.max !== undefined && v > range.max) {
        return { code: "E204", detail: `must be at most ${range.max}, found \`${value.raw}\`` };
      }
      return undefined;
    },
  };
}

export const STRING: ValueType = {
  expected: 'a string like "…"',
  check: (v) => (v.kind === "string" ? undefined : v.kind === "ident" ? { ...wrong, help: `put it in quotes: \`"${v.name}"\`` } : wrong),
};

/** The name of a declaration, as a word: `semantic embed-small` (the reference lint resolves it). */
export const NAME: ValueType = {
  expected: "a name like `embed-small`",
  check: (v) => (v.kind === "ident" ? undefined : v.kind === "string" ? { ...wrong, help: `write the name without quotes: \`${v.value}\`` } : wrong),
};

/** A word the policy makes up, compared only with other words: `residency eu`. */
export const WORD: ValueType = {
  expected: "a word like `eu`",
  check: (v) => (v.kind === "ident" ? undefined : v.kind === "string" ? { ...wrong, help: `write the word without quotes: \`${v.value}\`` } : wrong),
};

export const BOOL: ValueType = { expected: "`true` or `false`", check: (v) => (v.kind === "bool" ? undefined : wrong) };

export const DURATION = quantityType("a duration like 30s", ["duration"], { min: 0 });
export const POSITIVE_DURATION = quantityType("a duration like 30s", ["duration"], { above: 0 });
export const BYTES = quantityType("a size like 1MB", ["bytes", "number"], { above: 0, whole: true });
export const PERCENT = quantityType("a percentage like 80%", ["percent"], { min: 0, max: 100 });
export const COUNT = quantityType("a whole number like 3", ["number"], { min: 0, whole: true });
export const TOKENS = quantityType("a token count like 100k", ["tokens", "number"], { min: 0, whole: true });
export const PRICE = quantityType("a price like $2.50/Mtok", ["price"], { min: 0 });
export const MONEY = quantityType("money like $200", ["money"], { min: 0 });
/** A cosine similarity a semantic hit must reach: above 0, at most 1. */
export const SIMILARITY = quantityType("a similarity like 0.95", ["number"], { above: 0, max: 1 });
/** A number of entries, `10000` or `10k`. */
export const ENTRIES = quantityType("a number like 10k", ["number", "tokens"], { above: 0, whole: true });
export const STATUS_CODE = quantityType("an HTTP status like 429", ["number"], { min: 100, max: 599, whole: true });

/** A list of failure reasons: `[5xx, 429, timeout, connection]` (as a fallback's `on` takes them). */
export const FAILURE_REASONS: ValueType = {
  expected: "a list of failure reasons like `[5xx, timeout, connection]`",
  check(value) {
    if (value.kind !== "list" || value.items.length === 0) return wrong;
    for (const item of value.items) {
      if (item.kind === "ident" && (item.name === "timeout" || item.name === "connection")) continue;
      if (item.kind === "quantity" && item.unit === "status" && item.value >= 1 && item.value <= 5) continue;
      if (item.kind === "quantity" && item.unit === "number" && Number.isInteger(item.value) && item.value >= 100 && item.value <= 599) continue;
      return { code: "E201", message: `expected a failure reason (a status like 429, a class like 5xx, \`timeout\` or \`connection\`), found ${describeValue(item)}` };
    }
    return undefined;
  },
};

/** A list of distinct words from a fixed set, e.g. a model's `supports [tools, images]`; `[]` is allowed. */
export function wordListType(words: readonly string[], what: string): ValueType {
  const one = enumType(words);
  return {
    expected: `a list of ${what} like \`[${words.slice(0, 2).join(", ")}]\``,
    check(value) {
      if (value.kind !== "list") return wrong;
      const seen = new Set<string>();
      for (const item of value.items) {
        const p = one.check(item);
        if (p !== undefined) return { ...p, message: `expected ${one.expected}, found ${describeValue(item)}` };
        const name = item.kind === "ident" ? item.name : "";
        if (seen.has(name)) return { code: "E204", message: `\`${name}\` is listed twice` };
        seen.add(name);
      }
      return undefined;
    },
  };
}

/** One of a fixed set of words, e.g. `api openai`. */
export function enumType(words: readonly string[]): ValueType {
  const list = words.map((w) => `\`${w}\``);
  const expected = list.length <= 2 ? list.join(" or ") : `one of ${list.join(", ")}`;
  return {
    expected,
    check(value) {
      if (value.kind === "ident" && words.includes(value.name)) return undefined;
      const name = value.kind === "ident" ? value.name : value.kind === "string" ? value.value : undefined;
      const close = name === undefined ? undefined : suggest(name, words);
      return close === undefined ? wrong : { ...wrong, help: `did you mean \`${close}\`?` };
    },
  };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Is `value` a well-formed `env("NAME")`? */
export function isEnvCall(value: Value): value is Call & { args: [{ kind: "string"; value: string }] } {
  return (
    value.kind === "call" &&
    value.callee.name === "env" &&
    value.args.length === 1 &&
    value.args[0]!.kind === "string" &&
    ENV_NAME.test(value.args[0]!.value)
  );
}

/** `env("NAME")`. A secret written inline gets a message telling the user to move it to the environment. */
export function envType(what: string): ValueType {
  return {
    expected: '`env("NAME")`',
    check(value) {
      if (isEnvCall(value)) return undefined;
      if (value.kind === "string") {
        return {
          code: "E201",
          message: `${what} must not be written in the policy: read it from the environment with \`env("NAME")\``,
          help: "policies live in git; put the secret in an environment variable and write `env(\"NAME\")`",
        };
      }
      if (value.kind === "call" && value.callee.name === "env") {
        return { code: "E201", message: '`env` takes one environment variable name, e.g. `env("OPENAI_API_KEY")`' };
      }
      return wrong;
    },
  };
}

/** A plain string, or `env("NAME")` for a value that differs between deployments (a Bedrock region). */
export const STRING_OR_ENV: ValueType = {
  expected: 'a string like "…" or `env("NAME")`',
  check: (v) => (v.kind === "string" && v.value !== "" ? undefined : isEnvCall(v) ? undefined : STRING.check(v) ?? wrong),
};

/** `memory`, `sqlite("path")` or `redis(env("X"))` / `redis("redis://…")`. */
export const STATE: ValueType = {
  expected: '`memory`, `sqlite("path")` or `redis(env("NAME"))`',
  check(value) {
    if (value.kind === "ident" && value.name === "memory") return undefined;
    if (value.kind !== "call") return wrong;
    const [arg, ...rest] = value.args;
    if (value.callee.name === "sqlite" && arg?.kind === "string" && rest.length === 0) return undefined;
    if (value.callee.name === "redis" && arg && rest.length === 0 && (arg.kind === "string" || isEnvCall(arg))) {
      return undefined;
    }
    return wrong;
  },
};
