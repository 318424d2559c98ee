/**
 * Checks request shaping statements (lang/SPEC.md §4.8.2) in routes and
 * `defaults` blocks: the parameter is one the gateway can shape (E202, with
 * "did you mean"), takes that verb (only `max_tokens` is capped, E202) and
 * a value of its type (E201/E204); one statement per verb and parameter and
 * one header per name in a block (E208); a `default` above the block's own
 * cap (E204). An upstream header must be a valid name with a one-line value,
 * and never a credential, hop-by-hop or gateway-written header (E211).
 */
import type { DefaultsDecl, RouteDecl, RouteStmt } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "../rules/rule.js";
import type { CompileContext } from "../symbols.js";
import { FORBIDDEN_HEADERS, HEADER_NAME, SHAPE_PARAMS } from "../shaping.js";
import { didYouMean } from "../suggest.js";
import { checkValue } from "../value-types.js";
import { firstOfEach, isMissing, push } from "./common.js";

type Shape = Extract<RouteStmt, { kind: "shape" }>;
type Header = Extract<RouteStmt, { kind: "upstream_header" }>;

function checkShape(s: Shape, out: Diagnostic[]): void {
  const name = s.param.name;
  if (name === "") return;
  const param = SHAPE_PARAMS.get(name);
  if (param === undefined) {
    const help = didYouMean(name, SHAPE_PARAMS.keys(), "parameter") ?? `the parameters a route can shape are ${[...SHAPE_PARAMS.keys()].map((k) => `\`${k}\``).join(", ")}`;
    out.push(diagnostic("E202", `\`${name}\` is not a parameter a route can \`${s.verb}\``, s.param.span, { help }));
    return;
  }
  if (!param.verbs.includes(s.verb)) {
    out.push(
      diagnostic("E202", `\`${name}\` cannot be capped: only \`max_tokens\` can`, s.span, {
        help: `use \`set ${name} …\` to fix it for every request`,
      }),
    );
    return;
  }
  if (!isMissing(s.value)) push(out, checkValue(param.type, s.value, `${s.verb} ${name}`));
}

function checkHeader(h: Header, out: Diagnostic[]): void {
  const name = h.name.value;
  const lower = name.toLowerCase();
  if (!HEADER_NAME.test(name)) {
    out.push(diagnostic("E211", `\`${name}\` is not a header name`, h.name.span, { help: "a header name is letters, digits and `-` (no spaces or `:`)" }));
    return;
  }
  const why = FORBIDDEN_HEADERS.get(lower);
  if (why !== undefined) {
    const help = why === "a credential" ? "the provider's key is sent by the gateway from its `key env(\"…\")`; a credential in a policy file is a leaked secret" : why === "hop-by-hop" ? "hop-by-hop headers describe one connection and are never forwarded" : "the gateway writes this header itself";
    out.push(diagnostic("E211", `\`upstream_header\` cannot set \`${lower}\` (${why} header)`, h.name.span, { help }));
    return;
  }
  if (/[\r\n\0]/.test(h.value.value)) out.push(diagnostic("E211", `the value of header \`${lower}\` has a line break`, h.value.span, { help: "a header value is one line" }));
}

function checkBlock(decl: RouteDecl | DefaultsDecl, out: Diagnostic[]): void {
  const shapes = decl.body.filter((s): s is Shape => s.kind === "shape");
  const headers = decl.body.filter((s): s is Header => s.kind === "upstream_header");
  for (const s of shapes) checkShape(s, out);
  for (const h of headers) checkHeader(h, out);
  firstOfEach(shapes, (s) => (s.param.name === "" ? undefined : `${s.verb} ${s.param.name}`), (k) => `\`${k}\``, out);
  firstOfEach(headers, (h) => h.name.value.toLowerCase(), (k) => `\`upstream_header "${k}"\``, out);
  const cap = shapes.find((s) => s.verb === "cap" && s.param.name === "max_tokens");
  const dflt = shapes.find((s) => s.verb === "default" && s.param.name === "max_tokens");
  if (cap?.value.kind === "quantity" && dflt?.value.kind === "quantity" && dflt.value.value > cap.value.value) {
    out.push(
      diagnostic("E204", `\`default max_tokens ${dflt.value.raw}\` is above \`cap max_tokens ${cap.value.raw}\``, dflt.value.span, {
        related: { message: "the cap", span: cap.span },
        help: "the cap would lower it anyway: make the default at most the cap",
      }),
    );
  }
}

function check(ctx: CompileContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const file of ctx.files) for (const decl of file.declarations) if (decl.kind === "route" || decl.kind === "defaults") checkBlock(decl, out);
  return out;
}

/** The request-shaping check. */
export const checkShaping: Rule = { name: "check-shaping", codes: ["E201", "E202", "E204", "E208", "E211"], check };
