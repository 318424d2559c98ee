/**
 * `aigw lsp [--stdio]`: the language server, speaking the Language Server
 * Protocol on stdin/stdout until the client exits. stdout belongs to the
 * protocol: nothing else may write there. `--stdio` is accepted because
 * editors' clients pass it; it is the only transport.
 */
import { startServer } from "../../lsp/server.js";
import { parseArgs, UsageError } from "../args.js";
import type { Io } from "../io.js";

export async function lspCommand(argv: readonly string[], io: Io): Promise<number> {
  // `--clientProcessId` is read by vscode-languageserver itself: it exits when that process does.
  const args = parseArgs(argv, { switches: ["--stdio"], values: ["--clientProcessId"] });
  if (args.positional.length > 0) throw new UsageError(`unexpected argument: ${args.positional[0]}`);
  await startServer({ input: process.stdin, output: process.stdout, env: io.env });
  return 0;
}
