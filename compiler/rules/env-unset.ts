/**
 * W502 env-unset: `env("X")` where `X` is not set (or is empty) in the
 * environment the compiler was given. A warning, not an error: `aigw check`
 * runs in CI, which usually has no provider secrets. The value of a variable
 * is only ever tested for presence; it is never copied into a message.
 */
import type { Call, Value } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { arr, declarationValues, declarations, nameOf, spanOf, walkValue } from "./walk.js";

/** The variable an `env("X")` call reads, or undefined when the call is not one. */
function envName(v: Value): { call: Call; name: string } | undefined {
  if (v.kind !== "call" || nameOf(v.callee) !== "env") return undefined;
  const arg = arr(v.args)[0];
  return arg?.kind === "string" && typeof arg.value === "string" && arg.value !== "" ? { call: v, name: arg.value } : undefined;
}

export const envUnset: Rule = {
  name: "env-unset",
  codes: ["W502"],
  check(ctx) {
    const out: Diagnostic[] = [];
    const env = ctx.env ?? {};
    for (const { file, decl } of declarations(ctx)) {
      for (const top of declarationValues(decl)) {
        walkValue(top, (v) => {
          const e = envName(v);
          if (!e) return;
          const value = Object.prototype.hasOwnProperty.call(env, e.name) ? env[e.name] : undefined;
          if (value !== undefined && value !== "") return;
          out.push(
            diagnostic("W502", `environment variable \`${e.name}\` is ${value === "" ? "empty" : "not set"}`, spanOf(file, e.call), {
              help: `set \`${e.name}\` where the gateway runs; \`aigw check\` only warns because CI usually has no secrets`,
            }),
          );
        });
      }
    }
    return out;
  },
};
