/**
 * W504 no-callers: a policy that can authenticate nobody. With `auth keys`
 * (the default when there is no `gateway` block or it has no `auth`) every
 * request needs a key listed in `keys`; a policy without a single `keys`
 * entry therefore answers every request with 401. That is almost always a
 * policy copied from an example that left out its keys, so the warning says
 * both ways out: paste a key minted with `aigw key`, or `auth none` for local
 * development.
 *
 * Where it points: at `auth keys` when it is written, else at the `gateway`
 * keyword, else at the start of the entry file (the policy has no line that
 * chose keys; the default did). A warning, not an error: the policy is valid,
 * and a key list may legitimately be empty for a moment during a rotation.
 */
import type { GatewayDecl } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import { fileSpan, type Span } from "../../lang/span.js";
import type { Rule } from "./rule.js";
import { arr, nameOf } from "./walk.js";

const HELP =
  "mint a key with `aigw key --team NAME` and paste the line it prints into a `keys { … }` block, " +
  "or write `gateway { auth none }` to let anyone call (local development only)";

/** The `auth` value of the gateway block (`keys`, `none`, or something E201 reports), with its span. */
function authSetting(gateway: GatewayDecl | undefined): { value: string | undefined; span: Span } | undefined {
  const setting = arr(gateway?.settings).find((s) => nameOf(s?.name) === "auth");
  if (!setting) return undefined;
  const value = setting.value?.kind === "ident" ? nameOf(setting.value) : undefined;
  return { value, span: setting.span };
}

/** The `gateway` keyword of the block: underlining the whole block would say less. */
function headOf(gateway: GatewayDecl): Span {
  const s = gateway.span;
  return { ...s, endLine: s.line, endColumn: s.column + "gateway".length, endOffset: s.offset + "gateway".length };
}

export const noCallers: Rule = {
  name: "no-callers",
  codes: ["W504"],
  check(ctx) {
    // No file, no policy: the loader's error says what is missing.
    if (arr(ctx.files).length === 0 || arr(ctx.symbols?.keys).length > 0 || (ctx.symbols?.jwt?.size ?? 0) > 0) return [];
    const gateway = ctx.symbols?.gateway;
    const auth = authSetting(gateway);
    if (auth && auth.value !== "keys") return [];
    const entry = arr(ctx.files)[0]?.path ?? "";
    const [why, span] = auth
      ? ["the gateway has `auth keys`", auth.span]
      : ["`auth keys` is the default", gateway?.span ? headOf(gateway) : fileSpan(entry)];
    const warning: Diagnostic = diagnostic("W504", `no caller can authenticate: ${why} and the policy lists no \`keys\`, so every request gets 401`, span, { help: HELP });
    return [warning];
  },
};
