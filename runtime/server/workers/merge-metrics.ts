/**
 * One `/metrics` for every worker: the exposition texts of the workers'
 * registries (and the main thread's, which alone holds the process gauges
 * and the reload counters) merged into one. Pure; the pool gathers the texts.
 *
 * Counters and histograms (buckets, sum, count) are summed per series. A
 * gauge's series are combined by what it measures: sizes held per worker
 * are summed, "is every worker healthy" readings take the minimum, and the
 * rest (the same reading in every worker, e.g. budget spend from the shared
 * store, the policy version, a target's latency estimate) take the maximum.
 */
import { num } from "../../observe/registry.js";

export type GaugeMerge = "sum" | "min" | "max";

/** Gauges not merged by taking the maximum. */
export const GAUGE_MERGE: Readonly<Record<string, GaugeMerge>> = {
  aigw_cache_bytes: "sum",
  aigw_target_healthy: "min",
  aigw_health_shared_up: "min",
};

interface Family {
  readonly name: string;
  help: string | undefined;
  type: string | undefined;
  readonly samples: Map<string, number>;
}

/** The texts merged into one exposition, families in the order first seen. */
export function mergeExpositions(texts: readonly string[], gaugeMerge: Readonly<Record<string, GaugeMerge>> = GAUGE_MERGE): string {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { name, help: undefined, type: undefined, samples: new Map() }));
    return f;
  };
  for (const text of texts) {
    let current: Family | undefined;
    let currentName = "";
    for (const line of text.split("\n")) {
      if (line === "") continue;
      if (line.startsWith("# HELP ")) {
        const name = firstWord(line.slice(7));
        (current = family(name)).help ??= line;
        currentName = name;
      } else if (line.startsWith("# TYPE ")) {
        const rest = line.slice(7);
        const name = firstWord(rest);
        (current = family(name)).type ??= rest.slice(name.length + 1);
        currentName = name;
      } else if (!line.startsWith("#")) {
        const space = line.lastIndexOf(" ");
        if (space <= 0) continue;
        const series = line.slice(0, space);
        // A sample belongs to the family its TYPE line opened (histogram samples carry suffixes).
        const f = current !== undefined && series.startsWith(currentName) ? current : family(seriesName(series));
        const v = parseValue(line.slice(space + 1));
        const was = f.samples.get(series);
        f.samples.set(series, was === undefined ? v : combine(f.type, gaugeMerge[f.name] ?? "max", was, v));
      }
    }
  }
  const out: string[] = [];
  for (const [name, f] of families) {
    if (f.help !== undefined) out.push(f.help);
    if (f.type !== undefined) out.push(`# TYPE ${name} ${f.type}`);
    for (const [series, v] of f.samples) out.push(`${series} ${num(v)}`);
  }
  return out.join("\n") + "\n";
}

/** The sum of a counter's samples in one exposition text (every label set). */
export function sumOf(text: string, name: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== "{" && line[name.length] !== " ")) continue;
    total += parseValue(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

function combine(type: string | undefined, rule: GaugeMerge, a: number, b: number): number {
  if (type === "counter" || type === "histogram") return a + b;
  return rule === "sum" ? a + b : rule === "min" ? Math.min(a, b) : Math.max(a, b);
}

function firstWord(s: string): string {
  const space = s.indexOf(" ");
  return space < 0 ? s : s.slice(0, space);
}

function seriesName(series: string): string {
  const brace = series.indexOf("{");
  return brace < 0 ? series : series.slice(0, brace);
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}
