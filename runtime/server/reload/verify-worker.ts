/**
 * The compile worker's entry: verifies snapshots posted by `workerVerifier`
 * (verifier.ts) off the main thread, so compiling a large policy never
 * stalls requests. The report goes back as one JSON string: the graph is
 * plain JSON by design, and parsing a string is cheaper for the main thread
 * than a structured clone of the same object tree.
 */
import { parentPort, workerData } from "node:worker_threads";
import { WORKER_MARK, type VerifyRequest, type VerifyResponse } from "./verifier.js";
import { runVerify } from "./verify-run.js";

/** What the worker needs of its port (a `MessagePort`; tests pass one end of a `MessageChannel`). */
export interface PortLike {
  on(event: "message", listener: (req: VerifyRequest) => void): unknown;
  postMessage(res: VerifyResponse): void;
}

/** Answers every verify request arriving on `port`. */
export function serveVerifier(port: PortLike): void {
  port.on("message", (req) => {
    runVerify(req.input, req.env).then(
      (report) => port.postMessage({ id: req.id, json: JSON.stringify(report) }),
      (err: unknown) => port.postMessage({ id: req.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
}

export { WORKER_MARK } from "./verifier.js";

if (parentPort && workerData === WORKER_MARK) serveVerifier(parentPort);
