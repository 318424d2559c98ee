/**
 * Witnesses: one concrete request inside a cube, and how to say it in the
 * policy's own terms — a test `request { … }` block a reader can paste into a
 * test, plus the parts a test request cannot set (a key label, an input size,
 * an opaque test such as `matches`).
 */
import { stringLiteral } from "../../lang/format-text.js";
import type { TestRequest } from "../graph.js";
import { FALSE, keyKind, OPAQUE, PERCENT_SCALE, TRUE, type Constraint } from "./constraint.js";
import type { Cube } from "./cube.js";
import { dateOfDay, dayNumber, instantAt, wallClock, WEEKDAYS } from "../time.js";

/** A value per fact key: a string, a whole number, a flag; `undefined` is "missing". */
export type Point = ReadonlyMap<string, string | number | boolean | undefined>;

/** Facts every request has: they are never missing. */
const ALWAYS_PRESENT: ReadonlySet<string> = new Set(["endpoint", "text"]);

function baseName(key: string): string {
  const open = key.indexOf("(");
  return open < 0 ? key : key.slice(0, open);
}

function argOf(key: string): string {
  return key.slice(key.indexOf("(") + 1, -1);
}

function sample(key: string, c: Constraint): string | number | boolean | undefined {
  if (c.kind === "ranges") return c.parts[0]?.[0] ?? 0;
  if (keyKind(key) === "flag") return c.values.has(TRUE);
  if (c.kind === "in") return [...c.values][0];
  if (!ALWAYS_PRESENT.has(baseName(key))) return undefined;
  let fresh = "other";
  for (let i = 2; c.values.has(fresh); i++) fresh = `other-${i}`;
  return fresh;
}

/** A request in `c`: the first value of each finite set, the least count, "missing" for an open text fact. */
export function pointOf(c: Cube): Point {
  const out = new Map<string, string | number | boolean | undefined>();
  for (const [k, a] of c) out.set(k, sample(k, a));
  return out;
}

/** Does the request `p` satisfy every constraint of `c`? (Runs once per candidate per query: no allocation.) */
export function contains(c: Cube, p: Point): boolean {
  for (const [k, a] of c) {
    const v = p.get(k);
    if (a.kind === "ranges") {
      const n = typeof v === "number" ? v : 0; // an unset count is 0 (an empty input)
      let inside = false;
      for (const [lo, hi] of a.parts) if (lo <= n && n <= hi) inside = true;
      if (!inside) return false;
    } else if (typeof v === "string") {
      if (a.values.has(v) !== (a.kind === "in")) return false;
    } else if (typeof v === "boolean") {
      if (!a.values.has(v ? TRUE : FALSE)) return false;
    } else if (keyKind(k) === "flag") {
      if (!a.values.has(FALSE)) return false; // an unset flag is false
    } else if (a.kind === "in") return false; // a missing text fact equals nothing
  }
  return true;
}

/**
 * The request as the policy would write it: `request { model "chat"
 * input_tokens 200001 }`, followed by what a test request cannot say.
 */
export function describe(p: Point): string {
  const facts: string[] = [];
  const extra: string[] = [];
  const time = new Map<string, number>();
  for (const [k, v] of [...p].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (v === undefined || v === false) continue;
    const name = baseName(k);
    if (k.startsWith(OPAQUE)) extra.push(`\`${k.slice(OPAQUE.length)}\` ${v === true ? "holds" : "does not hold"}`);
    else if (v === true) facts.push(name);
    else if (name === "header" || name === "metadata") facts.push(`${name} ${stringLiteral(argOf(k))} ${stringLiteral(String(v))}`);
    else if (name === "label") extra.push(`its key is labelled \`${argOf(k)} ${stringLiteral(String(v))}\``);
    else if (name === "input_bytes") extra.push(`its input is ${v} bytes long`);
    else if (name === "budget_used") extra.push(`budget \`${argOf(k)}\` is ${Number(v) / PERCENT_SCALE}% used`);
    else if (name === "hour" || name === "weekday" || name === "date") time.set(name, Number(v));
    else if (name === "text") facts.push(`input ${stringLiteral(String(v))}`);
    else if (typeof v === "number") facts.push(`${name} ${v}`);
    else facts.push(`${name} ${stringLiteral(v)}`);
  }
  if (time.size > 0) extra.unshift(`it arrives ${timeText(time)}`);
  // Opaque tests are listed after what they may depend on.
  extra.sort((a, b) => Number(a.startsWith("`")) - Number(b.startsWith("`")));
  const request = `\`request {${facts.length ? ` ${facts.join("  ")} ` : " "}}\``;
  return extra.length === 0 ? request : `${request} where ${extra.join(" and ")}`;
}

/** `on a mon, 2026-01-05, at hour 9` (in the gateway's time zone): what the witness's time facts say. */
function timeText(t: ReadonlyMap<string, number>): string {
  const parts: string[] = [];
  const day = t.get("weekday");
  const date = t.get("date");
  if (day !== undefined) parts.push(`on a ${WEEKDAYS[day] ?? "mon"}`);
  if (date !== undefined) parts.push(`${day === undefined ? "on " : ""}${dateOfDay(date)}`);
  const hour = t.get("hour");
  if (hour !== undefined) parts.push(`at hour ${hour}`);
  return `${parts.join(", ")} (gateway time)`;
}

/**
 * The request as a policy test's `request` block would hold it, for running
 * a witness through the evaluator; undefined when it needs what a test
 * request cannot set (a key label, a key, an input size, an opaque test).
 */
export function testRequest(p: Point, timezone?: string): TestRequest | undefined {
  const out: TestRequest = { headers: {}, metadata: {} };
  const time = new Map<string, number>();
  for (const [k, v] of p) {
    if (v === undefined) continue;
    const name = baseName(k);
    if (typeof v === "number" && (name === "hour" || name === "weekday" || name === "date")) {
      time.set(name, v);
      continue;
    }
    if (typeof v === "boolean") {
      if (name === "stream" || name === "tools" || name === "images") out[name] = v;
      else if (v) return undefined; // an opaque test that must hold
    } else if (typeof v === "number") {
      if (name !== "input_tokens") return undefined;
      out.inputTokens = v;
    } else if (name === "header") out.headers[argOf(k)] = v;
    else if (name === "metadata") out.metadata[argOf(k)] = v;
    else if (name === "model" || name === "endpoint" || name === "team" || name === "user" || name === "session") out[name] = v;
    else if (name === "text") out.input = v;
    else return undefined;
  }
  if (time.size === 0) return out;
  if (timezone === undefined) return undefined;
  const at = arrival(time, timezone);
  if (at === undefined) return undefined;
  out.atMs = at;
  return out;
}

// A Monday: the day a witness that names only a weekday counts from.
const MONDAY = "2026-01-05";

/** An instant whose wall clock in `zone` shows the witness's hour, weekday and date; undefined when none does. */
function arrival(time: ReadonlyMap<string, number>, zone: string): number | undefined {
  const weekday = time.get("weekday");
  const day = time.get("date");
  const date = day !== undefined ? dateOfDay(day) : dateOfDay(dayNumber(MONDAY)! + (weekday ?? 0));
  const ms = instantAt(date, time.get("hour") ?? 12, zone);
  if (ms === undefined) return undefined;
  // A date and a weekday the analysis took apart may name no real day together.
  return weekday === undefined || wallClock(ms, zone).weekday === WEEKDAYS[weekday] ? ms : undefined;
}
