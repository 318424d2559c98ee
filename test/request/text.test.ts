/**
 * The canonical extractor (runtime/request/text.ts) and its write-back:
 * every content shape a request can take, generated and decoded as the
 * gateway decodes it, puts each text the model reads in the list, and
 * writing the texts back changed puts them exactly where they were (in the
 * body the request encodes to), leaving the rest as it was.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeChat, decodeChatMessage, encodeChat, messagesTexts, requestTexts as textsOf, withRequestTexts, type CanonicalRequest } from "../../runtime/request/index.js";
import type { ChatCompletionRequest, ChatMessage } from "../../runtime/request/openai-wire.js";

const decode = (body: object): CanonicalRequest => decodeChat({ model: "m", ...body } as ChatCompletionRequest);
const requestTexts = (body: object): string[] => textsOf(decode(body));

/** A text the generator plants: unique, so the test can find where it went. */
let seq = 0;
const mark = () => fc.constant(null).map(() => `T${seq++}x`);

const part = fc.oneof(
  mark().map((text) => ({ part: { type: "text", text }, texts: [text] })),
  fc.constant({ part: { type: "image_url", image_url: { url: "data:image/png;base64,AA==" } }, texts: [] as string[] }),
  fc.constant({ part: { type: "input_audio", input_audio: { data: "AA==", format: "wav" } }, texts: [] as string[] }),
  mark().map((filename) => ({ part: { type: "file", file: { file_data: "data:application/pdf;base64,AA==", filename } }, texts: [filename] })),
);

const content = fc.oneof(
  mark().map((s) => ({ content: s as unknown, texts: [s] })),
  fc.array(part, { maxLength: 4 }).map((ps) => ({ content: ps.map((p) => p.part) as unknown, texts: ps.flatMap((p) => p.texts) })),
);

/** A JSON value with planted strings and keys, and those texts in document order. */
const json: fc.Arbitrary<{ value: unknown; texts: string[] }> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    mark().map((s) => ({ value: s as unknown, texts: [s] })),
    fc.integer().map((n) => ({ value: n as unknown, texts: [] as string[] })),
    fc.array(tie("node") as fc.Arbitrary<{ value: unknown; texts: string[] }>, { maxLength: 3 }).map((xs) => ({ value: xs.map((x) => x.value) as unknown, texts: xs.flatMap((x) => x.texts) })),
    fc.array(fc.tuple(mark(), tie("node") as fc.Arbitrary<{ value: unknown; texts: string[] }>), { maxLength: 3 }).map((kv) => ({
      value: Object.fromEntries(kv.map(([k, v]) => [k, v.value])) as unknown,
      texts: kv.flatMap(([k, v]) => [k, ...v.texts]),
    })),
  ),
})).node;

const objectJson = fc.array(fc.tuple(mark(), json), { maxLength: 3 }).map((kv) => ({
  value: Object.fromEntries(kv.map(([k, v]) => [k, v.value])),
  texts: kv.flatMap(([k, v]) => [k, ...v.texts]),
}));

const message = fc.oneof(
  fc.tuple(fc.constantFrom("system", "developer", "user"), content, fc.option(mark(), { nil: undefined })).map(([role, c, name]) => ({
    message: { role, content: c.content, ...(name === undefined ? {} : { name }) } as Record<string, unknown>,
    texts: [...(name === undefined ? [] : [name]), ...c.texts],
  })),
  fc.tuple(fc.option(mark(), { nil: undefined }), fc.array(fc.tuple(mark(), objectJson), { maxLength: 2 }), fc.option(mark(), { nil: undefined })).map(([text, calls, refusal]) => ({
    message: {
      role: "assistant",
      content: text ?? null,
      ...(refusal === undefined ? {} : { refusal }),
      tool_calls: calls.map(([name, args], i) => ({ id: `c${i}`, type: "function", function: { name, arguments: JSON.stringify(args.value) } })),
    } as Record<string, unknown>,
    texts: [...(text === undefined ? [] : [text]), ...(refusal === undefined ? [] : [refusal]), ...calls.flatMap(([name, args]) => [name, ...args.texts])],
  })),
  fc.tuple(mark(), mark()).map(([refusal, text]) => ({
    message: { role: "assistant", content: [{ type: "text", text }, { type: "refusal", refusal }] } as Record<string, unknown>,
    texts: [text, refusal],
  })),
  content.map((c) => ({ message: { role: "tool", tool_call_id: "c0", content: c.content } as Record<string, unknown>, texts: c.texts })),
);

