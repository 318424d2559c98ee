/**
 * The mock provider's structured output: a value that satisfies a JSON
 * Schema's common keywords (`type`, `properties` with `required`, `items`
 * with `minItems`, `enum`, `const`, `anyOf`/`oneOf`/`allOf`'s first, a
 * number's `minimum`, a string's `minLength`), for `response_format`
 * `json_schema` and a tool call's arguments. Every required key is
 * present; optional ones are left out. Pure and deterministic.
 */

type Schema = Readonly<Record<string, unknown>>;

/** The nesting a sample follows before it answers `null` (a recursive `$ref`-free schema cannot loop, a deep one stops). */
const MAX_DEPTH = 32;

/** A value satisfying `schema` (an object when the schema says nothing). */
export function sampleOf(schema: unknown, text = "mock", depth = 0): unknown {
  if (!isSchema(schema) || depth > MAX_DEPTH) return {};
  if ("const" in schema) return schema["const"];
  if (Array.isArray(schema["enum"]) && schema["enum"].length > 0) return schema["enum"][0];
  for (const k of ["anyOf", "oneOf", "allOf"]) {
    const list = schema[k];
    if (Array.isArray(list) && list.length > 0) return sampleOf(list[0], text, depth + 1);
  }
  const type = Array.isArray(schema["type"]) ? schema["type"][0] : schema["type"];
  switch (type) {
    case "string": {
      const min = typeof schema["minLength"] === "number" ? schema["minLength"] : 0;
      return text.padEnd(min, ".");
    }
    case "integer":
    case "number":
      return typeof schema["minimum"] === "number" ? (type === "integer" ? Math.ceil(schema["minimum"]) : schema["minimum"]) : 0;
    case "boolean":
      return false;
    case "null":
      return null;
    case "array": {
      const min = typeof schema["minItems"] === "number" ? Math.min(schema["minItems"], 16) : 0;
      return Array.from({ length: min }, () => sampleOf(schema["items"], text, depth + 1));
    }
    default:
      return objectOf(schema, text, depth);
  }
}

function objectOf(schema: Schema, text: string, depth: number): Record<string, unknown> {
  const props = isSchema(schema["properties"]) ? schema["properties"] : {};
  const required = Array.isArray(schema["required"]) ? schema["required"].filter((k): k is string => typeof k === "string") : [];
  const out: Record<string, unknown> = {};
  for (const k of required) Object.defineProperty(out, k, { value: sampleOf(props[k], text, depth + 1), enumerable: true, writable: true, configurable: true });
  return out;
}

function isSchema(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
