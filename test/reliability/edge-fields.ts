/**
 * Every field of a chat completion request that the gateway checks, with a
 * fast-check arbitrary of values that are wrong for it: the table behind the
 * "wrong types in every field" property of edge-fuzz.test.ts. A wrong value
 * put into {@link validRequest} must give a 400 whose `param` is the field's
 * path. "Wrong" is decided by a predicate mirroring the API's rules (null is
 * absent for an optional field), applied to the value after a JSON round trip.
 */
import fc from "fast-check";

type Json = Record<string, unknown>;

/** A request that uses every checked field correctly (the mock provider answers it with 200). */
export function validRequest(): Json {
  return {
    model: "chat",
    messages: [
      { role: "system", content: "be brief", name: "sys" },
      { role: "user", content: [{ type: "text", text: "hi" }, { type: "image_url", image_url: { url: "https://example.com/a.png" } }] },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "call_1", content: "42" },
      { role: "user", content: "go on" },
    ],
    stream: false,
    stream_options: { include_usage: true },
    max_tokens: 16,
    max_completion_tokens: 16,
    n: 1,
    temperature: 1,
    top_p: 1,
    presence_penalty: 0,
    frequency_penalty: 0,
    user: "u-1",
    parallel_tool_calls: true,
    logprobs: false,
    seed: 7,
    stop: ["\n\n"],
    metadata: { k: "v" },
    response_format: { type: "text" },
    tools: [{ type: "function", function: { name: "f", description: "d", parameters: { type: "object" }, strict: false } }],
    tool_choice: "auto",
  };
}

