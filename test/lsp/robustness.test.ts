/**
 * Nothing an editor sends takes `aigw lsp` down: every half-typed state of a
 * policy, requests anywhere in it, a megabyte of garbage, nesting deep
 * enough to overflow the parser's stack, positions past the end, documents
 * never opened and malformed commands. The server answers each, publishes
 * diagnostics for each document, and is still answering at the end.
 */
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "vscode-languageserver-protocol";
import { uri, useFixturePolicy } from "./client.js";
import { MAIN, MODELS } from "./fixtures.js";

const p = useFixturePolicy({ main: MAIN, models: MODELS });

const position = (text: string, offset: number) => {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length - 1, character: offset - (before.lastIndexOf("\n") + 1) };
};

/** Every request an editor makes while the author types, at `offset` of the current `text`. */
async function everything(path: string, text: string, offset: number): Promise<void> {
  const doc = { textDocument: { uri: uri(path) }, position: position(text, offset) };
  await Promise.all([
    p.client.request("textDocument/hover", doc),
    p.client.request("textDocument/definition", doc),
    p.client.request("textDocument/references", { ...doc, context: { includeDeclaration: true } }),
    p.client.request("textDocument/completion", doc),
    p.client.request("textDocument/prepareRename", doc).catch(() => null),
    p.client.request("textDocument/documentSymbol", { textDocument: doc.textDocument }),
    p.client.request("textDocument/codeLens", { textDocument: doc.textDocument }),
    p.client.request("textDocument/formatting", { textDocument: doc.textDocument, options: { tabSize: 2, insertSpaces: true } }),
  ]);
}

describe("robustness", () => {
  it("typing the policy from scratch: every prefix gets answers and diagnostics, and the whole text ends clean", async () => {
    for (let cut = 0; cut <= MAIN.length; cut += 23) {
      const text = MAIN.slice(0, cut);
      await p.client.change(p.main, text);
      await everything(p.main, text, text.length);
      await everything(p.main, text, Math.floor(text.length / 2));
    }
    const since = p.client.published.length;
    await p.client.change(p.main, MAIN);
    expect(await p.client.diagnostics(p.main, () => true, since)).toEqual([]);
    expect(p.client.alive).toBe(true);
  }, 120_000);

  it("a megabyte of garbage gets capped diagnostics, not a crash", async () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const alphabet = 'abc xyz{}()[]"/\\*=,<>!$%0123456789\n\r\t route model to when é😀\u0000';
    let garbage = "";
    for (let i = 0; i < 1_000_000; i++) garbage += alphabet[Math.floor(rnd() * alphabet.length)];
    const path = `${p.dir}/garbage.route`;
    await p.client.open(path, garbage);
    const diags: Diagnostic[] = await p.client.diagnostics(path, (d) => d.length > 0, 0, 60_000);
    expect(diags.length).toBe(1001);
    expect(diags.at(-1)!.message).toMatch(/^\d+ more diagnostics in this file are not shown/);
    await everything(path, garbage, 500_000);
    expect(p.client.alive).toBe(true);
  }, 120_000);

  it("nesting that overflows the parser's stack is a diagnostic", async () => {
    const path = `${p.dir}/deep.route`;
    await p.client.open(path, `route r { when ${"(".repeat(100_000)} }`);
    const diags = await p.client.diagnostics(path, (d) => d.length > 0, 0, 60_000);
    expect(diags[0]).toMatchObject({ code: "I002", severity: 1 });
    expect(p.client.alive).toBe(true);
  }, 60_000);

  it("positions past the end, documents never opened, other schemes and bad commands are answered", async () => {
    const far = { line: 10_000, character: 10_000 };
    expect(await p.client.request("textDocument/hover", { textDocument: { uri: uri(p.main) }, position: far })).toBeNull();
    expect(await p.client.request("textDocument/definition", { textDocument: { uri: uri(`${p.dir}/never-opened.route`) }, position: far })).toEqual([]);
    expect(await p.client.request("textDocument/hover", { textDocument: { uri: "untitled:Untitled-1" }, position: far })).toBeNull();
    expect(await p.client.request("workspace/executeCommand", { command: "aigw.runTest", arguments: [42] })).toBeNull();
    expect(await p.client.request("workspace/executeCommand", { command: "aigw.runTest", arguments: [uri(p.main), "no such test"] })).toMatchObject({ passed: false, message: expect.stringContaining("no test") });
    // And it still does its job.
    const since = p.client.published.length;
    await p.client.change(p.main, MAIN.replace("to mini\n}", "to nope\n}"));
    expect((await p.client.diagnostics(p.main, (d) => d.length > 0, since)).map((d) => d.code)).toEqual(["E101"]);
    expect(p.client.alive).toBe(true);
  });
});
