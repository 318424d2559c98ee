/**
 * A Responses event stream read as chat completion chunks, one event at a
 * time, for a streaming Responses request passed through to an upstream
 * that serves that API (openai-responses.ts, which relays the events
 * themselves to the caller). The chunks are what the gateway reads of the
 * stream: text and tool-call deltas, the finish reason, and the usage of
 * `response.completed` (or `response.incomplete`), which settles budgets.
 * `response.failed` and `error` events are failures
 * ({@link ResponsesStreamError}); every other event makes no chunk. Pure.
 */
import type { ChatCompletionChunk, ChunkDelta, WireUsage } from "../request/openai-wire.js";
import { chatUsageOf, finishOf } from "./responses-translate.js";

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An `error` or `response.failed` event: the upstream's error code and message. */
export class ResponsesStreamError extends Error {
  constructor(
    readonly errorCode: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const TERMINAL = new Set(["response.completed", "response.incomplete"]);

export class ResponsesStreamTranslator {
  #id = "";
  #model: string;
  #created: number;
  /** Tool call index (chat's) by the output index of its `function_call` item. */
  readonly #calls = new Map<number, number>();
  #usage: WireUsage | undefined;
  #done = false;

  constructor(createdSec: number, model: string) {
    this.#created = createdSec;
    this.#model = model;
  }

  /** A terminal event has been seen. */
  get done(): boolean {
    return this.#done;
  }

  /** The usage of the terminal event, once seen. */
  get usage(): WireUsage | undefined {
    return this.#usage;
  }

  /** The chunks one event (its parsed `data`) makes. */
  push(event: Json): ChatCompletionChunk[] {
    const type = event["type"];
    switch (type) {
      case "response.created": {
        const r = isObject(event["response"]) ? event["response"] : {};
        if (typeof r["id"] === "string") this.#id = r["id"];
        if (typeof r["model"] === "string") this.#model = r["model"];
        if (typeof r["created_at"] === "number") this.#created = r["created_at"];
        return [this.#chunk({ role: "assistant", content: "" })];
      }
      case "response.output_text.delta":
        return typeof event["delta"] === "string" ? [this.#chunk({ content: event["delta"] })] : [];
      case "response.refusal.delta":
        return typeof event["delta"] === "string" ? [this.#chunk({ refusal: event["delta"] })] : [];
      case "response.output_item.added": {
        const item = isObject(event["item"]) ? event["item"] : {};
        if (item["type"] !== "function_call" || typeof event["output_index"] !== "number") return [];
        const index = this.#calls.size;
        this.#calls.set(event["output_index"], index);
        const id = typeof item["call_id"] === "string" ? item["call_id"] : "";
        const name = typeof item["name"] === "string" ? item["name"] : "";
        const args = typeof item["arguments"] === "string" ? item["arguments"] : "";
        return [this.#chunk({ tool_calls: [{ index, id, type: "function", function: { name, arguments: args } }] })];
      }
      case "response.function_call_arguments.delta": {
        const index = typeof event["output_index"] === "number" ? this.#calls.get(event["output_index"]) : undefined;
        if (index === undefined || typeof event["delta"] !== "string") return [];
        return [this.#chunk({ tool_calls: [{ index, function: { arguments: event["delta"] } }] })];
      }
      case "response.failed": {
        const r = isObject(event["response"]) ? event["response"] : {};
        const e = isObject(r["error"]) ? r["error"] : {};
        throw new ResponsesStreamError(typeof e["code"] === "string" ? e["code"] : undefined, typeof e["message"] === "string" ? e["message"] : "the response failed");
      }
      case "error":
        throw new ResponsesStreamError(typeof event["code"] === "string" ? event["code"] : undefined, typeof event["message"] === "string" ? event["message"] : "error event");
      default:
        return typeof type === "string" && TERMINAL.has(type) ? this.#end(event) : [];
    }
  }

  /** The finish chunk and, when the response reported it, the usage chunk. */
  #end(event: Json): ChatCompletionChunk[] {
    this.#done = true;
    const r = isObject(event["response"]) ? event["response"] : {};
    this.#usage = chatUsageOf(r["usage"]);
    const finish = this.#chunk({});
    finish.choices[0]!.finish_reason = finishOf(r, this.#calls.size > 0);
    if (this.#usage === undefined) return [finish];
    return [finish, { id: this.#id, object: "chat.completion.chunk", created: this.#created, model: this.#model, choices: [], usage: this.#usage }];
  }

  #chunk(delta: ChunkDelta): ChatCompletionChunk {
    return { id: this.#id, object: "chat.completion.chunk", created: this.#created, model: this.#model, choices: [{ index: 0, delta, finish_reason: null }] };
  }
}
