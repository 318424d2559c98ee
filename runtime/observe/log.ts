/**
 * The gateway's log: a small interface (so tests and the CLI decide where
 * lines go) and a JSON-lines implementation. Access entries record what was
 * decided for each request (access-log.ts builds them); they
 * never contain keys, and bodies only with `log_bodies true`.
 *
 * Writing is cheap on purpose: an access line is one `JSON.stringify` of the
 * entry behind a fixed prefix, and {@link batchedWrite} turns the lines of
 * one event-loop turn into one write.
 */
import type { Explanation } from "../engine/index.js";

export type LogFields = Record<string, unknown>;

/** One try against a target, in the order tried. */
export interface AttemptEntry {
  /** The policy's model name. */
  target: string;
  /** The upstream's status; absent for a timeout or a connection failure. */
  status?: number;
  /** 1 for the first retry of this target, … (absent for a first try). */
  retry?: number;
  /** Milliseconds (absent when tries were not timed). */
  ms?: number;
  /** For a failed try: `status`, `timeout`, `connection`, `protocol`, `request`, or the refusal (`context_length`, `content_filter`). */
  error?: string;
}

/** A guardrail rule that fired on the request. */
export interface GuardrailEntry {
  guardrail: string;
  action: "block" | "redact" | "flag";
  /** The detectors or condition that fired (`email`, `when input_tokens > 100000`), never the matched text. */
  by: string;
  /** Matches replaced, for a redaction. */
  count?: number;
}

/** One line per finished request. Absent parts are left out. */
export interface AccessEntry {
  requestId: string;
  method: string;
  path: string;
  status: number;
  /** Whole request, milliseconds (µs precision). */
  ms: number;
  /** Until the status and headers were written. */
  ttfbMs?: number;
  /** Tries (and backoff between them) and a stream's relay. */
  upstreamMs?: number;
  /** Time spent in aigw itself: `ms − upstreamMs`. */
  overheadMs?: number;
  /** The policy version (`x-aigw-policy`). */
  policy?: string;
  /** The model the caller asked for. */
  model?: string;
  stream?: boolean;
  team?: string;
  user?: string;
  /** The first 12 hex digits of the caller's key hash (`sha256:2c26b46b68ff`): enough to find the `keys` line, never the key. */
  keyId?: string;
  route?: string;
  /** Where the route is written: `file:line`. */
  source?: string;
  /** The target that answered. */
  target?: string;
  attempts?: AttemptEntry[];
  /**
   * Targets that cannot take the request (`gpt-35 skipped: no images`), then
   * those the route's health policy skipped (`gpt-4o skipped: ejected 12 s
   * ago after 5 consecutive 503s, health upstream (main.route:14)`).
   */
  skipped?: string[];
  /** What the route's shaping changed: `max_tokens 20000 → 8000 (cap), temperature set 0.2`. */
  shaped?: string;
  promptTokens?: number;
  completionTokens?: number;
  /** Dollars, from the model's prices and the reported usage. */
  cost?: number;
  /** The route's cache: `hit`, `miss` or `bypass`, the entry (the key's first 16 hex digits) and, for a hit, the dollars it saved. */
  cache?: {
    name: string;
    result: "hit" | "miss" | "bypass";
    entry?: string;
    saved?: number;
    /** A semantic hit's cosine similarity. */
    similarity?: number;
    /** A semantic cache's embedding of the request's text: the model, its tokens and cost, or why it failed. */
    embedding?: { model: string; tokens?: number; cost?: number; error?: string };
  };
  guardrails?: GuardrailEntry[];
  /** The budget or limit that refused the request. */
  rejectedBy?: { kind: "budget" | "limit"; name: string };
  error?: string;
  /** The client left before the response was complete. */
  aborted?: boolean;
  /** The decision record, equal to `aigw explain --format json` for the same request and state (when decisions are logged). */
  decision?: Explanation;
  /** With `log_bodies true`: the messages as sent upstream (input redactions applied). */
  requestBody?: unknown;
  /** With `log_bodies true`: the completion's text (output redactions applied). */
  responseText?: string;
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
  if (options.access !== false) {
    // Requests finishing in the same millisecond share one timestamp text.
    let lastMs = NaN;
    let lastIso = "";
    const iso = (ms: number): string => (ms === lastMs ? lastIso : ((lastMs = ms), (lastIso = new Date(ms).toISOString())));
    // The entry is plain data (no errors, no undefined values worth a replacer): stringify it once, behind a fixed prefix.
    logger.access = (entry) => write('{"t":"' + iso(now()) + '","level":"info","msg":"request",' + JSON.stringify(entry).slice(1) + "\n");
  }
  return logger;
}

/** A `write` whose lines are joined and passed on once per event-loop turn (or sooner past `maxBytes`), plus `flush`. */
export interface BatchedWrite {
  (line: string): void;
  /** Writes what is pending now. */
  flush(): void;
}

/**
 * Batches lines for `sink` (say `process.stdout.write`): one write per
 * event-loop turn instead of one per request, which matters when stdout is
 * a pipe or a file (each write is a system call). Call `flush` before exit.
 */
export function batchedWrite(sink: (text: string) => void, options: { maxBytes?: number } = {}): BatchedWrite {
  const maxBytes = options.maxBytes ?? 64 * 1024;
  let pending = "";
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === "") return;
    const text = pending;
    pending = "";
    sink(text);
  };
  const write = ((line: string) => {
    pending += line;
    if (pending.length >= maxBytes) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  }) as BatchedWrite;
  write.flush = flush;
  return write;
}

/** Errors serialise as their name, message and stack instead of `{}`. */
function replaceErrors(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}
