/**
 * E311 wildcard-model: a wildcard model (`model any = openai/"*" { … }`)
 * sends the name the caller asked for, so it is only declared where that is
 * safe: on a provider whose requests carry the model in the body (`api
 * openai`, `anthropic`, `mock`; Gemini, Vertex, Azure and Bedrock put it in
 * the URL path), with price-table rows whose names pass the same check the
 * runtime applies to requested names, each listed once. A price table on a
 * model that is not a wildcard is an error too: it would never be read.
 */
import type { ModelDecl, ProviderDecl } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import { UPSTREAM_NAME, WILDCARD_APIS, WILDCARD_UPSTREAM, type ProviderApi } from "../graph.js";
import type { Rule } from "./rule.js";
import { arr, declarations, nameOf, spanOf } from "./walk.js";

function apiOf(p: ProviderDecl | undefined): string | undefined {
  const v = arr(p?.settings).find((s) => nameOf(s?.name) === "api")?.value;
  return v?.kind === "ident" ? v.name : undefined;
}

function checkModel(m: ModelDecl, providers: ReadonlyMap<string, ProviderDecl>, out: Diagnostic[]): void {
  const name = nameOf(m.name) ?? "";
  const rows = arr(m.prices);
  if (m.upstream?.value !== WILDCARD_UPSTREAM) {
    if (rows.length > 0) {
      out.push(
        diagnostic("E311", `model \`${name}\` has a price table but is not a wildcard`, rows[0]!.name.span, {
          help: `write \`model ${name} = ${m.provider.name}/"*"\` to send the name each request asks for, or price the model with \`input\` and \`output\``,
        }),
      );
    }
    return;
  }
  const api = apiOf(providers.get(nameOf(m.provider) ?? ""));
  if (api !== undefined && !WILDCARD_APIS.includes(api as ProviderApi)) {
    out.push(
      diagnostic("E311", `wildcard model \`${name}\` is on provider \`${nameOf(m.provider) ?? ""}\` (\`api ${api}\`), whose URLs carry the model name`, spanOf(m.span?.file ?? "", m.upstream, m), {
        help: `wildcards are for ${WILDCARD_APIS.map((a) => `\`api ${a}\``).join(", ")} providers; declare each ${api} model by name`,
      }),
    );
  }
  const seen = new Set<string>();
  for (const row of rows) {
    const upstream = row?.name?.value;
    if (typeof upstream !== "string") continue;
    if (!UPSTREAM_NAME.test(upstream)) {
      out.push(
        diagnostic("E311", `\`${upstream}\` in the price table of \`${name}\` is not a name a wildcard can send`, spanOf(m.span?.file ?? "", row.name, row, m), {
          help: "a wildcard sends names of 1 to 128 letters, digits, `.`, `_`, `:` and `-`, starting with a letter or digit",
        }),
      );
    } else if (seen.has(upstream)) {
      out.push(diagnostic("E311", `the price table of \`${name}\` lists \`${upstream}\` twice`, spanOf(m.span?.file ?? "", row.name, row, m), { help: "keep one row per upstream name" }));
    }
    seen.add(upstream);
  }
}

export const wildcardModel: Rule = {
  name: "wildcard-model",
  codes: ["E311"],
  check(ctx) {
    const out: Diagnostic[] = [];
    const providers = ctx.symbols?.providers ?? new Map<string, ProviderDecl>();
    for (const { decl } of declarations(ctx)) if (decl?.kind === "model") checkModel(decl, providers, out);
    return out;
  },
};
