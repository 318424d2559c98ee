/**
 * Completion by context, the outline, formatting and the `test` code lenses
 * through `aigw lsp`, on the two-file policy of fixtures.ts.
 */
import { describe, expect, it } from "vitest";
import type { CodeLens, CompletionItem, DocumentSymbol, Hover, TextEdit } from "vscode-languageserver-protocol";
import { formatText } from "../../lang/format.js";
import { uri, useFixturePolicy } from "./client.js";
import { at, MAIN, MODELS } from "./fixtures.js";

const p = useFixturePolicy({ main: MAIN, models: MODELS });

/** The labels offered with the cursor at `|` of `text` (inserted into main.route after `after`). */
async function labels(snippet: string): Promise<string[]> {
  const cursor = snippet.indexOf("|");
  const text = MAIN + snippet.replace("|", "");
  await p.client.change(p.main, text);
  const items = await p.client.request<CompletionItem[] | { items: CompletionItem[] }>("textDocument/completion", {
    textDocument: { uri: uri(p.main) },
    position: at(text, snippet.replace("|", ""), 0, cursor),
  });
  return (Array.isArray(items) ? items : items.items).map((i) => i.label);
}

describe("completion", () => {
  it("offers the declaration keywords at the top level", async () => {
    expect(await labels("\nro|")).toEqual(expect.arrayContaining(["route", "model", "provider", "budget", "limit", "guardrail", "test", "import"]));
  });

  it("offers route statements, then the names of the kind each slot needs", async () => {
    expect(await labels("\nroute r2 {\n  |\n}\n")).toEqual(expect.arrayContaining(["when", "to", "split", "fallback", "guard", "budget", "limit"]));
    expect(await labels("\nroute r2 {\n  to |\n}\n")).toEqual(["big", "mini"]);
    expect(await labels("\nroute r2 {\n  to big\n  fallback mini, b|\n}\n")).toEqual(["big", "mini"]);
    expect(await labels("\nroute r2 {\n  guard |\n}\n")).toEqual(["pii"]);
    expect(await labels("\nroute r2 {\n  budget |\n}\n")).toEqual(["team-daily"]);
    expect(await labels("\nroute r2 {\n  limit |\n}\n")).toEqual(["per-key"]);
    expect(await labels("\nmodel m3 = |")).toEqual(["openai"]);
    expect(await labels('\ntest "t" {\n  expect route |\n}\n')).toEqual(["chat", "rest"]);
    expect(await labels('\ntest "t" {\n  expect blocked by |\n}\n')).toEqual(["pii"]);
    // `use` names a `defaults` block; a block offers the statements it may hold and no `when`/`to`.
    expect(await labels("\ndefaults strict { guard pii }\nroute r2 {\n  use |\n}\n")).toEqual(["strict"]);
    const inBlock = await labels("\ndefaults d2 {\n  |\n}\n");
    expect(inBlock).toEqual(expect.arrayContaining(["guard", "retry", "fallback", "use"]));
    expect(inBlock).not.toContain("to");
    expect(await labels("\nroute r2 {\n  reject |\n}\n")).toEqual(expect.arrayContaining(["403", "451"]));
  });

  it("offers the shaping statements, the parameters each takes, and `expect shaped`", async () => {
    expect(await labels("\nroute r2 {\n  |\n}\n")).toEqual(expect.arrayContaining(["set", "default", "cap", "upstream_header"]));
    expect(await labels("\ndefaults d2 {\n  |\n}\n")).toEqual(expect.arrayContaining(["set", "default", "cap", "upstream_header"]));
    expect(await labels("\nroute r2 {\n  set |\n}\n")).toEqual(["max_tokens", "temperature", "top_p", "stop"]);
    expect(await labels("\nroute r2 {\n  cap |\n}\n")).toEqual(["max_tokens"]);
    expect(await labels('\ntest "t" {\n  expect shaped |\n}\n')).toEqual(["max_tokens", "temperature", "top_p"]);
  });

  it("offers an invariant's statements, what `require` takes, and guardrails after `require guard`", async () => {
    expect(await labels("\ninv|")).toEqual(expect.arrayContaining(["invariant"]));
    expect(await labels("\ninvariant i {\n  |\n}\n")).toEqual(["when", "require"]);
    expect(await labels("\ninvariant i {\n  require |\n}\n")).toEqual(["guard", "residency", "price", "context"]);
    expect(await labels("\ninvariant i {\n  require guard |\n}\n")).toEqual(["pii"]);
  });

  it("offers facts in a condition, then operators", async () => {
    const facts = await labels("\nroute r2 {\n  when |\n}\n");
    expect(facts).toEqual(expect.arrayContaining(["model", "team", "header", "input_tokens", "stream"]));
    expect(facts).not.toContain("big");
    expect(await labels("\nroute r2 {\n  when team == \"a\" and |\n}\n")).toContain("user");
    expect(await labels("\nroute r2 {\n  when input_tokens |\n}\n")).toEqual(expect.arrayContaining([">", "<=", "=="]));
  });

  it("offers settings, the values a setting's type accepts, and units", async () => {
    expect(await labels("\nprovider p2 { |")).toEqual(expect.arrayContaining(["api", "base_url", "key", "timeout"]));
    expect(await labels("\nprovider p2 { api |")).toEqual(["openai", "anthropic", "mock", "gemini", "vertex", "azure", "bedrock"]);
    expect(await labels("\ngateway { log_bodies |")).toEqual(["true", "false"]);
    const timeout = await labels("\nprovider p2 { api mock  timeout 30|");
    expect(timeout).toEqual(["30ms", "30s", "30m", "30h", "30d"]);
    expect(await labels("\nmodel m3 = openai/\"x\" { input |")).toEqual(["$2.50/Mtok", "$0.15/Mtok", "$0.002/ktok"]);
    expect(await labels("\nmodel m3 = openai/\"x\" { context 128|")).toEqual(["128", "128k", "128M"]);
    expect(await labels("\nbudget b2 { limit |")).toEqual(["$5", "$200"]);
    expect(await labels("\nbudget b2 { limit $5 per |")).toEqual(expect.arrayContaining(["minute", "hour", "day", "month", "30s"]));
    expect(await labels("\nbudget b2 { per |")).toEqual(["key", "team", "user", "route", "global"]);
    expect(await labels("\nbudget b2 { exceeded downgrade |")).toEqual(["big", "mini"]);
  });

  it("offers the time facts, the gateway's timezone, a test's `at` and the refusal reasons", async () => {
    expect(await labels("\nroute r2 {\n  when |\n}\n")).toEqual(expect.arrayContaining(["hour", "weekday", "date"]));
    expect(await labels("\ngateway { |")).toContain("timezone");
    expect(await labels('\ntest "t" {\n  request { |\n}\n')).toContain("at");
    expect(await labels("\nroute r2 {\n  to big\n  fallback mini on |\n}\n")).toEqual(expect.arrayContaining(["context_length", "content_filter"]));
    expect(await labels('\ntest "t" {\n  given big fails |\n}\n')).toEqual(expect.arrayContaining(["context_length", "content_filter"]));
  });

  it("offers jwt blocks and their settings", async () => {
    expect(await labels("\njw|")).toContain("jwt");
    expect(await labels("\njwt corp { |")).toEqual(["issuer", "audience", "jwks", "jwks_file", "algorithms", "team", "user", "leeway"]);
  });

  it("offers health policies, their settings, and the kinds of split", async () => {
    expect(await labels("\nhe|")).toContain("health");
    expect(await labels("\nhealth h2 { |")).toEqual(["on", "consecutive", "failure_rate", "interval", "minimum", "eject", "max_eject", "shared"]);
    expect(await labels("\nhealth h2 { eject 30|")).toEqual(["30ms", "30s", "30m", "30h", "30d"]);
    const route = "\nhealth up { consecutive 3 }\nroute r2 {\n  ";
    expect(await labels(`${route}|\n}\n`)).toContain("health");
    expect(await labels(`${route}to big\n  health |\n}\n`)).toEqual(["up"]);
    expect(await labels(`${route}split |\n}\n`)).toEqual(["by", "fastest", "cheapest"]);
    expect(await labels('\nmodel m3 = openai/"x" { |')).toContain("supports");
  });

  it("offers a price row's settings after its name in a wildcard model's table", async () => {
    const row = await labels('\nmodel any = openai/"*" {\n  residency us\n  "gpt-4o" input $2/Mtok |');
    expect(row).toEqual(expect.arrayContaining(["input", "output", "context", "max_output", "supports"]));
    expect(row).not.toContain("residency");
    expect(row).not.toContain("prompt_cache");
  });

  it("hovers a health policy with its settings and defaults, and a model with what it supports", async () => {
    const snippet = '\nhealth up { consecutive 3  eject 10s }\nmodel m4 = openai/"x" { supports [tools, images] }\nroute r2 {\n  to m4\n  health up\n}\n';
    const text = MAIN + snippet;
    await p.client.change(p.main, text);
    const hover = async (what: string, col: number): Promise<string> =>
      ((await p.client.request<Hover | null>("textDocument/hover", { textDocument: { uri: uri(p.main) }, position: at(text, what, 0, col) }))?.contents as { value: string } | undefined)?.value ?? "";
    const h = await hover("health up\n}", 8);
    expect(h).toContain("**health** `up`");
    expect(h).toContain("- consecutive: 3");
    expect(h).toContain("- eject: 10s");
    expect(h).toContain("- max_eject: 5m (the default)");
    expect(h).toContain("- used by 1 route");
    expect(await hover("to m4", 4)).toContain("- supports: [tools, images]");
  });

  it("offers a cache's settings, its `when` facts, the embedding model and the words its settings take", async () => {
    expect(await labels("\nca|")).toContain("cache");
    expect(await labels("\ncache c { |")).toEqual(expect.arrayContaining(["when", "ttl", "scope", "semantic", "similarity", "max_vectors"]));
    expect(await labels("\ncache c { ttl 10m  scope |")).toEqual(["key", "team", "user", "global"]);
    expect(await labels("\ncache c { ttl 10m  semantic |")).toEqual(["big", "mini"]);
    expect(await labels("\ncache c { when |")).toEqual(expect.arrayContaining(["temperature", "top_p", "stream", "tools"]));
    expect(await labels("\ncache c { when temperature == 0  |")).toEqual(expect.arrayContaining(["and", "or", "ttl", "semantic"]));
    expect(await labels("\nroute r2 {\n  to big\n  cache { ttl 1m  bypass |")).toEqual(["allowed", "denied"]);
  });

  it("offers a budget's and a limit's `when`, and `budget_used` among the facts of a condition", async () => {
    expect(await labels("\nbudget b2 {\n  per team\n  |\n}\n")).toEqual(expect.arrayContaining(["limit", "warn", "exceeded", "when"]));
    expect(await labels("\nlimit l2 {\n  per team\n  |\n}\n")).toEqual(expect.arrayContaining(["requests", "tokens", "concurrent", "when"]));
    expect(await labels("\nbudget b2 {\n  per team\n  when |\n}\n")).toEqual(expect.arrayContaining(["team", "budget_used"]));
    expect(await labels("\nroute r2 {\n  when |\n}\n")).toContain("budget_used");
  });

  it("offers nothing inside a string or a comment", async () => {
    expect(await labels('\nroute r2 {\n  when model == "ch|"\n}\n')).toEqual([]);
    expect(await labels("\n// route r2 { to |")).toEqual([]);
  });

  it("restores the buffer", async () => {
    const since = p.client.published.length;
    await p.client.change(p.main, MAIN);
    expect(await p.client.diagnostics(p.main, () => true, since)).toEqual([]);
  });
});

