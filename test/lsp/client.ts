/**
 * An editor, as far as the language server can tell: starts `aigw lsp` as a
 * child process and speaks JSON-RPC to it over its stdio with the protocol's
 * own client library, the way VS Code's client does. Collects every
 * `publishDiagnostics` so a test can wait for the diagnostics of an edit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type ProtocolConnection,
} from "vscode-languageserver-protocol/node";
import { afterAll, beforeAll } from "vitest";
import { aigwArgs } from "../support/aigw-bin.js";
import { policyDir } from "../support/cli.js";

export const uri = (path: string): string => pathToFileURL(path).href;

interface Published {
  uri: string;
  diagnostics: Diagnostic[];
  /** When it arrived (performance.now()). */
  at: number;
}

export class LspClient {
  readonly connection: ProtocolConnection;
  readonly published: Published[] = [];
  readonly messages: { type: number; message: string }[] = [];
  readonly stderr: string[] = [];
  private versions = new Map<string, number>();
  private waiters: (() => void)[] = [];

  private constructor(readonly child: ChildProcess) {
    this.connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.connection.onNotification("textDocument/publishDiagnostics", (p: { uri: string; diagnostics: Diagnostic[] }) => {
      this.published.push({ ...p, at: performance.now() });
      for (const w of this.waiters.splice(0)) w();
    });
    this.connection.onNotification("window/showMessage", (p: { type: number; message: string }) => void this.messages.push(p));
    this.connection.onNotification("window/logMessage", () => undefined);
    this.connection.onRequest("workspace/codeLens/refresh", () => null);
    this.connection.onRequest("client/registerCapability", () => null);
    child.stderr!.on("data", (d: Buffer) => void this.stderr.push(d.toString()));
    this.connection.listen();
  }

  /** Starts `aigw lsp` and initialises it on the workspace folder `root`. */
  static async start(root: string, initializationOptions: Record<string, unknown> = { debounceMs: 50 }): Promise<LspClient> {
    const child = spawn(process.execPath, [...aigwArgs(), "lsp", "--stdio"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    const client = new LspClient(child);
    const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`aigw lsp exited (${code}) before initializing: ${client.stderr.join("")}`))));
    const initialize = client.connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: uri(root),
      workspaceFolders: [{ uri: uri(root), name: "policy" }],
      capabilities: { workspace: { codeLens: { refreshSupport: true } } },
      initializationOptions,
    });
    await Promise.race([initialize, exited]);
    exited.catch(() => undefined); // a later exit is reported by `alive`
    await client.connection.sendNotification("initialized", {});
    return client;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async open(path: string, text: string): Promise<void> {
    this.versions.set(path, 1);
    await this.connection.sendNotification("textDocument/didOpen", { textDocument: { uri: uri(path), languageId: "route", version: 1, text } });
  }

  /** Replaces the whole text of an open document. */
  async change(path: string, text: string): Promise<void> {
    const version = (this.versions.get(path) ?? 1) + 1;
    this.versions.set(path, version);
    await this.connection.sendNotification("textDocument/didChange", { textDocument: { uri: uri(path), version }, contentChanges: [{ text }] });
  }

  /** Waits for a `publishDiagnostics` of `path` after index `since` that satisfies `ok`. */
  async diagnostics(path: string, ok: (d: Diagnostic[]) => boolean = () => true, since = 0, timeoutMs = 30_000): Promise<Diagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.published.slice(since).reverse().find((p) => p.uri === uri(path));
      if (hit && ok(hit.diagnostics)) return hit.diagnostics;
      if (!this.alive) throw new Error(`the server exited: ${this.stderr.join("")}`);
      if (Date.now() > deadline) throw new Error(`no matching diagnostics for ${path}; last: ${JSON.stringify(hit?.diagnostics)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  async stop(): Promise<number | null> {
    if (!this.alive) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once("exit", (code) => resolve(code)));
    await this.connection.sendRequest("shutdown").catch(() => undefined);
    await this.connection.sendNotification("exit").catch(() => undefined);
    const code = await exited;
    this.connection.dispose();
    return code;
  }
}

/** The fixture policy of fixtures.ts (main.route importing models.route) open in one `aigw lsp` for a test file. */
export interface OpenPolicy {
  client: LspClient;
  dir: string;
  main: string;
  models: string;
}

/**
 * Starts `aigw lsp` on a fresh copy of the fixture policy before the file's
 * tests (opening main.route, and models.route too with `openModels`, and
 * waiting for the first diagnostics) and stops it after them. Read the
 * fields inside tests: they are set once the hook ran.
 */
export function useFixturePolicy(files: { main: string; models: string }, openModels = false): OpenPolicy {
  const p = {} as OpenPolicy;
  beforeAll(async () => {
    p.dir = policyDir({ "main.route": files.main, "models.route": files.models });
    p.main = `${p.dir}/main.route`;
    p.models = `${p.dir}/models.route`;
    p.client = await LspClient.start(p.dir);
    await p.client.open(p.main, files.main);
    if (openModels) await p.client.open(p.models, files.models);
    await p.client.diagnostics(p.main);
  }, 60_000);
  afterAll(async () => {
    await p.client?.stop();
  });
  return p;
}
