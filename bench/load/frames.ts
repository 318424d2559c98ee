/**
 * bench/load/frames: what a streaming client of the independent board
 * measures, from the bytes it receives: the content frames (SSE events
 * that carry a `delta`), when the first arrived (time to first token) and
 * the gaps between them. Frames that arrive in one read share its time,
 * so a gap of 0 means the relay sent them together. Pure: the caller
 * passes each read's bytes with its time.
 */
import { SseFramer, eventOf, simpleData, valueAt } from "../../runtime/providers/sse-frames.js";

const DELTA = Buffer.from('"delta"');

export class FrameClock {
  readonly #framer = new SseFramer();
  /** Content frames so far. */
  frames = 0;
  /** Time of the first content frame (0: none yet). */
  firstAt = 0;
  /** Time between consecutive content frames. */
  readonly gaps: number[] = [];
  #lastAt = 0;

  /** One read of the body, received at `at`. */
  onData(chunk: Buffer, at: number): void {
    for (const block of this.#framer.push(chunk)) {
      const data = simpleData(block) ?? (() => {
        const e = eventOf(block).event;
        return e === undefined ? undefined : Buffer.from(e.data);
      })();
      if (data === undefined || valueAt(data, DELTA) === -1) continue;
      if (this.frames === 0) this.firstAt = at;
      else this.gaps.push(at - this.#lastAt);
      this.#lastAt = at;
      this.frames++;
    }
  }
}
