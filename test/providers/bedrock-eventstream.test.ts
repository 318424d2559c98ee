/**
 * AWS's binary event stream as the Bedrock adapter cuts and decodes it:
 * messages split at any byte, several in one chunk, exception and error
 * messages, and every way a body can break the framing (a length beyond
 * the limit claimed before anything is allocated, a bad CRC, a cut, a
 * payload that is not JSON).
 */
import { describe, expect, it } from "vitest";
import { EventStreamCodec } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { EventStreamFramingError, parseEventStream } from "../../runtime/providers/bedrock-eventstream.js";
import type { BedrockStreamEvent } from "../../runtime/providers/bedrock-wire.js";
import { eventFrame, exceptionFrame } from "../support/bedrock-upstream.js";

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function parse(bytes: Uint8Array, size: number): Promise<BedrockStreamEvent[]> {
  const out: BedrockStreamEvent[] = [];
  for await (const e of parseEventStream(pieces(bytes, size))) out.push(e);
  return out;
}

const three = Buffer.concat([
  eventFrame("messageStart", { role: "assistant" }),
  eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "héllo ✓" } }),
  exceptionFrame("throttlingException", "slow down"),
]);

describe("parseEventStream", () => {
  it.each([1, 3, 16, 37, 1 << 20])("decodes the same messages whatever the chunk size (%i bytes)", async (size) => {
    expect(await parse(three, size)).toEqual([
      { kind: "event", type: "messageStart", payload: expect.objectContaining({ role: "assistant" }) },
      { kind: "event", type: "contentBlockDelta", payload: expect.objectContaining({ delta: { text: "héllo ✓" } }) },
      { kind: "exception", type: "throttlingException", message: "slow down" },
    ]);
  });

  it("reads an `error` message's code and message from its headers", async () => {
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const frame = codec.encode({
      headers: { ":message-type": { type: "string", value: "error" }, ":error-code": { type: "string", value: "InternalFailure" }, ":error-message": { type: "string", value: "boom" } },
      body: new Uint8Array(0),
    });
    expect(await parse(frame, 7)).toEqual([{ kind: "exception", type: "InternalFailure", message: "boom" }]);
  });

  it("refuses a length beyond AWS's limit before waiting for it", async () => {
    const huge = Buffer.alloc(16);
    huge.writeUInt32BE(0xfffffff0, 0);
    await expect(parse(huge, 16)).rejects.toThrow(/claims 4294967280 bytes/);
  });

  it("refuses a bad CRC, a cut message, a non-JSON payload, an event without a type", async () => {
    const bad = Uint8Array.from(three);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    await expect(parse(bad, 64)).rejects.toBeInstanceOf(EventStreamFramingError);
    await expect(parse(three.subarray(0, three.length - 3), 64)).rejects.toThrow(/cut mid-message/);
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const notJson = codec.encode({ headers: { ":message-type": { type: "string", value: "event" }, ":event-type": { type: "string", value: "metadata" } }, body: fromUtf8("{nope") });
    await expect(parse(notJson, 64)).rejects.toThrow(/`metadata` message is not JSON/);
    const untyped = codec.encode({ headers: { ":message-type": { type: "string", value: "event" } }, body: fromUtf8("{}") });
    await expect(parse(untyped, 64)).rejects.toThrow(/without `:event-type`/);
  });

  it("passes a transport error through unchanged", async () => {
    const socket = Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" });
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield three.subarray(0, 20);
      throw socket;
    }
    const it = parseEventStream(failing());
    await expect(it.next()).rejects.toBe(socket);
  });
});
