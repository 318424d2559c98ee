/**
 * `aigw diff`'s renderings of a `PolicyDiff` (compiler/diff): human
 * (default), Markdown for a pull-request comment, and JSON. Pure.
 */
import type { Change, PolicyDiff } from "../../compiler/diff/index.js";
import type { SourceRef } from "../../compiler/graph.js";

/** What the two sides are called: the paths or refs given. */
export interface DiffLabels {
  old: string;
  new: string;
}

const at = (s: SourceRef): string => `${s.file}:${s.line}`;

/** Who the change is about, in words: `route \`chat\` → route \`long\``. */
function heading(c: Change, code: (s: string) => string): string {
  const route = (r: Change["old"]): string => (r ? `route ${code(r.name)} (${at(r.span)})` : "no route (404)");
  if (c.old && c.new && c.old.name === c.new.name) return `requests to ${route(c.new)}`;
  return `requests that went to ${route(c.old)} now go to ${route(c.new)}`;
}

function headline(d: PolicyDiff): string {
  if (d.equivalent) return "no change in behaviour";
  const n = d.changes.length;
  const g = d.global.length;
  return [n ? `${n} change${n === 1 ? "" : "s"} in behaviour` : "", g ? `${g} change${g === 1 ? "" : "s"} for every request` : ""].filter(Boolean).join(", ");
}

function caveat(c: Change): string | undefined {
  if (c.undecided) return "the analysis gave up on this region before deciding it: it may be empty";
  if (!c.exact) return "a condition here was too large to analyse exactly: the example shows the region, and an earlier route may take it";
  return undefined;
}

/** Changes listed one by one in the human and Markdown formats; JSON lists every one. */
export const SHOWN = 50;

function more(d: PolicyDiff): string | undefined {
  const n = d.changes.length - SHOWN;
  return n > 0 ? `… and ${n} more change${n === 1 ? "" : "s"} (--format json lists every one)` : undefined;
}

const moves = (c: Change): string => (c.moves !== undefined ? ` (${c.moves}% of this traffic moves to another model)` : "");

export function renderDiffHuman(d: PolicyDiff, labels: DiffLabels): string {
  const code = (s: string): string => `\`${s}\``;
  const out = [`aigw diff ${labels.old} → ${labels.new}: ${headline(d)}`];
  d.changes.slice(0, SHOWN).forEach((c, i) => {
    out.push("", `${i + 1}. ${heading(c, code)}`);
    if (!c.old || !c.new) out.push(`   ${c.old ? "now answered 404: no route matches" : "were answered 404: no route matched"}`);
    for (const a of c.aspects) out.push(`   ${a.aspect}: ${a.was} → ${a.now}${a.aspect === "targets" ? moves(c) : ""}`);
    out.push(`   e.g. ${c.witness}`);
    const note = caveat(c);
    if (note) out.push(`   note: ${note}`);
  });
  const rest = more(d);
  if (rest) out.push("", rest);
  if (d.global.length) {
    out.push("", "for every request:");
    for (const g of d.global) out.push(`   ${g.what}: ${g.was} → ${g.now}`);
  }
  if (d.renames.length) {
    out.push("", "renamed, no change in behaviour:");
    for (const r of d.renames) out.push(`   ${r.kind} \`${r.was}\` → \`${r.now}\``);
  }
  return out.join("\n") + "\n";
}

/** A Markdown table cell: pipes escaped, line breaks folded. */
const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

export function renderDiffMarkdown(d: PolicyDiff, labels: DiffLabels): string {
  const code = (s: string): string => `\`${s}\``;
  const out = [`### aigw diff \`${labels.old}\` → \`${labels.new}\`: ${headline(d)}`];
  d.changes.slice(0, SHOWN).forEach((c, i) => {
    out.push("", `**${i + 1}. ${heading(c, code)}**`, "");
    if (!c.old || !c.new) out.push(c.old ? "Now answered 404: no route matches." : "Were answered 404: no route matched.", "");
    if (c.aspects.length) {
      out.push("| | before | after |", "| --- | --- | --- |");
      for (const a of c.aspects) out.push(`| ${a.aspect} | ${cell(a.was)} | ${cell(a.now)}${a.aspect === "targets" ? cell(moves(c)) : ""} |`);
      out.push("");
    }
    out.push(`For example: ${c.witness}`);
    const note = caveat(c);
    if (note) out.push("", `> ${note}`);
  });
  const rest = more(d);
  if (rest) out.push("", rest);
  if (d.global.length) {
    out.push("", "**For every request**", "", "| | before | after |", "| --- | --- | --- |");
    for (const g of d.global) out.push(`| ${cell(g.what)} | ${cell(g.was)} | ${cell(g.now)} |`);
  }
  if (d.renames.length) {
    out.push("", `Renamed, no change in behaviour: ${d.renames.map((r) => `${r.kind} \`${r.was}\` → \`${r.now}\``).join(", ")}.`);
  }
  return out.join("\n") + "\n";
}

export function renderDiffJson(d: PolicyDiff, labels: DiffLabels): string {
  return JSON.stringify({ old: labels.old, new: labels.new, ...d }, null, 2) + "\n";
}
