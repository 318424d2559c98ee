/**
 * Nothing an editor sends takes `aigw lsp` down: every half-typed state of a
 * policy, requests anywhere in it, a megabyte of garbage, nesting deep
 * enough to overflow the parser's stack, positions past the end, documents
 * never opened and malformed commands. The server answers each, publishes
 * diagnostics for each document, and is still answering at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "vscode-languageserver-protocol";
import { policyDir } from "../support/cli.js";
import { LspClient, uri } from "./client.js";
import { MAIN, MODELS } from "./fixtures.js";

let client: LspClient;
let dir: string;
let main: string;

beforeAll(async () => {
  dir = policyDir({ "main.route": MAIN, "models.route": MODELS });
  main = `${dir}/main.route`;
  client = await LspClient.start(dir);
  await client.open(main, MAIN);
  await client.diagnostics(main);
}, 60_000);
afterAll(async () => {
  await client?.stop();
});

const position = (text: string, offset: number) => {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length - 1, character: offset - (before.lastIndexOf("\n") + 1) };
};

/** Every request an editor makes while the author types, at `offset` of the current `text`. */
async function everything(path: string, text: string, offset: number): Promise<void> {
  const doc = { textDocument: { uri: uri(path) }, position: position(text, offset) };
  await Promise.all([
    client.request("textDocument/hover", doc),
    client.request("textDocument/definition", doc),
    client.request("textDocument/references", { ...doc, context: { includeDeclaration: true } }),
    client.request("textDocument/completion", doc),
    client.request("textDocument/prepareRename", doc).catch(() => null),
    client.request("textDocument/documentSymbol", { textDocument: doc.textDocument }),
    client.request("textDocument/codeLens", { textDocument: doc.textDocument }),
    client.request("textDocument/formatting", { textDocument: doc.textDocument, options: { tabSize: 2, insertSpaces: true } }),
  ]);
}

describe("robustness", () => {
  it("typing the policy from scratch: every prefix gets answers and diagnostics, and the whole text ends clean", async () => {
    for (let cut = 0; cut <= MAIN.length; cut += 23) {
      const text = MAIN.slice(0, cut);
      await client.change(main, text);
      await everything(main, text, text.length);
      await everything(main, text, Math.floor(text.length / 2));
    }
    const since = client.published.length;
    await client.change(main, MAIN);
    expect(await client.diagnostics(main, () => true, since)).toEqual([]);
    expect(client.alive).toBe(true);
  }, 120_000);

  it("a megabyte of garbage gets capped diagnostics, not a crash", async () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const alphabet = 'abc xyz{}()[]"/\\*=,<>!$%0123456789\n\r\t route model to when é😀\u0000';
    let garbage = "";
    for (let i = 0; i < 1_000_000; i++) garbage += alphabet[Math.floor(rnd() * alphabet.length)];
    const path = `${dir}/garbage.route`;
    await client.open(path, garbage);
    const diags: Diagnostic[] = await client.diagnostics(path, (d) => d.length > 0, 0, 60_000);
    expect(diags.length).toBe(1001);
    expect(diags.at(-1)!.message).toMatch(/^\d+ more diagnostics in this file are not shown/);
    await everything(path, garbage, 500_000);
    expect(client.alive).toBe(true);
  }, 120_000);

  it("nesting that overflows the parser's stack is a diagnostic", async () => {
    const path = `${dir}/deep.route`;
    await client.open(path, `route r { when ${"(".repeat(100_000)} }`);
    const diags = await client.diagnostics(path, (d) => d.length > 0, 0, 60_000);
    expect(diags[0]).toMatchObject({ code: "I002", severity: 1 });
    expect(client.alive).toBe(true);
  }, 60_000);

  it("positions past the end, documents never opened, other schemes and bad commands are answered", async () => {
    const far = { line: 10_000, character: 10_000 };
    expect(await client.request("textDocument/hover", { textDocument: { uri: uri(main) }, position: far })).toBeNull();
    expect(await client.request("textDocument/definition", { textDocument: { uri: uri(`${dir}/never-opened.route`) }, position: far })).toEqual([]);
    expect(await client.request("textDocument/hover", { textDocument: { uri: "untitled:Untitled-1" }, position: far })).toBeNull();
    expect(await client.request("workspace/executeCommand", { command: "aigw.runTest", arguments: [42] })).toBeNull();
    expect(await client.request("workspace/executeCommand", { command: "aigw.runTest", arguments: [uri(main), "no such test"] })).toMatchObject({ passed: false, message: expect.stringContaining("no test") });
    // And it still does its job.
    const since = client.published.length;
    await client.change(main, MAIN.replace("to mini\n}", "to nope\n}"));
    expect((await client.diagnostics(main, (d) => d.length > 0, since)).map((d) => d.code)).toEqual(["E101"]);
    expect(client.alive).toBe(true);
  });
});
