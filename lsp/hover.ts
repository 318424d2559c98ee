/**
 * Hover: what the name under the cursor means, in the policy's own words —
 * a model's provider, upstream name, prices and limits; a provider's API; a
 * budget's or limit's scope, amounts, windows and what happens when it is
 * exceeded; a guardrail's rules; a route's `when`, targets, attachments,
 * source and place in first-match order; an imported file's path; a fact's
 * meaning. Values are quoted as written.
 */
import type { Hover, Position } from "vscode-languageserver";
import { factSpec } from "../compiler/facts.js";
import { spanContains, type Occurrence } from "../compiler/name-index.js";
import { HEALTH_SETTINGS } from "../compiler/settings.js";
import type { BudgetClause, BudgetDecl, Declaration, DefaultsDecl, GuardrailDecl, HealthDecl, LimitDecl, ModelDecl, ProviderDecl, RouteDecl, Setting } from "../lang/ast.js";
import type { Span } from "../lang/span.js";
import type { Analysis } from "./analysis.js";
import { spanPoint, spanRange } from "./convert.js";
import { occurrenceAt } from "./navigation.js";

/** The source text of a span, as written. */
const textOf = (a: Analysis, span: Span | undefined): string => (span ? (a.texts.get(span.file)?.slice(span.offset, span.endOffset) ?? "") : "");
const where = (span: Span): string => `${span.file}:${span.line}`;
const code = (s: string): string => `\`${s.replaceAll("`", "'")}\``;

function settingText(a: Analysis, settings: readonly Setting[] | undefined, name: string): string | undefined {
  const s = (settings ?? []).find((x) => x?.name?.name === name);
  return s ? textOf(a, s.value?.span) : undefined;
}

function declOf(a: Analysis, kind: string, name: string): Declaration | undefined {
  return a.index.occurrences.find((o) => o.decl && o.kind === kind && o.name === name)?.decl;
}

function model(a: Analysis, m: ModelDecl): string[] {
  const provider = m.provider?.name ?? "";
  const p = declOf(a, "provider", provider) as ProviderDecl | undefined;
  const api = p ? settingText(a, p.settings, "api") : undefined;
  const set = (n: string): string => settingText(a, m.settings, n) ?? "not set";
  return [
    `**model** ${code(m.name.name)} = ${code(`${provider}/${textOf(a, m.upstream?.span)}`)}`,
    `- provider: ${code(provider)}${api ? ` (api ${api})` : p ? "" : " — not declared"}`,
    `- upstream name: ${code(m.upstream?.value ?? "")}`,
    `- price: input ${set("input")}, output ${set("output")}`,
    `- context: ${set("context")}, max_output: ${set("max_output")}`,
    `- supports: ${settingText(a, m.settings, "supports") ?? "not declared (never a reason to skip it)"}`,
  ];
}

/** A health policy: every setting, as written or its default. */
function health(a: Analysis, h: HealthDecl): string[] {
  const lines = [`**health** ${code(h.name.name)}`];
  for (const [name, spec] of Object.entries(HEALTH_SETTINGS)) {
    const written = settingText(a, h.settings, name);
    lines.push(`- ${name}: ${written ?? (spec.default !== undefined ? `${spec.default} (the default)` : "not set")}`);
  }
  const routes = a.index.occurrences.filter((o) => o.kind === "health" && o.name === h.name.name && !o.decl).length;
  lines.push(`- used by ${routes} route${routes === 1 ? "" : "s"}`);
  return lines;
}

function provider(a: Analysis, p: ProviderDecl): string[] {
  const lines = [`**provider** ${code(p.name.name)}`];
  for (const s of p.settings ?? []) if (s?.name?.name) lines.push(`- ${s.name.name}: ${textOf(a, s.value?.span)}`);
  const models = a.index.occurrences.filter((o) => o.decl?.kind === "model" && (o.decl as ModelDecl).provider?.name === p.name.name).map((o) => code(o.name));
  if (models.length) lines.push(`- models: ${models.join(", ")}`);
  return lines;
}