describe("document symbols", () => {
  it("lists every declaration with its kind and name", async () => {
    const symbols = await p.client.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri: uri(p.main) } });
    expect(symbols.map((s) => s.name)).toEqual(["gateway", 'import "models.route"', "team-daily", "per-key", "pii", "chat", "rest", 'test "chat goes to big"', 'test "others go to mini"']);
    const chat = symbols.find((s) => s.name === "chat")!;
    expect(chat.detail).toBe('when model == "chat" and team == "search"');
    expect(chat.range.start.line).toBe(at(MAIN, "route chat").line);
    expect(chat.range.end.line).toBe(at(MAIN, "}\n\nroute rest").line);
    expect(chat.selectionRange.start).toEqual(at(MAIN, "route chat", 0, 6));
  });
});

describe("formatting", () => {
  it("returns the text `aigw fmt` writes, and refuses a file with syntax errors", async () => {
    const messy = MAIN.replace("route rest {\n  to mini\n}", "route   rest {   to mini }").replace("gateway { auth none  state memory }", "gateway {\nauth none\n     state memory }");
    await p.client.change(p.main, messy);
    const edits = await p.client.request<TextEdit[]>("textDocument/formatting", { textDocument: { uri: uri(p.main) }, options: { tabSize: 2, insertSpaces: true } });
    expect(edits).toHaveLength(1);
    expect(edits[0]!.newText).toBe(formatText(messy, p.main).text);
    expect(edits[0]!.range.start).toEqual({ line: 0, character: 0 });
    await p.client.change(p.main, MAIN + "\nroute broken {\n  to\n");
    const none = await p.client.request<TextEdit[]>("textDocument/formatting", { textDocument: { uri: uri(p.main) }, options: { tabSize: 2, insertSpaces: true } });
    expect(none).toEqual([]);
    expect(p.client.messages.at(-1)?.message).toMatch(/^not formatted: .*main\.route has \d+ syntax errors?$/);
    await p.client.change(p.main, MAIN);
  });

  it("keeps a condition written clause per line, with its comment, as `aigw fmt` does", async () => {
    const broken = MAIN.replace('when model == "chat" and team == "search"', 'when model == "chat" and // the model\n       team == "search"');
    expect(broken).not.toBe(MAIN);
    await p.client.change(p.main, broken);
    try {
      const edits = await p.client.request<TextEdit[]>("textDocument/formatting", { textDocument: { uri: uri(p.main) }, options: { tabSize: 2, insertSpaces: true } });
      expect(edits).toHaveLength(1);
      expect(edits[0]!.newText).toContain('  when model == "chat" // the model\n    and team == "search"\n');
      expect(edits[0]!.newText).toBe(formatText(broken, p.main).text);
    } finally {
      await p.client.change(p.main, MAIN);
    }
  });
});

