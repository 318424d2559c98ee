/**
 * E209 stream-window: an output rule of a guardrail that inspects streams
 * (the default; `streams off` opts out) must be decidable with a bounded
 * hold-back (lang/SPEC.md §7.5). A `matches` pattern needs a longest match:
 * derived from the regex when it has one (compiler/regex-span.ts), else the
 * guardrail's `window N`. A `when` condition may read `text` only as
 * `text matches /…/` (the same bound), since any other test of the text
 * (`==`, `in`) needs the whole reply before it can decide.
 * Also checks the `streams` and `window` statements themselves.
 */
import type { Detector, Expr, GuardrailDecl, GuardrailStmt, RegexLit } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import { push } from "../passes/common.js";
import { regexMaxLength } from "../regex-span.js";
import type { CompileContext } from "../symbols.js";
import { checkValue, enumType, quantityType } from "../value-types.js";
import { regexProblem } from "./invalid-regex.js";
import type { Rule } from "./rule.js";
import { arr, declarations, spanOf } from "./walk.js";

const STREAMS = enumType(["on", "off"]);
/** The longest window a policy may ask for: 64 Ki characters held back per stream position. */
export const MAX_WINDOW = 65536;
const WINDOW = quantityType("a number of characters like 400", ["number"], { above: 0, max: MAX_WINDOW, whole: true });

/** Whether `e` reads the `text` fact anywhere (total: a tree with parts missing after a syntax error is read as far as it goes). */
function readsText(e: Expr | undefined): boolean {
  if (e === undefined || e === null) return false;
  switch (e.kind) {
    case "and":
    case "or":
      return readsText(e.left) || readsText(e.right);
    case "not":
      return readsText(e.operand);
    case "paren":
      return readsText(e.inner);
    default:
      return e.fact?.name?.name === "text";
  }
}

/** `text matches /…/`, possibly in parentheses: the one test of the text a stream can decide as it goes. */
function textPattern(e: Expr | undefined): RegexLit | undefined {
  if (e?.kind === "paren") return textPattern(e.inner);
  return e?.kind === "matches" && e.fact?.name?.name === "text" ? e.regex : undefined;
}

function checkGuardrail(file: string, g: GuardrailDecl, out: Diagnostic[]): void {
  const body = arr<GuardrailStmt>(g.body).filter((s) => s !== null && typeof s === "object");
  let streams = true;
  let window = false;
  for (const s of body) {
    if (s.kind === "streams") {
      if (s.value?.name === undefined) continue;
      push(out, checkValue(STREAMS, s.value, "streams"));
      if (s.value.name === "off") streams = false;
    } else if (s.kind === "window") {
      if (s.size?.kind !== undefined) push(out, checkValue(WINDOW, s.size, "window"));
      window = true;
    }
  }
  if (!streams) return;
  let output = false;
  const unbounded = (re: RegexLit | undefined): void => {
    if (window || typeof re?.pattern !== "string" || typeof re.flags !== "string" || regexProblem(re) !== undefined) return;
    if (regexMaxLength(re.pattern, re.flags) !== undefined) return;
    out.push(
      diagnostic("E209", `\`/${re.pattern}/${re.flags}\` has no longest match, so a stream cannot be inspected with it`, spanOf(file, re), {
        help: "bound its repetitions (`{1,200}` for `+`), give the guardrail a `window 400` (the longest match, in characters), or say `streams off`",
      }),
    );
  };
  for (const s of body) {
    if (s.kind === "on") output = s.target?.name === "output" || s.target?.name === "both";
    if (!output) continue;
    if (s.kind === "detect") {
      for (const d of arr<Detector>(s.detectors)) if (d?.kind === "pattern") unbounded(d.regex);
    } else if (s.kind === "when" && readsText(s.condition)) {
      const re = textPattern(s.condition);
      if (re !== undefined) unbounded(re);
      else {
        out.push(
          diagnostic("E209", "an output condition on `text` other than `text matches /…/` needs the whole reply, so a stream cannot be inspected with it", spanOf(file, s.condition, s), {
            help: "write the test as a detector (`block matches /…/`, `block deny [\"…\"]`), or say `streams off` to leave streams to the other rules",
          }),
        );
      }
    }
  }
}

function check(ctx: CompileContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { file, decl } of declarations(ctx)) if (decl.kind === "guardrail") checkGuardrail(file, decl, out);
  return out;
}

export const streamWindow: Rule = { name: "stream-window", codes: ["E201", "E204", "E209"], check };
