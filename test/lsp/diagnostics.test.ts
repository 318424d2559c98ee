/**
 * `aigw lsp` checks the policy as the author types: parse, compile and lint
 * diagnostics at their spans, and failing `test` blocks on the lines that
 * expected otherwise, for every file of the policy, unsaved buffers first.
 */
import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { policyDir } from "../support/cli.js";
import { LspClient, uri } from "./client.js";
import { at, MAIN, MODELS } from "./fixtures.js";

let client: LspClient | undefined;
afterEach(async () => {
  await client?.stop();
  client = undefined;
});

describe("diagnostics", () => {
  it("a clean policy publishes empty diagnostics for each of its files", async () => {
    const dir = policyDir({ "main.route": MAIN, "models.route": MODELS });
    client = await LspClient.start(dir);
    await client.open(`${dir}/main.route`, MAIN);
    expect(await client.diagnostics(`${dir}/main.route`)).toEqual([]);
    expect(await client.diagnostics(`${dir}/models.route`)).toEqual([]);
  });

  it("an edit's errors arrive at their spans, from the unsaved buffer, and go away when fixed", async () => {
    const dir = policyDir({ "main.route": MAIN, "models.route": MODELS });
    client = await LspClient.start(dir);
    const main = `${dir}/main.route`;
    await client.open(main, MAIN);
    await client.diagnostics(main);
    const broken = MAIN.replace("  to big\n", "  to bigg\n  timeout 5$\n");
    const since = client.published.length;
    await client.change(main, broken);
    const diags = await client.diagnostics(main, (d) => d.length > 0, since);
    const unknown = diags.find((d) => d.code === "E101");
    expect(unknown).toMatchObject({ severity: 1, source: "aigw", range: { start: { line: 13, character: 5 }, end: { line: 13, character: 9 } } });
    expect(unknown!.message).toContain("unknown model `bigg`");
    expect(unknown!.message).toContain("did you mean `big`");
    expect(diags.find((d) => d.code === "E201")?.range.start).toEqual({ line: 14, character: 10 });
    const again = client.published.length;
    await client.change(main, MAIN);
    expect(await client.diagnostics(main, (d) => d.length === 0, again)).toEqual([]);
  });

  it("an error in an imported file is published on that file", async () => {
    const dir = policyDir({ "main.route": MAIN, "models.route": MODELS });
    client = await LspClient.start(dir);
    const models = `${dir}/models.route`;
    const text = MODELS.replace("context 128k  max_output", "context 128s  max_output");
    await client.open(models, text);
    const diags = await client.diagnostics(models, (d) => d.length > 0);
    expect(diags.map((d) => d.code)).toEqual(["E201"]);
    expect(diags[0]!.range.start).toEqual(at(text, "128s"));
  });

  it("a failing test block is an error on the expectation that failed", async () => {
    const dir = policyDir({ "main.route": MAIN, "models.route": MODELS });
    client = await LspClient.start(dir);
    const main = `${dir}/main.route`;
    await client.open(main, MAIN.replace("  expect target big\n", "  expect target mini\n"));
    const diags = await client.diagnostics(main, (d) => d.length > 0);
    expect(diags).toHaveLength(1);
    expect(diags[0]).toMatchObject({ code: "test", source: "aigw test", severity: 1, range: { start: { line: 24, character: 2 } } });
    expect(diags[0]!.message).toMatch(/^test "chat goes to big" failed: .*mini.*big/);
  });

  it("warnings are warnings, with the help on a second line and related spans", async () => {
    const dir = policyDir({ "main.route": MAIN, "models.route": MODELS });
    client = await LspClient.start(dir);
    const main = `${dir}/main.route`;
    await client.open(main, MAIN.replace("route rest {", "route chat {"));
    const diags = await client.diagnostics(main, (d) => d.length > 0);
    const dup = diags.find((d) => d.code === "E102")!;
    expect(dup.relatedInformation?.[0]?.location.range.start).toEqual({ line: 8, character: 6 });
    expect(dup.relatedInformation?.[0]?.message).toBe("first declared here");
  });

  it("a file is checked within the outermost policy that imports it, even from a directory of its own", async () => {
    const chat = 'route chat2 {\n  when model == "chat2"\n  to big\n}\n';
    const main = MAIN.replace('import "models.route"\n', 'import "models.route"\nimport "routes/chat.route"\n');
    const dir = policyDir({ "main.route": main, "models.route": MODELS, "routes/chat.route": chat });
    client = await LspClient.start(dir);
    const path = `${dir}/routes/chat.route`;
    // `big` is declared in models.route: only the policy of main.route knows it.
    await client.open(path, chat);
    expect(await client.diagnostics(path)).toEqual([]);
    const alone = policyDir({ "routes/chat.route": chat });
    await client.open(`${alone}/routes/chat.route`, chat);
    expect((await client.diagnostics(`${alone}/routes/chat.route`, (d) => d.length > 0)).map((d) => d.code)).toContain("E101");
  });

  it("a change on disk to a file the editor does not have open is checked when the editor reports it", async () => {
    const dir = policyDir({ "main.route": MAIN, "models.route": MODELS });
    client = await LspClient.start(dir);
    await client.open(`${dir}/main.route`, MAIN);
    await client.diagnostics(`${dir}/main.route`);
    writeFileSync(`${dir}/models.route`, MODELS.replace("model big", "model huge"));
    const since = client.published.length;
    await client.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(`${dir}/models.route`), type: 2 }] });
    const diags = await client.diagnostics(`${dir}/main.route`, (d) => d.length > 0, since);
    expect(diags.filter((d) => d.code === "E101").map((d) => String(d.message).split("\n")[0])).toEqual(["unknown model `big`", "unknown model `big`"]);
  });
});

describe("quick fixes", () => {
  it("a slip's fix is offered as a code action whose edit makes the policy clean", async () => {
    const dir = policyDir({ "main.route": MAIN, "models.route": MODELS });
    client = await LspClient.start(dir);
    const main = `${dir}/main.route`;
    const broken = MAIN.replace('when model == "chat" and team', 'when model = "chat" && team');
    await client.open(main, broken);
    const diags = await client.diagnostics(main, (d) => d.length > 0);
    expect(diags.map((d) => String(d.message).split("\n")[0])).toEqual([
      "expected `==` to compare, found `=`",
      "`&&` is written `and`",
    ]);
    const actions = await client.request<{ title: string; kind: string; edit: { changes: Record<string, { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]> } }[]>("textDocument/codeAction", {
      textDocument: { uri: uri(main) },
      range: diags[0]!.range,
      context: { diagnostics: diags },
    });
    expect(actions.map((a) => [a.title, a.kind])).toEqual([["Write `==` to compare", "quickfix"], ["Write `and`", "quickfix"]]);
    // apply both edits (on one line, right to left) and the policy is clean
    const lines = broken.split("\n");
    const edits = actions.flatMap((a) => a.edit.changes[uri(main)]!).sort((a, b) => b.range.start.character - a.range.start.character);
    for (const e of edits) {
      const line = lines[e.range.start.line]!;
      lines[e.range.start.line] = line.slice(0, e.range.start.character) + e.newText + line.slice(e.range.end.character);
    }
    expect(lines.join("\n")).toBe(MAIN);
    const since = client.published.length;
    await client.change(main, lines.join("\n"));
    expect(await client.diagnostics(main, (d) => d.length === 0, since)).toEqual([]);
  });
});
