/**
 * `aigw serve [PATHS] [--port N] [--host H] [--no-access-log]`: compiles the
 * policy and serves it. A policy that does not compile is refused with its
 * diagnostics (exit 1). Start-up lines (HTTP engine, address, policy
 * version) go to stderr; the access log is JSON lines on stdout. SIGTERM or
 * SIGINT shuts down gracefully (stop accepting, finish in-flight requests
 * within a bound) and exits 0.
 */
import { hasErrors } from "../../lang/diagnostics.js";
import { jsonLogger } from "../../runtime/server/log.js";
import { startGateway, type Gateway } from "../../runtime/server/app.js";
import { parseArgs, UsageError } from "../args.js";
import { processIo, type Io } from "../io.js";
import { loadAndCompile } from "../policy.js";
import { renderHuman, summary } from "../render.js";

export const serveUsage = "aigw serve [PATHS] [--port N] [--host H] [--no-access-log]";

const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 8787;
/** How long in-flight requests may take to finish at shutdown. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface ServeOptions {
  /** Resolves when the server should shut down; default: the first SIGTERM or SIGINT. */
  stop?: Promise<unknown>;
  /** Called once the gateway listens (tests read the port from it). */
  onListening?: (gateway: Gateway) => void;
}

/** Runs the gateway until told to stop; returns the exit code. */
export async function serveCommand(argv: readonly string[], io: Io, options: ServeOptions = {}): Promise<number> {
  const args = parseArgs(argv, { values: ["--port", "--host"], switches: ["--no-access-log"] });
  const paths = args.positional.length ? args.positional : ["."];
  const policy = loadAndCompile(paths, io.env);
  for (const d of policy.diagnostics) io.err(renderHuman(d, policy.texts, io.isTty));
  if (hasErrors(policy.diagnostics) || !policy.graph) {
    io.err(`aigw serve: ${summary(policy.diagnostics)}: refusing to start\n`);
    return 1;
  }
  const graph = policy.graph;
  const fromPolicy = parseListen(graph.gateway.listen);
  const host = args.values.get("--host") ?? fromPolicy.host ?? DEFAULT_HOST;
  const portText = args.values.get("--port");
  const port = portText === undefined ? (fromPolicy.port ?? DEFAULT_PORT) : parsePort(portText);

  const log = jsonLogger(io.out, { access: !args.switches.has("--no-access-log") });
  let gateway: Gateway;
  try {
    gateway = await startGateway({ graph, host, port, env: io.env, log });
  } catch (err) {
    io.err(`aigw serve: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  io.err(`aigw serve: http engine: ${gateway.engine.detail}\n`);
  io.err(`aigw serve: policy ${graph.policy} (${graph.routes.length} routes, models: ${graph.accepted.join(", ") || "none"})\n`);
  io.err(`aigw serve: listening on http://${displayHost(gateway.host)}:${gateway.port}\n`);
  options.onListening?.(gateway);

  const signal = await (options.stop ?? firstSignal());
  io.err(`aigw serve: ${typeof signal === "string" ? signal + ": " : ""}shutting down (up to ${SHUTDOWN_GRACE_MS / 1000}s for requests in flight)\n`);
  await gateway.close(SHUTDOWN_GRACE_MS);
  io.err("aigw serve: stopped\n");
  return 0;
}

/** `aigw serve` as a process entry: the real streams and environment. */
export function run(args: string[]): Promise<number> {
  return serveCommand(args, processIo);
}

/** The first SIGTERM or SIGINT; the handlers are removed afterwards so a second signal kills as usual. */
function firstSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      resolve(sig);
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}

/** `"host:port"` or `":port"` from the gateway block; `":port"` listens on every interface. */
function parseListen(listen: string | undefined): { host?: string; port?: number } {
  if (listen === undefined) return {};
  const colon = listen.lastIndexOf(":");
  if (colon < 0) return { host: listen };
  const host = listen.slice(0, colon).replace(/^\[|\]$/g, "");
  const out: { host?: string; port?: number } = { host: host === "" ? "0.0.0.0" : host };
  const port = Number(listen.slice(colon + 1));
  if (Number.isInteger(port) && port >= 0 && port <= 65535) out.port = port;
  return out;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not \`${text}\``);
  return port;
}

function displayHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
