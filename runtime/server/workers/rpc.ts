/**
 * Calls across threads over a MessagePort: one side serves an object's async
 * methods, the other calls them by name and awaits the answer. The owner runs
 * each call as it arrives on its own event loop, so a method that is one
 * synchronous step there (the memory state store's) stays one atomic step
 * however many threads call it.
 */
import type { MessagePort } from "node:worker_threads";
import { StateError, type StateErrorCode } from "../../state/errors.js";

interface CallMessage {
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
}

/** A failure as it crosses the port: enough to rebuild a `StateError` with its code. */
interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

type ReplyMessage = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: WireError };

/** Methods a port may call: each takes cloneable arguments and resolves with a cloneable value. */
export type Served = Readonly<Record<string, (...args: never[]) => Promise<unknown>>>;

/** Answers calls arriving on `port` with `methods`; an unknown method is answered with an error, never thrown. */
export function serveCalls(port: MessagePort, methods: Served): void {
  port.on("message", (m: CallMessage) => {
    const fn = Object.hasOwn(methods, m.method) ? (methods[m.method] as (...args: readonly unknown[]) => Promise<unknown>) : undefined;
    const run = fn === undefined ? Promise.reject(new Error(`no method \`${m.method}\` on this port`)) : Promise.resolve().then(() => fn(...m.args));
    run.then(
      (value) => port.postMessage({ id: m.id, ok: true, value } satisfies ReplyMessage),
      (err: unknown) => port.postMessage({ id: m.id, ok: false, error: wireError(err) } satisfies ReplyMessage),
    );
  });
}

/** The calling side of a port served by {@link serveCalls}. */
export class Caller {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #closed = false;

  constructor(private readonly port: MessagePort) {
    port.on("message", (r: ReplyMessage) => {
      const p = this.#pending.get(r.id);
      if (p === undefined) return;
      this.#pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(localError(r.error));
    });
    // Only calls in flight keep the thread alive (see call/settle below); an idle port does not.
    port.unref();
  }

  call<T>(method: string, args: readonly unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new StateError("AIGW_STATE_CLOSED", "the store is closed"));
    const id = this.#next++;
    if (this.#pending.size === 0) this.port.ref();
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, {
        resolve: (v) => (this.#settled(), resolve(v as T)),
        reject: (e) => (this.#settled(), reject(e)),
      });
      this.port.postMessage({ id, method, args } satisfies CallMessage);
    });
  }

  #settled(): void {
    if (this.#pending.size === 0) this.port.unref();
  }

  /** Further calls reject; calls in flight still get their answers. */
  close(): void {
    this.#closed = true;
  }
}

function wireError(err: unknown): WireError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === "string" ? { code } : {}) };
  }
  return { name: "Error", message: String(err) };
}

function localError(e: WireError): Error {
  if (e.name === "StateError" && e.code !== undefined) return new StateError(e.code as StateErrorCode, e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