/** One checked field: where it is, and values that are wrong there. */
export interface FieldCase {
  /** The JSON path the 400 must name in `param`. */
  param: string;
  /** Puts `value` at the field (some cases set a surrounding object too). */
  set(req: Json, value: unknown): void;
  wrong: fc.Arbitrary<unknown>;
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isNull = (v: unknown) => v === null;
const isString = (v: unknown) => typeof v === "string";
const isBool = (v: unknown) => typeof v === "boolean";
const positiveInt = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 1;
const between = (min: number, max: number) => (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= min && v <= max;
const or =
  (...ps: ((v: unknown) => boolean)[]) =>
  (v: unknown) =>
    ps.some((p) => p(v));

/** Any JSON value (shallow), strings biased towards the words the validator knows. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom("", "user", "assistant", "tool", "function", "text", "none", "auto", "required", "true", "1", "null", "{}", "[]"),
  fc.constantFrom(0, -1, 1.5, 2.5, 3, -3, 1e21, -0, true, false, null, [], {}, [null], { type: "function" }),
);

/** JSON values for which `valid` is false (checked after a JSON round trip, as the server sees them). */
function wrong(valid: (v: unknown) => boolean): fc.Arbitrary<unknown> {
  return anyJson.filter((v) => !valid(JSON.parse(JSON.stringify(v)) as unknown));
}

/** `req` at a path like `messages.1.content.0`; creates nothing. */
function at(req: Json, path: (string | number)[]): Json {
  let cur: unknown = req;
  for (const k of path) cur = (cur as Record<string | number, unknown>)[k];
  return cur as Json;
}

/** A case for the field `key` of the object at `path`. */
function field(param: string, path: (string | number)[], key: string, valid: (v: unknown) => boolean): FieldCase {
  return { param, set: (req, v) => void (at(req, path)[key] = v), wrong: wrong(valid) };
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

/** Every checked field of the chat request, top to bottom. */
export const FIELDS: readonly FieldCase[] = [
  field("model", [], "model", (v) => typeof v === "string" && v.length > 0),
  // a non-empty array is checked element by element (a wrong element is named by its own path)
  field("messages", [], "messages", (v) => Array.isArray(v) && v.length > 0),
  { param: "messages[0]", set: (req, v) => void ((req.messages as unknown[])[0] = v), wrong: wrong(isObject) },
  field("messages[0].role", ["messages", 0], "role", (v) => typeof v === "string" && ROLES.has(v)),
  field("messages[0].content", ["messages", 0], "content", or(isString, Array.isArray)),
  field("messages[0].name", ["messages", 0], "name", isString),
  field("messages[1].content[0]", ["messages", 1, "content"], "0", isObject),
  field("messages[1].content[0].type", ["messages", 1, "content", 0], "type", isString),
  field("messages[1].content[0].text", ["messages", 1, "content", 0], "text", isString),
  field("messages[1].content[1].image_url", ["messages", 1, "content", 1], "image_url", isObject),
  field("messages[1].content[1].image_url.url", ["messages", 1, "content", 1, "image_url"], "url", isString),
  field("messages[2].tool_calls", ["messages", 2], "tool_calls", or(isNull, Array.isArray)),
  field("messages[2].tool_calls[0]", ["messages", 2, "tool_calls"], "0", isObject),
  field("messages[2].tool_calls[0].id", ["messages", 2, "tool_calls", 0], "id", isString),
  field("messages[2].tool_calls[0].type", ["messages", 2, "tool_calls", 0], "type", (v) => v === "function"),
  field("messages[2].tool_calls[0].function", ["messages", 2, "tool_calls", 0], "function", isObject),
  field("messages[2].tool_calls[0].function.name", ["messages", 2, "tool_calls", 0, "function"], "name", isString),
  field("messages[2].tool_calls[0].function.arguments", ["messages", 2, "tool_calls", 0, "function"], "arguments", isString),
  field("messages[3].tool_call_id", ["messages", 3], "tool_call_id", isString),
  field("stream", [], "stream", or(isNull, isBool)),
  field("stream_options", [], "stream_options", or(isNull, isObject)),
  field("stream_options.include_usage", ["stream_options"], "include_usage", or(isNull, isBool)),
  field("max_tokens", [], "max_tokens", or(isNull, positiveInt)),
  field("max_completion_tokens", [], "max_completion_tokens", or(isNull, positiveInt)),
  field("n", [], "n", or(isNull, positiveInt)),
  field("temperature", [], "temperature", or(isNull, between(0, 2))),
  field("top_p", [], "top_p", or(isNull, between(0, 1))),
  field("presence_penalty", [], "presence_penalty", or(isNull, between(-2, 2))),
  field("frequency_penalty", [], "frequency_penalty", or(isNull, between(-2, 2))),
  field("user", [], "user", or(isNull, isString)),
  field("parallel_tool_calls", [], "parallel_tool_calls", or(isNull, isBool)),
  field("logprobs", [], "logprobs", or(isNull, isBool)),
  field("seed", [], "seed", or(isNull, (v) => Number.isInteger(v))),
  field("stop", [], "stop", or(isNull, isString, Array.isArray)),
  field("stop[0]", ["stop"], "0", isString),
  field("metadata", [], "metadata", or(isNull, isObject)),
  field("metadata.k", ["metadata"], "k", isString),
  field("response_format", [], "response_format", or(isNull, isObject)),
  field("response_format.type", ["response_format"], "type", isString),
  field("tools", [], "tools", or(isNull, Array.isArray)),
  field("tools[0]", ["tools"], "0", isObject),
  field("tools[0].type", ["tools", 0], "type", (v) => v === "function"),
  field("tools[0].function", ["tools", 0], "function", isObject),
  field("tools[0].function.name", ["tools", 0, "function"], "name", (v) => typeof v === "string" && v.length > 0),
  field("tools[0].function.description", ["tools", 0, "function"], "description", isString),
  field("tools[0].function.parameters", ["tools", 0, "function"], "parameters", isObject),
  field("tools[0].function.strict", ["tools", 0, "function"], "strict", or(isNull, isBool)),
  field("tool_choice", [], "tool_choice", or(isNull, isObject, (v) => v === "none" || v === "auto" || v === "required")),
  {
    param: "tool_choice.type",
    set: (req, v) => void (req.tool_choice = { type: v, function: { name: "f" } }),
    wrong: wrong((v) => v === "function"),
  },
  {
    param: "tool_choice.function.name",
    set: (req, v) => void (req.tool_choice = { type: "function", function: { name: v } }),
    wrong: wrong(isString),
  },
];

/** A valid request with one field made wrong, and the `param` the 400 must name. */
export const mutatedRequest: fc.Arbitrary<{ body: Json; param: string; value: unknown }> = fc
  .constantFrom(...FIELDS)
  .chain((f) => f.wrong.map((value) => ({ f, value })))
  .map(({ f, value }) => {
    const body = validRequest();
    f.set(body, value);
    return { body, param: f.param, value };
  });
