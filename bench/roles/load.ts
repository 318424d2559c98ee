/**
 * bench/roles/load: the in-repo load generator child: one process, pinned
 * next to the mock upstream, that runs every open-loop, closed-loop and
 * held-streams run the orchestrator asks for, and the one-connection and
 * frame-by-frame runs of issue 20's cells (the same warm generator for
 * every contender).
 */
import { closedLoop, openLoop } from "../load/open-loop.js";
import { holdStreams } from "../load/streams.js";
import { concurrentFrames, framesAtOneConnection } from "../load/frames.js";
import { serialLoop } from "../load/serial.js";
import { onParent, reply } from "./protocol.js";

/** Serves load runs until the parent stops it. */
export async function loadRole(): Promise<void> {
  onParent(async (m) => {
    if (m.type === "open-loop") reply({ type: "open-loop-result", result: await openLoop(m.spec) });
    if (m.type === "closed-loop") reply({ type: "closed-loop-result", result: await closedLoop(m.spec) });
    if (m.type === "serial") reply({ type: "serial-result", result: await serialLoop(m.spec) });
    if (m.type === "frames") reply({ type: "frames-result", result: await framesAtOneConnection(m.spec) });
    if (m.type === "concurrent-frames") reply({ type: "concurrent-frames-result", result: await concurrentFrames(m.spec) });
    if (m.type === "streams") {
      const done = await holdStreams(m.spec, (open) => reply({ type: "streams-open", result: open }));
      reply({ type: "streams-done", result: done });
    }
  });
  reply({ type: "ready", port: 0 });
}
