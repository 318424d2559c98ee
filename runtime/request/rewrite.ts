/**
 * Puts rewritten texts back where {@link requestTexts} / {@link completionTexts}
 * found them, in a copy: only the objects on the path to a changed text are
 * copied, the original body is never touched, and a body with no change is
 * returned as the very same object.
 *
 * Order matters when keys change: string values are written first (their
 * paths still use the old keys), then keys, deepest first (a deep key's
 * path still uses its ancestors' old keys). Text inside a JSON string field
 * (tool-call arguments) is written into the parsed JSON, which is then
 * serialised again, so the field stays valid JSON.
 */
import type { JsonPath } from "./blocks.js";
import type { ReadableText } from "./text.js";

type Container = Record<string | number, unknown>;

/** A copy of `body` with `texts[i]` replaced by `replaced[i]` wherever they differ. */
export function withTexts<T>(body: T, texts: readonly ReadableText[], replaced: readonly string[]): T {
  const changed: number[] = [];
  for (let i = 0; i < texts.length; i++) if (replaced[i] !== texts[i]!.text) changed.push(i);
  if (changed.length === 0) return body;
  const copies = new WeakSet<object>();
  const root = copyOf(body as unknown as Container, copies);
  // Changes inside one JSON string field are applied together to one parse of it.
  const inner = new Map<string, { at: JsonPath; edits: number[] }>();
  const direct: number[] = [];
  for (const i of changed) {
    const t = texts[i]!;
    if (t.inner === undefined) direct.push(i);
    else {
      const id = JSON.stringify(t.at);
      const group = inner.get(id) ?? { at: t.at, edits: [] };
      group.edits.push(i);
      inner.set(id, group);
    }
  }
  for (const { at, edits } of inner.values()) {
    const raw = readAt(root, at);
    if (typeof raw !== "string") continue;
    const parsed: unknown = JSON.parse(raw);
    const holder = { v: parsed } as Container;
    const json = apply(holder, edits.map((i) => ({ ...texts[i]!, at: ["v", ...texts[i]!.inner!] })), edits.map((i) => replaced[i]!), new WeakSet());
    writeAt(root, at, JSON.stringify(json.v), copies);
  }
  apply(root, direct.map((i) => texts[i]!), direct.map((i) => replaced[i]!), copies);
  return root as unknown as T;
}

/** Applies value edits, then key edits deepest first, on `root` (copying on write). */
function apply(root: Container, texts: readonly ReadableText[], values: readonly string[], copies: WeakSet<object>): Container {
  const keys: number[] = [];
  for (let i = 0; i < texts.length; i++) {
    if (texts[i]!.key) keys.push(i);
    else writeAt(root, texts[i]!.at, values[i]!, copies);
  }
  keys.sort((a, b) => texts[b]!.at.length - texts[a]!.at.length);
  for (const i of keys) renameKey(root, texts[i]!.at, texts[i]!.text, values[i]!, copies);
  return root;
}

function readAt(root: Container, path: JsonPath): unknown {
  let v: unknown = root;
  for (const k of path) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, k)) return undefined;
    v = (v as Container)[k];
  }
  return v;
}

/** The container at `path`, every container on the way copied once (so writes never reach the original). */
function containerAt(root: Container, path: JsonPath, copies: WeakSet<object>): Container | undefined {
  let c = root;
  for (const k of path) {
    const next = Object.hasOwn(c, k) ? c[k] : undefined;
    if (typeof next !== "object" || next === null) return undefined;
    const copy = copyOf(next as Container, copies);
    if (copy !== next) put(c, k, copy);
    c = copy;
  }
  return c;
}

function writeAt(root: Container, path: JsonPath, value: string, copies: WeakSet<object>): void {
  const holder = containerAt(root, path.slice(0, -1), copies);
  if (holder !== undefined) put(holder, path[path.length - 1]!, value);
}

/** Renames a key in place of the same position (key order is kept: a schema's property order can matter to a model). */
function renameKey(root: Container, path: JsonPath, from: string, to: string, copies: WeakSet<object>): void {
  const holder = containerAt(root, path, copies);
  if (holder === undefined || Array.isArray(holder) || !Object.hasOwn(holder, from)) return;
  const entries = Object.entries(holder);
  for (const k of Object.keys(holder)) delete holder[k];
  for (const [k, v] of entries) put(holder, k === from ? to : k, v);
}

function copyOf(v: Container, copies: WeakSet<object>): Container {
  if (copies.has(v)) return v;
  let copy: Container;
  if (Array.isArray(v)) copy = v.slice() as unknown as Container;
  else {
    // Not Object.assign or a spread into a literal: an own `__proto__` key must stay a key.
    copy = Object.create(Object.getPrototypeOf(v) as object | null) as Container;
    for (const k of Object.keys(v)) put(copy, k, v[k]);
  }
  copies.add(copy);
  return copy;
}

/** An own data property, even for `__proto__` (a JSON key, not the prototype). */
function put(o: Container, k: string | number, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}
