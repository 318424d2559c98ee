/**
 * bench/roles/profiler: V8 CPU profiles of a bench child on the
 * orchestrator's request (`profile-start`, `profile-stop FILE`), through
 * the inspector, so a profile covers exactly one measured run.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { dirname } from "node:path";
import { reply, type ParentMsg } from "./protocol.js";

let session: Session | undefined;

/** Handles the profiling messages among a child's messages from its parent (others are ignored). */
export function profilerMessage(m: ParentMsg): void {
  if (m.type === "profile-start") {
    const s = new Session();
    session = s;
    s.connect();
    s.post("Profiler.enable", () => s.post("Profiler.setSamplingInterval", { interval: 50 }, () => s.post("Profiler.start", () => reply({ type: "profiled" }))));
  }
  if (m.type === "profile-stop" && session) {
    const s = session;
    session = undefined;
    s.post("Profiler.stop", (err, res) => {
      // Always answer: the orchestrator waits for it (a failed write is reported, not fatal).
      try {
        if (err) throw err;
        mkdirSync(dirname(m.file), { recursive: true });
        writeFileSync(m.file, JSON.stringify(res.profile));
      } catch (e) {
        console.error(`bench: could not write the CPU profile to ${m.file}: ${String(e)}`);
      }
      s.disconnect();
      reply({ type: "profiled" });
    });
  }
}
