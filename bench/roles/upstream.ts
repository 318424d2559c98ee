/**
 * bench/roles/upstream: the mock upstream child (bench/mock-upstream.ts),
 * answering the orchestrator's requests for its counters and releasing the
 * streams its hold port keeps open.
 */
import { startMockUpstream } from "../mock-upstream.js";
import { onParent, reply } from "./protocol.js";

/** Runs the mock upstream until the parent stops it; `needle` is the string whose presence in bodies is counted. */
export async function upstreamRole(args: readonly string[]): Promise<void> {
  const i = args.indexOf("--needle");
  const mock = await startMockUpstream(i >= 0 ? { needle: args[i + 1]! } : {});
  onParent((m) => {
    if (m.type === "stats") reply({ type: "stats", stats: mock.stats(), held: mock.held() });
    if (m.type === "release") reply({ type: "released", count: mock.release() });
  });
  reply({ type: "ready", port: mock.port, holdPort: mock.holdPort });
}
