// A stand-in gateway worker for pool.test.ts: says it listens, then throws on its own a moment later
// (or, with workerData.mode "exit", ends quietly), as a worker that crashes mid-service would.
import { parentPort, workerData } from "node:worker_threads";

parentPort.postMessage({ op: "listening", port: workerData.port, engine: { kind: "native", detail: "test" } });
parentPort.on("message", (m) => {
  if (m.op === "drain") parentPort.close();
});
if (workerData.index === 1) {
  setTimeout(() => {
    throw new Error("worker fault for the test");
  }, 200);
}
