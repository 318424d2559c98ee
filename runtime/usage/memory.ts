/**
 * The in-memory usage store: for tests and `state memory`. Cells are copied
 * in and out, so a caller's later changes never reach what is stored.
 */
import { addCounts, emptyCounts } from "./counts.js";
import { dimsKey, type UsageRow } from "./row.js";
import type { UsageStore } from "./store.js";

export function memoryUsageStore(): UsageStore {
  /** minute → dimensions key → cell. */
  const minutes = new Map<number, Map<string, UsageRow>>();
  let closed = false;
  const open = (): void => {
    if (closed) throw new Error("the usage store is closed");
  };
  return {
    kind: "memory",
    async add(rows) {
      open();
      for (const r of rows) {
        let cells = minutes.get(r.minute);
        if (cells === undefined) minutes.set(r.minute, (cells = new Map()));
        const key = dimsKey(r.dims);
        const cell = cells.get(key) ?? { minute: r.minute, dims: { ...r.dims }, counts: emptyCounts() };
        addCounts(cell.counts, r.counts);
        cells.set(key, cell);
      }
    },
    async rows(since, until) {
      open();
      const out: UsageRow[] = [];
      for (const [minute, cells] of minutes) {
        if (minute < since || minute >= until) continue;
        for (const c of cells.values()) out.push({ minute, dims: { ...c.dims }, counts: addCounts(emptyCounts(), c.counts) });
      }
      return out;
    },
    async sweep(before) {
      let n = 0;
      for (const [minute, cells] of minutes) {
        if (minute >= before) continue;
        n += cells.size;
        minutes.delete(minute);
      }
      return n;
    },
    async close() {
      closed = true;
    },
  };
}
