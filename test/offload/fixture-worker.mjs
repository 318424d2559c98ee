// A guard pass worker for the pool's tests: speaks the pool's protocol
// (runtime/offload/pool.ts) and misbehaves on demand. A `text` task's text
// says what to do: `crash` throws (the worker dies with an error), `exit`
// ends the thread, `hang` never answers; anything else is answered at once
// with the text's length, and the graphs the worker holds.
import { parentPort } from "node:worker_threads";

const graphs = [];
parentPort.on("message", (m) => {
  if (m.type === "graph") {
    graphs.push(m.key);
    return;
  }
  const text = m.task.text;
  if (text === "crash") throw new Error("boom");
  if (text === "exit") process.exit(3);
  if (text === "hang") for (;;);
  parentPort.postMessage({ type: "done", id: m.id, result: { kind: "text", normalizedText: null, matches: { length: text.length > 0 }, inputTokens: text.length, graphs: [...graphs] } });
});
parentPort.postMessage({ type: "ready" });
