/**
 * A request body an inbound codec cannot decode, or a field it cannot
 * honour: the pipeline answers it as a 400 in the caller's API's error
 * shape, `param` naming the field (`messages[2].content[0].source`).
 */
export class CodecError extends Error {
  constructor(
    readonly param: string | null,
    message: string,
  ) {
    super(message);
    this.name = "CodecError";
  }
}

type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `o` without its undefined fields (so optional properties stay absent, not `undefined`). */
export function pick<T extends object>(o: T): T {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** The fields of `wire` not in `known`, or undefined when there are none. */
export function rest(wire: object, known: readonly string[]): Json | undefined {
  let out: Json | undefined;
  for (const [k, v] of Object.entries(wire)) if (!known.includes(k)) (out ??= {})[k] = v;
  return out;
}

/** Field checks that throw a {@link CodecError} naming the field. */
export const need = {
  object(v: unknown, param: string): Json {
    if (!isObject(v)) throw new CodecError(param, `\`${param}\` must be an object`);
    return v;
  },
  array(v: unknown, param: string): unknown[] {
    if (!Array.isArray(v)) throw new CodecError(param, `\`${param}\` must be an array`);
    return v;
  },
  string(v: unknown, param: string): string {
    if (typeof v !== "string") throw new CodecError(param, `\`${param}\` must be a string`);
    return v;
  },
  optString(v: unknown, param: string): string | undefined {
    return v === undefined || v === null ? undefined : need.string(v, param);
  },
  optNumber(v: unknown, param: string, min: number, max: number): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) throw new CodecError(param, `\`${param}\` must be a number between ${min} and ${max}`);
    return v;
  },
  optInt(v: unknown, param: string, min: number, max: number): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new CodecError(param, `\`${param}\` must be an integer between ${min} and ${max}`);
    return v;
  },
  optBool(v: unknown, param: string): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") throw new CodecError(param, `\`${param}\` must be a boolean`);
    return v;
  },
};

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
