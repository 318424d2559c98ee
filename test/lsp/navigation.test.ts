/**
 * Go to definition, find references, rename and hover through `aigw lsp`,
 * across the two files of a policy (main.route imports models.route).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Hover, Location, WorkspaceEdit } from "vscode-languageserver-protocol";
import { uri, useFixturePolicy } from "./client.js";
import { at, MAIN, MODELS } from "./fixtures.js";

const p = useFixturePolicy({ main: MAIN, models: MODELS }, true);

const doc = (path: string, position: { line: number; character: number }) => ({ textDocument: { uri: uri(path) }, position });
const where = (l: Location) => `${l.uri.slice(l.uri.lastIndexOf("/") + 1)}:${l.range.start.line}:${l.range.start.character}-${l.range.end.character}`;

describe("definition", () => {
  it("of a model used in a route is its declaration in the imported file", async () => {
    const locs = await p.client.request<Location[]>("textDocument/definition", doc(p.main, at(MAIN, "to big", 0, 4)));
    expect(locs.map(where)).toEqual([`models.route:${at(MODELS, "big").line}:6-9`]);
  });

  it("of every kind of name", async () => {
    const cases: [string, number, string][] = [
      ["guard pii", 6, `main.route:${at(MAIN, "guardrail pii").line}:10-13`],
      ["budget team-daily\n", 7, `main.route:${at(MAIN, "budget team-daily {").line}:7-17`],
      ["limit per-key\n", 6, `main.route:${at(MAIN, "limit per-key {").line}:6-13`],
      ["downgrade mini", 10, `models.route:${at(MODELS, "model mini").line}:6-10`],
      ["expect route rest", 13, `main.route:${at(MAIN, "route rest").line}:6-10`],
    ];
    for (const [needle, shift, want] of cases) {
      const locs = await p.client.request<Location[]>("textDocument/definition", doc(p.main, at(MAIN, needle, 0, shift)));
      expect(locs.map(where), needle).toEqual([want]);
    }
    const provider = await p.client.request<Location[]>("textDocument/definition", doc(p.models, at(MODELS, "openai/", 0, 1)));
    expect(provider.map(where)).toEqual(["models.route:0:9-15"]);
  });

  it("of an import is the imported file", async () => {
    const locs = await p.client.request<Location[]>("textDocument/definition", doc(p.main, at(MAIN, '"models.route"', 0, 3)));
    expect(locs).toEqual([{ uri: uri(p.models), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }]);
  });

  it("of a keyword or a string is nothing", async () => {
    expect(await p.client.request<Location[]>("textDocument/definition", doc(p.main, at(MAIN, "fallback", 0, 2)))).toEqual([]);
    expect(await p.client.request<Location[]>("textDocument/definition", doc(p.main, at(MAIN, '"chat"', 0, 2)))).toEqual([]);
  });
});

describe("references", () => {
  it("of a model are its declaration and every use, across files, tests included", async () => {
    const locs = await p.client.request<Location[]>("textDocument/references", { ...doc(p.models, at(MODELS, "model mini", 0, 7)), context: { includeDeclaration: true } });
    expect(locs.map(where).sort()).toEqual(
      [`models.route:${at(MODELS, "model mini").line}:6-10`, `main.route:${at(MAIN, "downgrade mini").line}:${at(MAIN, "downgrade mini", 0, 10).character}-${at(MAIN, "downgrade mini", 0, 14).character}`, `main.route:${at(MAIN, "fallback mini").line}:11-15`, `main.route:${at(MAIN, "to mini").line}:5-9`].sort(),
    );
    const uses = await p.client.request<Location[]>("textDocument/references", { ...doc(p.models, at(MODELS, "model mini", 0, 7)), context: { includeDeclaration: false } });
    expect(uses).toHaveLength(3);
  });
});

describe("hover", () => {
  const hover = async (path: string, at: { line: number; character: number }) =>
    ((await p.client.request<Hover | null>("textDocument/hover", doc(path, at)))?.contents as { value: string } | undefined)?.value ?? "";

  it("on a model: provider, upstream name, prices, context and max_output", async () => {
    const text = await hover(p.main, at(MAIN, "to big", 0, 4));
    expect(text).toContain("`openai` (api mock)");
    expect(text).toContain("upstream name: `gpt-4o`");
    expect(text).toContain("input $2.50/Mtok, output $10/Mtok");
    expect(text).toContain("context: 128k, max_output: 16k");
    expect(text).toContain(`models.route:${at(MODELS, "model big").line + 1}`);
  });

  it("on a budget: scope, limit, window, warn and exceeded action; on a limit: its clauses", async () => {
    const budget = await hover(p.main, at(MAIN, "budget team-daily\n", 0, 8));
    expect(budget).toContain("scope: per team");
    expect(budget).toContain("limit: $200 per day");
    expect(budget).toContain("warn at 80%");
    expect(budget).toContain("exceeded: downgrade mini");
    const limit = await hover(p.main, at(MAIN, "limit per-key\n", 0, 7));
    expect(limit).toContain("scope: per key");
    expect(limit).toContain("requests: 600 per minute");
  });

  it("on a route: its when, targets, file:line and place in first-match order", async () => {
    const text = await hover(p.main, at(MAIN, "expect route chat", 0, 14));
    expect(text).toContain(`main.route:${at(MAIN, "route chat").line + 1}, tried 1 of 2`);
    expect(text).toContain('`model == "chat" and team == "search"`');
    expect(text).toContain("`to big`");
    expect(text).toContain("`fallback mini on 429, 5xx`");
    const rest = await hover(p.main, at(MAIN, "route rest", 0, 7));
    expect(rest).toContain("tried 2 of 2");
    expect(rest).toContain("every request");
  });

  it("on a guardrail, a fact and a provider", async () => {
    expect(await hover(p.main, at(MAIN, "guard pii", 0, 7))).toContain("`redact email, phone`");
    expect(await hover(p.main, at(MAIN, "team ==", 0, 1))).toContain("the caller's `team` label");
    expect(await hover(p.models, at(MODELS, "provider openai", 0, 10))).toContain("models: `big`, `mini`");
  });
});

describe("rename", () => {
  it("renames a model in every file and refuses a clash or a non-name", async () => {
    const position = at(MODELS, "model mini", 0, 7);
    const prepared = await p.client.request<{ placeholder: string }>("textDocument/prepareRename", doc(p.models, position));
    expect(prepared.placeholder).toBe("mini");
    const edit = await p.client.request<WorkspaceEdit>("textDocument/rename", { ...doc(p.models, position), newName: "small" });
    expect(Object.keys(edit.changes ?? {}).sort()).toEqual([uri(p.main), uri(p.models)].sort());
    expect(edit.changes![uri(p.main)]).toHaveLength(3);
    expect(edit.changes![uri(p.models)]).toHaveLength(1);
    await expect(p.client.request("textDocument/rename", { ...doc(p.models, position), newName: "big" })).rejects.toThrow("a model named `big` already exists");
    await expect(p.client.request("textDocument/rename", { ...doc(p.models, position), newName: "2fast" })).rejects.toThrow("is not a name");
    // Kinds have their own namespaces: a model may take a route's name.
    const ok = await p.client.request<WorkspaceEdit>("textDocument/rename", { ...doc(p.models, position), newName: "rest" });
    expect(edit.changes![uri(p.main)]!.length).toBe(ok.changes![uri(p.main)]!.length);
  });

  it("the renamed policy, applied, still checks clean", async () => {
    const edit = await p.client.request<WorkspaceEdit>("textDocument/rename", { ...doc(p.main, at(MAIN, "guard pii", 0, 7)), newName: "personal-data" });
    const apply = (path: string, text: string): string => {
      const edits = [...(edit.changes![uri(path)] ?? [])].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
      const lines = text.split("\n");
      for (const e of edits) {
        const l = lines[e.range.start.line]!;
        lines[e.range.start.line] = l.slice(0, e.range.start.character) + e.newText + l.slice(e.range.end.character);
      }
      return lines.join("\n");
    };
    const renamed = apply(p.main, readFileSync(p.main, "utf8"));
    expect(renamed).toContain("guardrail personal-data {");
    expect(renamed).toContain("guard personal-data\n");
    const since = p.client.published.length;
    await p.client.change(p.main, renamed);
    expect(await p.client.diagnostics(p.main, () => true, since)).toEqual([]);
    const back = p.client.published.length;
    await p.client.change(p.main, MAIN);
    await p.client.diagnostics(p.main, () => true, back);
  });
});
