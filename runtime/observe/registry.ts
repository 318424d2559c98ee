/**
 * A small Prometheus registry: counters, gauges and fixed-bucket histograms
 * with labels, rendered in the text exposition format (version 0.0.4).
 *
 * Hand-written rather than prom-client because the request path must stay
 * cheap: a labelled series is a plain object resolved once per label
 * combination (`child(...)`, a Map lookup) and then updated with a field
 * increment, and nothing is formatted until a scrape asks for it.
 */

/** The value of one labelled counter or gauge. */
export interface Series {
  value: number;
}

/** One labelled histogram: counts per bucket (not cumulative; the last is +Inf), sum and count. */
export interface HistogramSeries {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

type Kind = "counter" | "gauge" | "histogram";

/** What every metric has: a name, help, label names and a rendering. */
export interface Metric {
  readonly name: string;
  readonly help: string;
  readonly kind: Kind;
  readonly labelNames: readonly string[];
  /** Appends the metric's lines (HELP, TYPE, samples) to `out`. */
  render(out: string[]): void;
}

/** A separator that cannot occur in a label value we produce (values are policy names, numbers, hashes). */
const SEP = "\u0001";

/** Label children by their joined values; each child keeps its rendered label text. */
abstract class Labelled<T> implements Metric {
  abstract readonly kind: Kind;
  protected readonly children = new Map<string, { labels: string; series: T }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name \`${name}\``);
    for (const l of labelNames) if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l) || l.startsWith("__")) throw new Error(`invalid label name \`${l}\``);
  }

  protected abstract create(): T;

  /** The series for these label values (in `labelNames` order), created on first use. */
  child(...values: string[]): T {
    const key = values.length === 1 ? values[0]! : values.join(SEP);
    let c = this.children.get(key);
    if (c === undefined) {
      if (values.length !== this.labelNames.length) throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
      c = { labels: labelText(this.labelNames, values), series: this.create() };
      this.children.set(key, c);
    }
    return c.series;
  }

  /** Drops the series for these label values (a policy version that is no longer active). */
  remove(...values: string[]): void {
    this.children.delete(values.length === 1 ? values[0]! : values.join(SEP));
  }

  /** Drops every series (gauges refilled at scrape time). */
  clear(): void {
    this.children.clear();
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.kind}`);
    for (const c of this.children.values()) this.renderSeries(out, c.labels, c.series);
  }

  protected abstract renderSeries(out: string[], labels: string, series: T): void;
}

/** A monotonically increasing count. */
export class Counter extends Labelled<Series> {
  readonly kind = "counter";
  protected create(): Series {
    return { value: 0 };
  }
  /** Adds `n` (default 1) to the series of `values`; for the hot path, keep the child instead. */
  inc(values: readonly string[], n = 1): void {
    this.child(...values).value += n;
  }
  protected renderSeries(out: string[], labels: string, s: Series): void {
    out.push(`${this.name}${braces(labels)} ${num(s.value)}`);
  }
}

/** A value that goes up and down, or is set. */
export class Gauge extends Labelled<Series> {
  readonly kind = "gauge";
  protected create(): Series {
    return { value: 0 };
  }
  set(values: readonly string[], v: number): void {
    this.child(...values).value = v;
  }
  protected renderSeries(out: string[], labels: string, s: Series): void {
    out.push(`${this.name}${braces(labels)} ${num(s.value)}`);
  }
}

/** Observations counted into fixed buckets (upper bounds, ascending; +Inf is implied). */
export class Histogram extends Labelled<HistogramSeries> {
  readonly kind = "histogram";
  private readonly bounds: string[];

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames);
    for (let i = 1; i < buckets.length; i++) if (!(buckets[i]! > buckets[i - 1]!)) throw new Error(`${name}: buckets must ascend`);
    this.bounds = buckets.map(num);
  }

  protected create(): HistogramSeries {
    return { counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
  }

  /** Records `v` in a series. */
  observeIn(s: HistogramSeries, v: number): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    s.counts[i]!++;
    s.sum += v;
    s.count++;
  }

  observe(values: readonly string[], v: number): void {
    this.observeIn(this.child(...values), v);
  }

  protected renderSeries(out: string[], labels: string, s: HistogramSeries): void {
    const sep = labels === "" ? "" : ",";
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += s.counts[i]!;
      out.push(`${this.name}_bucket{${labels}${sep}le="${this.bounds[i]}"} ${num(cumulative)}`);
    }
    out.push(`${this.name}_bucket{${labels}${sep}le="+Inf"} ${num(s.count)}`);
    out.push(`${this.name}_sum${braces(labels)} ${num(s.sum)}`);
    out.push(`${this.name}_count${braces(labels)} ${num(s.count)}`);
  }
}

/** Metrics in registration order, rendered together. */
export class Registry {
  private readonly metrics: Metric[] = [];

  register<M extends Metric>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new Error(`metric \`${metric.name}\` is registered twice`);
    this.metrics.push(metric);
    return metric;
  }

  /** True when a metric of that name is registered. */
  has(name: string): boolean {
    return this.metrics.some((m) => m.name === name);
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.register(new Histogram(name, help, labelNames, buckets));
  }

  /** The text exposition of every metric. */
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics) m.render(out);
    return out.join("\n") + "\n";
  }
}

/** The `Content-Type` of {@link Registry.render}'s output. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

function labelText(names: readonly string[], values: readonly string[]): string {
  let s = "";
  for (let i = 0; i < names.length; i++) s += `${i === 0 ? "" : ","}${names[i]}="${escapeValue(values[i]!)}"`;
  return s;
}

const braces = (labels: string): string => (labels === "" ? "" : `{${labels}}`);

/** Label values escape backslash, double quote and newline (the exposition format's rules). */
export function escapeValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") : v;
}

/** Help text escapes backslash and newline. */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value: Go-style `+Inf`, `-Inf`, `NaN`; otherwise JavaScript's shortest round-tripping form. */
export function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}