describe("code lenses", () => {
  it("show each test's verdict and run it on the current text", async () => {
    const lenses = await p.client.request<CodeLens[]>("textDocument/codeLens", { textDocument: { uri: uri(p.main) } });
    expect(lenses.map((l) => l.command?.title)).toEqual(["▶ run test · ✓ passed", "▶ run test · ✓ passed"]);
    expect(lenses[0]!.range.start.line).toBe(at(MAIN, 'test "chat goes').line);
    expect(lenses[0]!.command).toMatchObject({ command: "aigw.runTest", arguments: [uri(p.main), "chat goes to big"] });

    const failing = MAIN.replace("  expect route rest\n", "  expect route chat\n");
    await p.client.change(p.main, failing);
    const after = await p.client.request<CodeLens[]>("textDocument/codeLens", { textDocument: { uri: uri(p.main) } });
    expect(after[0]!.command?.title).toBe("▶ run test · ✓ passed");
    expect(after[1]!.command?.title).toMatch(/^▶ run test · ✗ failed: .*rest/);
    const run = await p.client.request<{ passed: boolean; name: string }>("workspace/executeCommand", after[1]!.command);
    expect(run).toMatchObject({ name: "others go to mini", passed: false });
    expect(p.client.messages.at(-1)).toMatchObject({ type: 1 });
    expect(p.client.messages.at(-1)!.message).toMatch(/^test "others go to mini" failed: /);
    const ok = await p.client.request<{ passed: boolean }>("workspace/executeCommand", after[0]!.command);
    expect(ok.passed).toBe(true);
    expect(p.client.messages.at(-1)).toEqual({ type: 3, message: 'test "chat goes to big" passed' });

    await p.client.change(p.main, MAIN.replace("to mini\n}", "to nope\n}"));
    const broken = await p.client.request<CodeLens[]>("textDocument/codeLens", { textDocument: { uri: uri(p.main) } });
    expect(broken.map((l) => l.command?.title)).toEqual(Array(2).fill("▶ run test · not run: the policy does not compile"));
    await p.client.change(p.main, MAIN);
  });
});
