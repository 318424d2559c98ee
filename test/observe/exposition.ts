/**
 * A tiny parser of the Prometheus text exposition format (0.0.4), strict
 * enough to catch what a scraper would reject: every sample belongs to a
 * family declared with `# TYPE` before it, names and labels are well formed,
 * label values use only the format's escapes, values are numbers, and a
 * histogram's buckets are cumulative and end with `+Inf` equal to `_count`.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Parses the text; throws with the line number on the first problem. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, i) => {
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1}: ${why}: ${line}`);
    };
    if (line === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, what, name, rest] = m;
      if (!NAME.test(name!)) fail("bad metric name");
      let f = families.get(name!);
      if (what === "TYPE") {
        if (f?.samples.length) fail("TYPE after samples");
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest!)) fail("bad type");
        f = { name: name!, type: rest as Family["type"], samples: f?.samples ?? [], ...(f?.help !== undefined ? { help: f.help } : {}) };
        families.set(name!, f);
      } else {
        if (f === undefined) families.set(name!, (f = { name: name!, type: "untyped", samples: [] }));
        f.help = rest!;
      }
      return;
    }
    const sample = parseSample(line, fail);
    const family = familyOf(sample.name, families);
    if (family === undefined) fail("sample without a TYPE");
    family!.samples.push(sample);
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
  if (!m) fail("not a sample");
  const labels: Record<string, string> = {};
  const body = m![2] === undefined ? "" : m![2].slice(1, -1);
  let i = 0;
  while (i < body.length) {
    const eq = body.indexOf("=", i);
    if (eq < 0) fail("label without a value");
    const name = body.slice(i, eq);
    if (!LABEL.test(name)) fail(`bad label name \`${name}\``);
    if (body[eq + 1] !== '"') fail("label value must be quoted");
    let j = eq + 2;
    let value = "";
    for (;;) {
      const c = body[j];
      if (c === undefined) fail("unterminated label value");
      if (c === '"') break;
      if (c === "\n") fail("raw newline in a label value");
      if (c === "\\") {
        const e = body[j + 1];
        if (e === "\\") value += "\\";
        else if (e === '"') value += '"';
        else if (e === "n") value += "\n";
        else fail("bad escape in a label value");
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    if (Object.hasOwn(labels, name)) fail(`label \`${name}\` twice`);
    labels[name] = value;
    i = j + 1;
    if (body[i] === ",") i++;
    else if (i < body.length) fail("labels must be separated by commas");
  }
  const v = m![3]!;
  const value = v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : v === "NaN" ? NaN : Number(v);
  if (v !== "NaN" && Number.isNaN(value)) fail("value is not a number");
  return { name: m![1]!, labels, value };
}

function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sample);
  if (direct !== undefined) return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, -suffix.length));
    if (f?.type === "histogram" || f?.type === "summary") return f;
  }
  return undefined;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: { le: number; v: number }[]; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(rest);
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      entry.buckets.push({ le: le === "+Inf" ? Infinity : Number(le), v: s.value });
    } else if (s.name === `${f.name}_count`) entry.count = s.value;
  }
  for (const [key, e] of series) {
    for (let i = 1; i < e.buckets.length; i++) {
      if (!(e.buckets[i]!.le > e.buckets[i - 1]!.le)) throw new Error(`${f.name}${key}: buckets out of order`);
      if (e.buckets[i]!.v < e.buckets[i - 1]!.v) throw new Error(`${f.name}${key}: buckets not cumulative`);
    }
    const last = e.buckets.at(-1);
    if (last?.le !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    if (last.v !== e.count) throw new Error(`${f.name}${key}: +Inf bucket differs from _count`);
  }
}

/** The value of the sample `name` whose labels include `labels`; undefined when there is none; throws when several match. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = familyOf(name, families);
  const hits = (f?.samples ?? []).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${hits.length} samples`);
  return hits[0]?.value;
}
