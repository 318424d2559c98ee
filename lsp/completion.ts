/**
 * Completion: the items for the slot the cursor is in (completion-context.ts)
 * — keywords, declared names of the kind the slot needs, settings, facts,
 * words and quantities. A value is offered only when the compiler's own
 * check of that setting accepts it (compiler/settings.ts and
 * value-types.ts), so completion never suggests what `aigw check` refuses.
 */
import { CompletionItemKind, InsertTextFormat, type CompletionItem, type Range } from "vscode-languageserver";
import { FACTS } from "../compiler/facts.js";
import type { ModelDecl, Unit, Value } from "../lang/ast.js";
import type { Diagnostic } from "../lang/diagnostics.js";
import { decodeQuantity } from "../lang/literals.js";
import { parse } from "../lang/parse.js";
import { fileSpan } from "../lang/span.js";
import { REQUEST_FACTS } from "../compiler/passes/check-tests.js";
import { CACHE_SCOPES, CACHE_SETTINGS, GATEWAY_SETTINGS, HEALTH_SETTINGS, JWT_ALGORITHMS, JWT_SETTINGS, MODEL_SETTINGS, PRICE_ROW_SETTINGS, PROVIDER_APIS, PROVIDER_SETTINGS, settingSpec, type SettingsTable } from "../compiler/settings.js";
import type { Analysis } from "./analysis.js";
import { completionContext, type SettingsBlock, type Slot } from "./completion-context.js";

const TABLES: Record<SettingsBlock, SettingsTable> = { gateway: GATEWAY_SETTINGS, provider: PROVIDER_SETTINGS, model: MODEL_SETTINGS, "price row": PRICE_ROW_SETTINGS, cache: CACHE_SETTINGS, health: HEALTH_SETTINGS, jwt: JWT_SETTINGS };

/** Examples of each unit, offered when no number is typed yet. */
const EXAMPLES: Record<Unit, readonly string[]> = {
  duration: ["250ms", "30s", "5m", "2h", "1d"],
  tokens: ["100k", "128k", "1M"],
  money: ["$5", "$200"],
  price: ["$2.50/Mtok", "$0.15/Mtok", "$0.002/ktok"],
  percent: ["80%", "100%"],
  status: ["429", "5xx"],
  bytes: ["512KB", "1MB"],
  number: [],
};
/** Suffixes completing a number already typed (`30` → `30s`, `30ms` …). */
const SUFFIXES = ["ms", "s", "m", "h", "d", "k", "M", "%", "B", "KB", "MB", "GB", "/Mtok", "/ktok", "/tok", "xx"];
/** Words and calls a setting may take; each is offered where the setting's type accepts it. */
const WORDS = ["true", "false", "keys", "none", "memory", ...PROVIDER_APIS, ...CACHE_SCOPES, ...JWT_ALGORITHMS, "allowed", "denied", "hits", 'env("NAME")', 'sqlite(".aigw/state.db")', 'redis(env("REDIS_URL"))'];

function unitOf(text: string): Unit | undefined {
  if (!/^\$?\d/.test(text)) return undefined;
  const diagnostics: Diagnostic[] = [];
  const q = decodeQuantity(text, fileSpan(""), diagnostics);
  return diagnostics.length ? undefined : q.unit;
}

/** The value `text` parses to, as a setting's value (through the real parser). */
function valueOf(text: string): Value | undefined {
  const { file, diagnostics } = parse(`gateway { x ${text} }`, "");
  const d = file.declarations[0];
  return diagnostics.length === 0 && d?.kind === "gateway" ? d.settings[0]?.value : undefined;
}

/** Quantities: the number typed so far with each suffix that makes an accepted value, else examples. */
function quantities(prefix: string, accept: (text: string) => boolean): string[] {
  const number = /^\$?\d+(?:\.\d+)?$/.test(prefix);
  const texts = number ? [prefix, ...SUFFIXES.map((s) => prefix + s), ...(prefix.startsWith("$") ? [] : [`$${prefix}`])] : Object.values(EXAMPLES).flat();
  return [...new Set(texts)].filter(accept);
}

