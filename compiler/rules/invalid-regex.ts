/**
 * E207 invalid-regex: a regex literal (guardrail `matches /…/`, `when … matches
 * /…/`) must compile with JavaScript's RegExp and with the linear-time engine
 * policy regexes run on (compiler/linear-regex.ts: no lookaround, no
 * backreferences), and its flags must be among those the language allows:
 * `i`, `m`, `s`, `u`, each at most once. `g` and `y` are refused on purpose:
 * they make `test()` remember where it stopped, so the same text would
 * alternately match and not match.
 */
import type { RegexLit } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import { linearProblem, unsupportedFeature } from "../linear-regex.js";
import type { Rule } from "./rule.js";
import { regexLiterals, spanOf } from "./walk.js";

const ALLOWED_FLAGS = "imsu";

/** What is wrong with `re`, or undefined when it compiles. */
export function regexProblem(re: Pick<RegexLit, "pattern" | "flags">): { message: string; help: string } | undefined {
  const pattern = typeof re.pattern === "string" ? re.pattern : "";
  const flags = typeof re.flags === "string" ? re.flags : "";
  const seen = new Set<string>();
  for (const f of flags) {
    if (!ALLOWED_FLAGS.includes(f)) {
      return { message: `regex flag \`${f}\` is not allowed`, help: "use only the flags `i`, `m`, `s` and `u`" };
    }
    if (seen.has(f)) return { message: `regex flag \`${f}\` is given twice`, help: `write \`${f}\` once` };
    seen.add(f);
  }
  try {
    new RegExp(pattern, flags);
  } catch (err) {
    return { message: `invalid regex \`/${pattern}/${flags}\`: ${reason(err)}`, help: "fix the pattern; it is a JavaScript regular expression" };
  }
  const unsupported = unsupportedFeature(pattern);
  if (unsupported !== undefined) {
    return {
      message: `regex \`/${pattern}/${flags}\` uses ${unsupported}, which cannot be matched in linear time`,
      help: "policy regexes run on a linear-time engine (RE2): rewrite it without lookaround or backreferences",
    };
  }
  const engine = linearProblem(pattern, flags);
  if (engine !== undefined) return { message: `regex \`/${pattern}/${flags}\`: ${engine}`, help: "policy regexes run on a linear-time engine (RE2); rewrite this part" };
  return undefined;
}

/** V8 says "Invalid regular expression: /(/: Unterminated group"; keep the last part, lowercased. */
function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const tail = text.slice(text.lastIndexOf(": ") + 2) || text;
  return tail.charAt(0).toLowerCase() + tail.slice(1);
}

export const invalidRegex: Rule = {
  name: "invalid-regex",
  codes: ["E207"],
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const { file, regex } of regexLiterals(ctx)) {
      const problem = regexProblem(regex);
      if (problem) out.push(diagnostic("E207", problem.message, spanOf(file, regex), { help: problem.help }));
    }
    return out;
  },
};
