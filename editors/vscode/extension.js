/**
 * The VS Code client of the aigw language server: starts `aigw lsp` on
 * stdio for `.route` files and forwards file events, so a policy's
 * diagnostics follow changes made outside the editor too. Every feature
 * lives in the server; this file only finds and starts it. Plain
 * JavaScript, so the extension packages without a build step.
 */
"use strict";
const { existsSync } = require("node:fs");
const { join } = require("node:path");
const { workspace } = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

/** @type {LanguageClient | undefined} */
let client;

/** The server's command: the setting, else the workspace's own aigw, else `aigw` on the PATH. */
function serverCommand() {
  const configured = workspace.getConfiguration("aigw").get("server.command", []);
  if (Array.isArray(configured) && configured.length > 0) return { command: String(configured[0]), args: configured.slice(1).map(String) };
  for (const folder of workspace.workspaceFolders ?? []) {
    const local = join(folder.uri.fsPath, "node_modules", ".bin", process.platform === "win32" ? "aigw.cmd" : "aigw");
    if (existsSync(local)) return { command: local, args: ["lsp"] };
  }
  return { command: "aigw", args: ["lsp"] };
}

/** @param {import("vscode").ExtensionContext} context */
async function activate(context) {
  const { command, args } = serverCommand();
  const server = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient(
    "aigw",
    "aigw .route",
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: "file", language: "route" }],
      synchronize: { fileEvents: workspace.createFileSystemWatcher("**/*.route") },
    },
  );
  context.subscriptions.push(client);
  await client.start();
}

function deactivate() {
  return client?.stop();
}

module.exports = { activate, deactivate };