function words(list: readonly string[], kind: CompletionItemKind): CompletionItem[] {
  return list.map((label) => ({ label, kind }));
}

function names(a: Analysis, of: string): CompletionItem[] {
  const seen = new Set<string>();
  const out: CompletionItem[] = [];
  for (const o of a.index.occurrences) {
    if (!o.decl || o.kind !== of || seen.has(o.name)) continue;
    seen.add(o.name);
    const m = o.decl.kind === "model" ? (o.decl as ModelDecl) : undefined;
    out.push({ label: o.name, kind: KIND[of] ?? CompletionItemKind.Reference, detail: m ? `${m.provider?.name}/${JSON.stringify(m.upstream?.value ?? "")}` : of });
  }
  return out;
}

const KIND: Record<string, CompletionItemKind> = {
  model: CompletionItemKind.Class,
  provider: CompletionItemKind.Module,
  budget: CompletionItemKind.Variable,
  limit: CompletionItemKind.Variable,
  guardrail: CompletionItemKind.Interface,
  route: CompletionItemKind.Function,
};

function facts(): CompletionItem[] {
  return Object.entries(FACTS).map(([name, spec]) =>
    spec.arg
      ? { label: name, kind: CompletionItemKind.Field, detail: spec.doc, insertText: `${name}("$1")`, insertTextFormat: InsertTextFormat.Snippet }
      : { label: name, kind: CompletionItemKind.Field, detail: spec.doc },
  );
}

function items(a: Analysis, slot: Slot, prefix: string): CompletionItem[] {
  switch (slot.kind) {
    case "keywords":
      return words(slot.words, CompletionItemKind.Keyword);
    case "names":
      return [...names(a, slot.of), ...words(slot.also ?? [], CompletionItemKind.Keyword)];
    case "facts":
      return facts();
    case "request-facts":
      return Object.entries(REQUEST_FACTS).map(([label, f]) => ({ label, kind: CompletionItemKind.Field, detail: f.example }));
    case "settings": {
      const settings = Object.entries(TABLES[slot.block]).map(([label, spec]) => ({ label, kind: CompletionItemKind.Property, detail: spec.doc }));
      return slot.block === "cache" ? [{ label: "when", kind: CompletionItemKind.Keyword, detail: "which requests the cache answers and stores" }, ...settings] : settings;
    }
    case "value": {
      const spec = settingSpec(TABLES[slot.block], slot.setting);
      if (!spec) return [];
      const ok = (text: string): boolean => {
        const v = valueOf(text);
        return v !== undefined && spec.type.check(v) === undefined;
      };
      return [...words(WORDS.filter(ok), CompletionItemKind.EnumMember), ...words(quantities(prefix, ok), CompletionItemKind.Unit)];
    }
    case "words":
      return words(slot.words, CompletionItemKind.EnumMember);
    case "unit":
      return words(quantities(prefix, (t) => unitOf(t) === slot.unit), CompletionItemKind.Unit);
    case "window":
      return [...words(["minute", "hour", "day", "month"], CompletionItemKind.EnumMember), ...words(quantities(prefix, (t) => unitOf(t) === "duration"), CompletionItemKind.Unit)];
    case "none":
      return [];
  }
}

/** Completion items at `offset` of `text` (the open buffer), with names from `a`. */
export function complete(a: Analysis, text: string, offset: number, replace: (prefixLength: number) => Range): CompletionItem[] {
  const { slot, prefix } = completionContext(text, offset);
  const list = items(a, slot, prefix);
  if (prefix === "") return list;
  const range = replace(prefix.length);
  return list.map((item) => ({ ...item, textEdit: { range, newText: item.insertText ?? item.label } }));
}
