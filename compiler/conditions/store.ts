/**
 * Earlier routes' cubes, indexed by fact and value so that judging a route
 * looks only at the cubes that could matter to it — the reason the
 * hidden-route check costs about linear time in the number of routes.
 *
 * Each cube is filed under one text fact it constrains to a finite set, once
 * per value: the fact whose values have been filed least so far (`model`
 * on a tie, as the runtime's route index does), so that a value many routes
 * share (`header("x-tier") == "premium"`) does not make one long list that
 * every query reads. Cubes with no such fact are "broad" and seen by every
 * query. A cube filed under a fact that the query leaves open cannot
 * contain the query's generic request (cover.ts), so `candidates` skips it;
 * cover.ts asks for it by value (`named`) when it cuts the query there.
 */
import { keyKind } from "./constraint.js";
import type { Cube } from "./cube.js";
import type { Item, Source } from "./cover.js";

export class CubeStore implements Source {
  private readonly broad: Item[] = [];
  private readonly byKey = new Map<string, Map<string, Item[]>>();

  /** The fact to file `c` under: the least crowded of those it constrains to a finite set. */
  private fileKey(c: Cube): string | undefined {
    let best: string | undefined;
    let bestSize = Infinity;
    for (const [k, a] of c) {
      if (keyKind(k) !== "text" || a.kind !== "in") continue;
      let size = 0;
      for (const v of a.values) size += this.byKey.get(k)?.get(v)?.length ?? 0;
      if (size < bestSize || (size === bestSize && k === "model")) {
        best = k;
        bestSize = size;
      }
    }
    return best;
  }

  add(item: Item): void {
    const key = this.fileKey(item.cube);
    const a = key === undefined ? undefined : item.cube.get(key);
    if (key === undefined || a?.kind !== "in") {
      this.broad.push(item);
      return;
    }
    let byValue = this.byKey.get(key);
    if (!byValue) this.byKey.set(key, (byValue = new Map()));
    for (const v of a.values) {
      const list = byValue.get(v);
      if (list) list.push(item);
      else byValue.set(v, [item]);
    }
  }

  named(key: string, value: string): readonly Item[] {
    return this.byKey.get(key)?.get(value) ?? [];
  }

  candidates(c: Cube): readonly Item[] {
    const found = new Set<Item>(this.broad);
    for (const [k, a] of c) {
      if (a.kind !== "in" || keyKind(k) !== "text") continue;
      const byValue = this.byKey.get(k);
      if (byValue) for (const v of a.values) for (const item of byValue.get(v) ?? []) found.add(item);
    }
    return [...found];
  }
}
