/**
 * bench/soak/classify: what a response was, as one class name. The expected
 * classes are the outcomes a healthy gateway gives the soak's traffic (which
 * kind may end in which is bench/soak/traffic.ts's business); anything else
 * gets a descriptive class of its own (`http_500:internal_error`,
 * `truncated_stream`, `connection_error:UND_ERR_SOCKET`, `hang` …) and is
 * unexpected wherever it appears.
 *
 * Pure: the client (bench/soak/client.ts) hands over what it received.
 */

/** The outcomes the mix is built to produce. */
export const EXPECTED_CLASSES = [
  "ok",
  "downgraded",
  "stream_error",
  "blocked",
  "invalid_json",
  "model_not_found",
  "unauthorized",
  "budget_exceeded",
  "rate_limited",
  "upstream_429",
  "upstream_error",
  "upstream_timeout",
  "aborted",
] as const;

export type ExpectedClass = (typeof EXPECTED_CLASSES)[number];

/** A class, and for an odd one a short detail for the report. */
export interface Classified {
  cls: string;
  detail?: string;
  /** The reply's assistant text (JSON or the stream's deltas joined), when there was one. */
  text?: string;
}

/** What came back for one request. */
export interface Received {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The request asked for a stream. */
  stream: boolean;
  /** The model that answered (`x-aigw-target`). */
  target?: string;
}

/** The error codes of runtime/pipeline/errors.ts that the mix provokes on purpose, by class. */
const BY_CODE: Record<string, ExpectedClass> = {
  blocked_by_guardrail: "blocked",
  invalid_json: "invalid_json",
  model_not_found: "model_not_found",
  invalid_api_key: "unauthorized",
  budget_exceeded: "budget_exceeded",
  upstream_error: "upstream_error",
  upstream_timeout: "upstream_timeout",
};

/** Classifies a response; `downgradeTo` is the model whose answers count as downgrades. */
export function classify(r: Received, downgradeTo: string): Classified {
  if (r.status === 200) {
    const isSse = String(r.headers["content-type"] ?? "").startsWith("text/event-stream");
    if (r.stream !== isSse) return { cls: "bad_body", detail: `stream ${r.stream} but content-type ${String(r.headers["content-type"])}` };
    const done = r.stream ? classifyStream(r.body) : classifyCompletion(r.body);
    if (done.cls === "ok" && r.target === downgradeTo) return { ...done, cls: "downgraded" };
    return done;
  }
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = (JSON.parse(r.body) as { error?: typeof error }).error;
  } catch {
    return { cls: `http_${r.status}:not_json`, detail: r.body.slice(0, 200) };
  }
  const code = typeof error?.code === "string" ? error.code : "none";
  const message = typeof error?.message === "string" ? error.message : "";
  if (r.status === 429 && code === "rate_limited") {
    // A limit's refusal names the limit; an upstream 429 passed on names the tries.
    const cls = message.startsWith("rate limit `") ? "rate_limited" : "upstream_429";
    if (cls === "rate_limited" && r.headers["retry-after"] === undefined) return { cls: "missing_retry_after", detail: message };
    return { cls };
  }
  const cls = BY_CODE[code];
  if (cls !== undefined && statusOf(cls) === r.status) return { cls, detail: message };
  return { cls: `http_${r.status}:${code}`, detail: message.slice(0, 300) };
}

function statusOf(cls: ExpectedClass): number {
  switch (cls) {
    case "blocked":
    case "invalid_json":
      return 400;
    case "unauthorized":
      return 401;
    case "model_not_found":
      return 404;
    case "budget_exceeded":
    case "rate_limited":
    case "upstream_429":
      return 429;
    case "upstream_error":
      return 502;
    case "upstream_timeout":
      return 504;
    default:
      return 200;
  }
}

/** A JSON completion: `ok` when it has choices. */
export function classifyCompletion(body: string): Classified {
  try {
    const json = JSON.parse(body) as { choices?: { message?: { content?: unknown } }[] };
    if (!Array.isArray(json.choices) || json.choices.length === 0) return { cls: "bad_body", detail: body.slice(0, 200) };
    const content = json.choices[0]?.message?.content;
    return { cls: "ok", text: typeof content === "string" ? content : "" };
  } catch {
    return { cls: "bad_body", detail: `not JSON: ${body.slice(0, 200)}` };
  }
}

/**
 * An event stream: `ok` when every event is a JSON chunk and the last is
 * `[DONE]`; `stream_error` when it ends with an error event (the upstream
 * broke after the first chunk); `truncated_stream` when it just stops.
 */
export function classifyStream(body: string): Classified {
  const events = body.split("\n\n").filter((e) => e.trim() !== "");
  let text = "";
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (!e.startsWith("data: ")) return { cls: "bad_body", detail: `event ${i}: ${e.slice(0, 120)}` };
    const data = e.slice(6);
    const last = i === events.length - 1;
    if (data === "[DONE]") return last ? { cls: "ok", text } : { cls: "bad_body", detail: "events after [DONE]" };
    let chunk: { error?: unknown; choices?: { delta?: { content?: unknown } }[] };
    try {
      chunk = JSON.parse(data) as typeof chunk;
    } catch {
      return { cls: "bad_body", detail: `event ${i} is not JSON: ${data.slice(0, 120)}` };
    }
    if (chunk.error !== undefined) return last ? { cls: "stream_error", text } : { cls: "bad_body", detail: "events after an error event" };
    if (!Array.isArray(chunk.choices)) return { cls: "bad_body", detail: `event ${i} has no choices` };
    const c = chunk.choices[0]?.delta?.content;
    if (typeof c === "string") text += c;
  }
  return { cls: "truncated_stream", detail: `${events.length} events, no [DONE] and no error event` };
}