function clauses(a: Analysis, what: "budget" | "limit", d: BudgetDecl | LimitDecl): string[] {
  const cs: BudgetClause[] = (d.clauses ?? []).filter(Boolean);
  const scope = cs.find((c) => c.kind === "scope");
  const lines = [`**${what}** ${code(d.name.name)}`, `- scope: per ${scope?.kind === "scope" ? scope.scope.name : "global (the default)"}`];
  for (const c of cs) {
    if (c.kind === "amount") lines.push(`- ${c.measure.name}: ${textOf(a, c.amount?.span)} per ${textOf(a, c.window?.span)}`);
    else if (c.kind === "warn") lines.push(`- warn at ${textOf(a, c.at?.span)}`);
  }
  if (what === "budget") {
    const ex = cs.find((c) => c.kind === "exceeded");
    lines.push(`- exceeded: ${ex?.kind === "exceeded" ? textOf(a, { ...ex.span, offset: ex.action.span.offset }) : "reject (the default): 429"}`);
  }
  return lines;
}

function guardrail(a: Analysis, g: GuardrailDecl): string[] {
  return [`**guardrail** ${code(g.name.name)}`, ...(g.body ?? []).filter(Boolean).map((s) => `- ${code(textOf(a, s.span))}`)];
}

function route(a: Analysis, r: RouteDecl): string[] {
  const body = (r.body ?? []).filter(Boolean);
  const when = body.filter((s) => s.kind === "when").map((s) => textOf(a, s.kind === "when" ? s.condition?.span : undefined));
  const targets = body.filter((s) => s.kind === "to" || s.kind === "split" || s.kind === "fallback").map((s) => code(textOf(a, s.span)));
  const attached = body
    .filter((s) => s.kind === "guard" || s.kind === "budget" || s.kind === "limit" || s.kind === "retry" || s.kind === "timeout" || s.kind === "health" || s.kind === "use")
    .map((s) => code(textOf(a, s.span)));
  const order = a.index.occurrences.filter((o) => o.decl?.kind === "route");
  const n = order.findIndex((o) => o.decl === r) + 1;
  const lines = [
    `**route** ${code(r.name.name)} — ${where(r.span)}, tried ${n} of ${order.length}`,
    `- when: ${when.length ? when.map(code).join(" and ") : "every request (no `when`)"}`,
    `- targets: ${targets.length ? targets.join(", ") : "none"}`,
  ];
  if (attached.length) lines.push(`- also: ${attached.join(", ")}`);
  return lines;
}

/** A `defaults` block: its statements, and how many routes and blocks include it. */
function defaults(a: Analysis, d: DefaultsDecl): string[] {
  const uses = a.index.occurrences.filter((o) => o.kind === "defaults" && o.name === d.name.name && !o.decl).length;
  return [
    `**defaults** ${code(d.name.name)} — included ${uses === 1 ? "once" : `${uses} times`} (\`use ${d.name.name}\`); a route's own statements override these`,
    ...(d.body ?? []).filter(Boolean).map((s) => `- ${code(textOf(a, s.span))}`),
  ];
}

function describe(a: Analysis, o: Occurrence): string[] | undefined {
  if (o.kind === "file") return [`**import** ${code(o.name)}${a.texts.has(o.name) ? "" : " — not found"}`];
  const d = o.decl ?? declOf(a, o.kind, o.name);
  if (!d) return [`unknown ${o.kind} ${code(o.name)}`];
  const lines =
    d.kind === "model" ? model(a, d)
    : d.kind === "provider" ? provider(a, d)
    : d.kind === "budget" ? clauses(a, "budget", d)
    : d.kind === "limit" ? clauses(a, "limit", d)
    : d.kind === "guardrail" ? guardrail(a, d)
    : d.kind === "route" ? route(a, d)
    : d.kind === "health" ? health(a, d)
    : d.kind === "defaults" ? defaults(a, d)
    : undefined;
  if (lines && d.kind !== "route") lines.push(`- declared at ${where(d.span)}`);
  return lines;
}

export function hover(a: Analysis, path: string, position: Position): Hover | null {
  const o = occurrenceAt(a, path, position);
  if (o) {
    const lines = describe(a, o);
    return lines ? { contents: { kind: "markdown", value: lines.join("\n") }, range: spanRange(o.span) } : null;
  }
  const { line, column } = spanPoint(position);
  const fact = a.index.facts.find((f) => f.span.file === path && spanContains(f.span, line, column));
  const spec = fact && factSpec(fact.name);
  if (!fact || !spec) return null;
  const arg = spec.arg ? `(${JSON.stringify(spec.arg)})` : "";
  return { contents: { kind: "markdown", value: `**fact** ${code(fact.name + arg)} — ${spec.doc} (${spec.kind})` }, range: spanRange(fact.span) };
}

