/**
 * The gateway's log: a small interface (so tests and the CLI decide where
 * lines go) and a JSON-lines implementation. Access entries record what was
 * decided for each request; they never contain keys or bodies.
 */

export type LogFields = Record<string, unknown>;

/** One line per finished request. */
export interface AccessEntry {
  requestId: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  route?: string;
  target?: string;
  /** `gpt-4o:429,sonnet:200` */
  attempts?: string;
  team?: string;
  promptTokens?: number;
  completionTokens?: number;
  redacted?: string[];
  flagged?: string[];
  error?: string;
  /** The client left before the response was complete. */
  aborted?: boolean;
}

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Access log; absent to turn it off. */
  access?(entry: AccessEntry): void;
}

/** Discards everything. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** JSON lines through `write` (one call per line); `access: false` turns the access log off. */
export function jsonLogger(write: (line: string) => void, options: { access?: boolean; now?: () => number } = {}): Logger {
  const now = options.now ?? Date.now;
  const line = (level: string, msg: string, fields?: LogFields) =>
    write(JSON.stringify({ t: new Date(now()).toISOString(), level, msg, ...fields }, replaceErrors) + "\n");
  const logger: Logger = {
    info: (msg, fields) => line("info", msg, fields),
    warn: (msg, fields) => line("warn", msg, fields),
    error: (msg, fields) => line("error", msg, fields),
  };
  if (options.access !== false) logger.access = (entry) => line("info", "request", entry as unknown as LogFields);
  return logger;
}

/** Errors serialise as their name, message and stack instead of `{}`. */
function replaceErrors(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}
