/**
 * bench/roles/protocol: the IPC messages between a bench orchestrator and
 * its node children (bench/child.ts and the roles under bench/roles/).
 * Requests go down as plain objects with a `type`; each has one reply type.
 */
import type { ClosedLoopResult, ClosedLoopSpec, OpenLoopResult, OpenLoopSpec } from "../load/open-loop.js";
import type { StreamsDone, StreamsOpen, StreamsSpec } from "../load/streams.js";
import type { ConcurrentFramesResult, ConcurrentFramesSpec, FramesResult, FramesSpec } from "../load/frames.js";
import type { SerialResult, SerialSpec } from "../load/serial.js";
import type { UpstreamStats } from "../mock-upstream.js";

/** What children send up. */
export type ChildMsg =
  | { type: "ready"; port: number; holdPort?: number; engine?: string }
  | { type: "stats"; stats: UpstreamStats; held: number }
  | { type: "released"; count: number }
  | { type: "profiled" }
  | { type: "open-loop-result"; result: OpenLoopResult }
  | { type: "closed-loop-result"; result: ClosedLoopResult }
  | { type: "streams-open"; result: StreamsOpen }
  | { type: "streams-done"; result: StreamsDone }
  | { type: "serial-result"; result: SerialResult }
  | { type: "frames-result"; result: FramesResult }
  | { type: "concurrent-frames-result"; result: ConcurrentFramesResult };

/** What the orchestrator sends down. */
export type ParentMsg =
  | { type: "stats" }
  | { type: "release" }
  | { type: "profile-start" }
  | { type: "profile-stop"; file: string }
  | { type: "open-loop"; spec: OpenLoopSpec }
  | { type: "closed-loop"; spec: ClosedLoopSpec }
  | { type: "streams"; spec: StreamsSpec }
  | { type: "serial"; spec: SerialSpec }
  | { type: "frames"; spec: FramesSpec }
  | { type: "concurrent-frames"; spec: ConcurrentFramesSpec };

/** Sends `m` to the parent (children only). */
export function reply(m: ChildMsg): void {
  process.send!(m);
}

/** Calls `handle` for each message from the parent; exits when the parent goes away. */
export function onParent(handle: (m: ParentMsg) => void | Promise<void>): void {
  process.on("message", (m: ParentMsg) => {
    void Promise.resolve(handle(m)).catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  });
  // Orphaned (the orchestrator died without stopping us): go too.
  process.on("disconnect", () => process.exit(0));
}
