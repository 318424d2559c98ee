/**
 * W502 env-unset: `env("X")` where `X` is not set (or is empty) in the
 * environment the compiler was given. A warning, not an error: `aigw check`
 * runs in CI, which usually has no provider secrets. The value of a variable
 * is only ever tested for presence; it is never copied into a message. A
 * `bedrock` provider that names no `access_key`/`secret_key` reads the
 * standard AWS variables, which are checked too (at the provider's name);
 * `AWS_SESSION_TOKEN` is optional and is not.
 */
import type { Call, Declaration, Value } from "../../lang/ast.js";
import { DEFAULTS } from "../settings.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { arr, declarationValues, declarations, nameOf, spanOf, walkValue } from "./walk.js";

/** The variable an `env("X")` call reads, or undefined when the call is not one. */
function envName(v: Value): { call: Call; name: string } | undefined {
  if (v.kind !== "call" || nameOf(v.callee) !== "env") return undefined;
  const arg = arr(v.args)[0];
  return arg?.kind === "string" && typeof arg.value === "string" && arg.value !== "" ? { call: v, name: arg.value } : undefined;
}

/** The variables a `bedrock` provider reads because it names no credential setting, with the setting each stands for. */
function defaultedVariables(decl: Declaration): { setting: string; name: string }[] {
  if (decl.kind !== "provider") return [];
  const settings = arr(decl.settings);
  const api = settings.find((s) => s?.name?.name === "api")?.value;
  if (api?.kind !== "ident" || api.name !== "bedrock") return [];
  const d = DEFAULTS.provider.bedrock;
  return [
    { setting: "access_key", name: d.accessKey },
    { setting: "secret_key", name: d.secretKey },
  ].filter((v) => !settings.some((s) => s?.name?.name === v.setting));
}

export const envUnset: Rule = {
  name: "env-unset",
  codes: ["W502"],
  check(ctx) {
    const out: Diagnostic[] = [];
    const env = ctx.env ?? {};
    for (const { file, decl } of declarations(ctx)) {
      for (const v of defaultedVariables(decl)) {
        const value = Object.prototype.hasOwnProperty.call(env, v.name) ? env[v.name] : undefined;
        if (value !== undefined && value !== "") continue;
        const name = decl.kind === "provider" ? decl.name : undefined;
        out.push(
          diagnostic("W502", `environment variable \`${v.name}\` is ${value === "" ? "empty" : "not set"}`, spanOf(file, name, decl), {
            help: `provider \`${name?.name ?? "?"}\` reads it as its \`${v.setting}\`; set it where the gateway runs, or name another with \`${v.setting} env("NAME")\``,
          }),
        );
      }
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
