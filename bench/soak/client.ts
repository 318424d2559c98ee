/**
 * bench/soak/client: sends one soak request to the gateway with undici and
 * says what happened: the class (bench/soak/classify.ts), the latency, and
 * when the headers came back with which `x-aigw-policy` (the reload check
 * needs both times). A request that has not finished `hangMs` after it was
 * sent is cut off and classed `hang`; one the kind aborts on purpose is
 * `aborted`; any other client-side failure is a `connection_error`.
 */
import type { Pool } from "undici";
import { classify } from "./classify.js";
import { DOWNGRADE_MODEL } from "./policy.js";
import type { SoakRequest } from "./traffic.js";

/** One finished request. */
export interface Outcome {
  readonly kind: string;
  readonly cls: string;
  readonly detail?: string;
  readonly status: number;
  /** `performance.now()` when it was sent, and when the headers arrived (undefined without a response). */
  readonly startedAt: number;
  readonly headersAt?: number;
  readonly ms: number;
  readonly policy?: string;
}

const PATH = "/v1/chat/completions";

/** Sends `req`; never rejects. */
export async function send(pool: Pool, req: SoakRequest, hangMs: number): Promise<Outcome> {
  const startedAt = performance.now();
  const ac = new AbortController();
  let why: "hang" | "aborted" | undefined;
  const hang = setTimeout(() => {
    why = "hang";
    ac.abort();
  }, hangMs);
  const leave =
    req.abortAfterMs === undefined
      ? undefined
      : setTimeout(() => {
          why ??= "aborted";
          ac.abort();
        }, req.abortAfterMs);
  let status = 0;
  let headersAt: number | undefined;
  let policy: string | undefined;
  try {
    const res = await pool.request({
      path: PATH,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${req.key}` },
      body: req.body,
      signal: ac.signal,
    });
    status = res.statusCode;
    headersAt = performance.now();
    const p = res.headers["x-aigw-policy"];
    policy = typeof p === "string" ? p : undefined;
    const body = await res.body.text();
    const target = res.headers["x-aigw-target"];
    const c = classify({ status, headers: res.headers, body, stream: req.stream, ...(typeof target === "string" ? { target } : {}) }, DOWNGRADE_MODEL);
    let cls = c.cls;
    let detail = c.detail;
    // The redaction must have reached the upstream: its reply says what it saw.
    if (c.text !== undefined && c.text.includes("LEAK")) [cls, detail] = ["pii_leak", "the upstream received the unredacted email address"];
    else if (req.expectText !== undefined && (cls === "ok" || cls === "downgraded") && !(c.text ?? "").includes(req.expectText)) {
      [cls, detail] = ["not_redacted", `reply text \`${(c.text ?? "").slice(0, 80)}\` lacks \`${req.expectText}\``];
    }
    return outcome(req, cls, detail, status, startedAt, headersAt, policy);
  } catch (err) {
    if (why !== undefined) return outcome(req, why, undefined, status, startedAt, headersAt, policy);
    const code = (err as { code?: unknown }).code;
    return outcome(req, `connection_error:${typeof code === "string" ? code : "unknown"}`, String(err).slice(0, 200), status, startedAt, headersAt, policy);
  } finally {
    clearTimeout(hang);
    if (leave !== undefined) clearTimeout(leave);
  }
}

function outcome(req: SoakRequest, cls: string, detail: string | undefined, status: number, startedAt: number, headersAt: number | undefined, policy: string | undefined): Outcome {
  const o: { -readonly [K in keyof Outcome]: Outcome[K] } = { kind: req.kind, cls, status, startedAt, ms: performance.now() - startedAt };
  if (detail !== undefined) o.detail = detail;
  if (headersAt !== undefined) o.headersAt = headersAt;
  if (policy !== undefined) o.policy = policy;
  return o;
}
