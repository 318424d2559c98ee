/**
 * The language server's wiring: the LSP connection over a pair of streams
 * (stdio for `aigw lsp`), the open documents, and one handler per feature,
 * each a thin call into its own file. Every handler answers from the current
 * analysis (session.ts flushes pending edits first), and none can take the
 * server down: a failure is logged to the client and answered with an empty
 * result, and the checker itself reports its own failures as diagnostics.
 */
import {
  CodeActionKind,
  CodeLensRefreshRequest,
  createConnection,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  MessageType,
  ResponseError,
  ShowMessageNotification,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { codeActions } from "./code-actions.js";
import { codeLenses, RUN_TEST, runTest } from "./code-lens.js";
import { complete } from "./completion.js";
import { uriPath } from "./convert.js";
import { formatDocument } from "./formatting.js";
import { hover } from "./hover.js";
import { definition, prepareRename, references, rename } from "./navigation.js";
import { Session } from "./session.js";
import { documentSymbols } from "./symbols.js";

export interface ServerOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  env: Readonly<Record<string, string | undefined>>;
}

/** How long after the last keystroke a check starts, unless the client says otherwise (`initializationOptions.debounceMs`). */
export const DEFAULT_DEBOUNCE_MS = 150;

/** Starts the server; resolves when the client closes the connection. */
export function startServer(options: ServerOptions): Promise<void> {
  const connection = createConnection(options.input, options.output);
  const documents = new TextDocuments(TextDocument);
  let session: Session | undefined;
  let lensRefresh = false;
  let watchRegistration = false;

  /** Runs a handler; a bug answers `fallback` and is logged, a refusal (ResponseError) goes to the client. */
  const safe = async <T>(what: string, fallback: T, run: () => Promise<T> | T): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (err instanceof ResponseError) throw err;
      connection.console.error(`aigw lsp: ${what} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return fallback;
    }
  };

  /** A message for the user, as a notification: it needs no answer. */
  const show = (type: MessageType, message: string): void => void connection.sendNotification(ShowMessageNotification.type, { type, message });

  /** The analysis and path of a document, when it is a file the server can check. */
  const target = async (uri: string) => {
    const path = uriPath(uri);
    if (!path || !session) return undefined;
    return { path, analysis: await session.analysisOf(path) };
  };

  connection.onInitialize((params): InitializeResult => {
    const folders = (params.workspaceFolders?.map((f) => uriPath(f.uri)) ?? [params.rootUri ? uriPath(params.rootUri) : undefined]).filter((p): p is string => p !== undefined);
    const asked = (params.initializationOptions as { debounceMs?: unknown } | undefined)?.debounceMs;
    lensRefresh = params.capabilities.workspace?.codeLens?.refreshSupport === true;
    watchRegistration = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    session = new Session({
      debounceMs: typeof asked === "number" && asked >= 0 ? asked : DEFAULT_DEBOUNCE_MS,
      env: options.env,
      folders,
      publish: (uri, diagnostics) => void connection.sendDiagnostics({ uri, diagnostics }),
      analysed: () => {
        if (lensRefresh) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
      },
    });
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        hoverProvider: true,
        completionProvider: { triggerCharacters: ["(", ",", "="] },
        documentSymbolProvider: true,
        documentFormattingProvider: true,
        codeLensProvider: { resolveProvider: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        executeCommandProvider: { commands: [RUN_TEST] },
      },
      serverInfo: { name: "aigw" },
    };
  });

  connection.onInitialized(() => {
    if (watchRegistration) void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: "**/*.route" }] });
  });

  documents.onDidChangeContent((e) => {
    const path = uriPath(e.document.uri);
    if (path) session?.setText(path, e.document.getText());
  });
  documents.onDidClose((e) => {
    const path = uriPath(e.document.uri);
    if (path) session?.close(path);
  });
  connection.onDidChangeWatchedFiles((p) => {
    const paths = p.changes.map((c) => uriPath(c.uri)).filter((x): x is string => x !== undefined);
    session?.filesChanged(paths, p.changes.some((c) => c.type !== FileChangeType.Changed));
  });

  connection.onDefinition((p) => safe("definition", [], async () => {
    const t = await target(p.textDocument.uri);
    return t ? definition(t.analysis, t.path, p.position) : [];
  }));
  connection.onReferences((p) => safe("references", [], async () => {
    const t = await target(p.textDocument.uri);
    return t ? references(t.analysis, t.path, p.position, p.context.includeDeclaration) : [];
  }));
  connection.onPrepareRename((p) => safe("prepare rename", null, async () => {
    const t = await target(p.textDocument.uri);
    return t ? prepareRename(t.analysis, t.path, p.position) : null;
  }));
  connection.onRenameRequest((p) => safe("rename", null, async () => {
    const t = await target(p.textDocument.uri);
    return t ? rename(t.analysis, t.path, p.position, p.newName) : null;
  }));
  connection.onHover((p) => safe("hover", null, async () => {
    const t = await target(p.textDocument.uri);
    return t ? hover(t.analysis, t.path, p.position) : null;
  }));
  connection.onCompletion((p) => safe("completion", [], async () => {
    const doc = documents.get(p.textDocument.uri);
    const t = await target(p.textDocument.uri);
    if (!doc || !t) return [];
    const offset = doc.offsetAt(p.position);
    return complete(t.analysis, doc.getText(), offset, (n) => ({ start: doc.positionAt(offset - n), end: p.position }));
  }));
  connection.onDocumentSymbol((p) => safe("document symbols", [], async () => {
    const t = await target(p.textDocument.uri);
    return t ? documentSymbols(t.analysis, t.path) : [];
  }));
  connection.onDocumentFormatting((p) => safe("formatting", [], () => {
    const doc = documents.get(p.textDocument.uri);
    const path = uriPath(p.textDocument.uri);
    if (!doc || !path) return [];
    const text = doc.getText();
    const outcome = formatDocument(text, path, { start: { line: 0, character: 0 }, end: doc.positionAt(text.length) });
    if ("refused" in outcome) {
      show(MessageType.Warning, outcome.refused);
      return [];
    }
    return outcome.edits;
  }));
  connection.onCodeAction((p) => safe("code actions", [], () => codeActions(p)));
  connection.onCodeLens((p) => safe("code lens", [], async () => {
    const t = await target(p.textDocument.uri);
    return t ? codeLenses(t.analysis, t.path) : [];
  }));
  connection.onExecuteCommand((p) => safe("run test", null, async () => {
    const [uri, name] = p.arguments ?? [];
    if (p.command !== RUN_TEST || typeof uri !== "string" || typeof name !== "string") return null;
    const t = await target(uri);
    if (!t) return null;
    const result = await runTest(t.analysis, t.path, name);
    const detail = result.passed ? "" : `: ${(result.failures?.map((f) => f.message) ?? [result.message ?? ""]).join("; ")}`;
    show(result.passed ? MessageType.Info : MessageType.Error, `test ${JSON.stringify(name)} ${result.passed ? "passed" : `failed${detail}`}`);
    return result;
  }));

  documents.listen(connection);
  return listen(connection);
}

function listen(connection: Connection): Promise<void> {
  return new Promise((resolve) => {
    connection.onExit(() => resolve());
    connection.listen();
  });
}