const tool = fc.tuple(mark(), fc.option(mark(), { nil: undefined }), objectJson).map(([name, description, params]) => ({
  tool: { type: "function", function: { name, ...(description === undefined ? {} : { description }), parameters: params.value } },
  texts: [name, ...(description === undefined ? [] : [description]), ...params.texts],
}));

const request = fc.tuple(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(tool, { maxLength: 2 })).map(([ms, ts]) => ({
  body: { model: "m", messages: ms.map((m) => m.message), ...(ts.length > 0 ? { tools: ts.map((t) => t.tool) } : {}) },
  texts: [...ms.flatMap((m) => m.texts), ...ts.flatMap((t) => t.texts)],
}));

describe("requestTexts", () => {
  it("lists every text of every content shape, in reading order, and nothing else", () => {
    fc.assert(
      fc.property(request, ({ body, texts }) => {
        expect(requestTexts(body)).toEqual(texts);
      }),
    );
  });

  it("writes changed texts back where they were, in a copy, keeping tool-call arguments valid JSON", () => {
    fc.assert(
      fc.property(request, ({ body }) => {
        const req = decode(body);
        const before = JSON.stringify(req);
        const located = textsOf(req);
        const changed = located.map((t) => `<${t}>`);
        const out = withRequestTexts(req, changed);
        expect(JSON.stringify(req)).toBe(before);
        expect(textsOf(out)).toEqual(changed);
        // The encoded body carries them where they were: decoding it again reads the changed texts.
        expect(requestTexts(JSON.parse(JSON.stringify(encodeChat(out))))).toEqual(changed);
        // Nothing but the texts changed: planting the originals again encodes to the original body.
        expect(encodeChat(withRequestTexts(out, located))).toEqual(body);
      }),
    );
  });

  it("returns the very same body when no text changed", () => {
    fc.assert(
      fc.property(request, ({ body }) => {
        const req = decode(body);
        expect(withRequestTexts(req, textsOf(req))).toBe(req);
      }),
    );
  });

  it("reads the legacy function_call, functions, a response schema and raw non-JSON arguments", () => {
    const body = {
      messages: [
        { role: "assistant", content: null, function_call: { name: "f", arguments: '{"a":"b"}' } },
        { role: "assistant", content: null, tool_calls: [{ id: "1", type: "function", function: { name: "g", arguments: "not json" } }] },
      ],
      functions: [{ name: "h", description: "d", parameters: { type: "object" } }],
      response_format: { type: "json_schema", json_schema: { name: "r", description: "rd", schema: { title: "t" } } },
    };
    expect(requestTexts(body).join("\n")).toBe(["f", "a", "b", "g", "not json", "h", "d", "type", "object", "r", "rd", "title", "t"].join("\n"));
  });

  it("keeps a `__proto__` key a key when writing back", () => {
    const args = '{"__proto__":{"x":"secret"}}';
    const req = decode({ messages: [{ role: "assistant", content: null, tool_calls: [{ id: "1", type: "function", function: { name: "f", arguments: args } }] }] });
    const out = encodeChat(withRequestTexts(req, textsOf(req).map((t) => (t === "secret" ? "[X]" : t))));
    expect((out.messages[0] as { tool_calls: { function: { arguments: string } }[] }).tool_calls[0]!.function.arguments).toBe('{"__proto__":{"x":"[X]"}}');
  });

  it("reads tool-call arguments nesting deeper than a body may as one raw text (no stack overflow, no depth × texts walk)", () => {
    const deep = "[".repeat(100_000) + '"s",'.repeat(1000) + '"s"' + "]".repeat(100_000);
    const body = { messages: [{ role: "assistant", content: null, tool_calls: [{ id: "1", type: "function", function: { name: "f", arguments: deep } }] }] };
    expect(requestTexts(body)).toEqual(["f", deep]);
  });
});

describe("the texts of a completion's messages", () => {
  it("reads each choice's content, refusal and tool calls", () => {
    const completion = {
      choices: [
        { index: 0, message: { role: "assistant", content: "hi", refusal: null, tool_calls: [{ id: "1", type: "function", function: { name: "f", arguments: '{"to":"x"}' } }] } },
        { index: 1, message: { role: "assistant", content: null, refusal: "no" } },
      ],
    };
    expect(messagesTexts(completion.choices.map((c) => decodeChatMessage(c.message as ChatMessage)))).toEqual(["hi", "f", "to", "x", "no"]);
  });
});
