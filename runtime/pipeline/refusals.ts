/**
 * The pipeline's answers when budgets, limits or their store say no: the
 * 429s (a budget's names it and when it resets; a limit's carries
 * `Retry-After` and OpenAI's `x-ratelimit-*` headers), the headers of an
 * admitted request (budget warnings, the tightest limits), and the 503 when
 * the store cannot be reached. Budgets (runtime/budget) return data; this
 * file turns it into what the caller sees.
 */
import type { RejectedDecision } from "../engine/index.js";
import type { Admission, Counted, BudgetLog } from "../budget/admission.js";
import type { Counters } from "../budget/counters.js";
import { budgetKey, limitKey } from "../state/keys.js";
import type { CheckResult } from "../state/store.js";
import { GatewayError } from "./errors.js";
import type { HeaderList } from "./headers.js";

type Header = readonly [string, string];

/** A 429 from a budget or limit that says which refused, for the access log and metrics. */
export class RefusalError extends GatewayError {
  constructor(
    code: "rate_limited" | "budget_exceeded",
    message: string,
    headers: Header[],
    readonly by: { readonly kind: "budget" | "limit"; readonly name: string },
  ) {
    super(code, message, { headers });
  }
}

/** The 429 of a decision `decide` rejected on the counters it read (`counters`: empty when none were read). */
export function rejectedError(d: RejectedDecision, counters: Counters, now: number): RefusalError {
  const r = d.reason;
  if (r.kind === "budget") return budgetError(d.message, r.budget, counters.get(budgetKey(r.budget, r.scopeKey))?.resetAt, now);
  const charge = d.limits.find((l) => l.limit === r.limit)!;
  const node = charge.node;
  const headers: Header[] = [];
  let resetAt = now;
  if (r.measure === "concurrent") return new RefusalError("rate_limited", `${d.message}; retry after 1s`, [["retry-after", "1"]], { kind: "limit", name: r.limit });
  for (const m of ["requests", "tokens"] as const) {
    const spec = node[m];
    const c = counters.get(limitKey(r.limit, m, r.scopeKey));
    if (spec === undefined || c === undefined) continue;
    if (m === r.measure) resetAt = c.resetAt;
    const cap = (m === "requests" ? charge.requestsCap : charge.tokensCap) ?? spec.count;
    headers.push(...rateLimitHeaders(m, { limit: cap, remaining: cap - c.spent, resetAt: c.resetAt }, now));
  }
  headers.unshift(retryAfter(resetAt, now));
  return new RefusalError("rate_limited", `${d.message}; retry after ${resetText(resetAt - now)}`, headers, { kind: "limit", name: r.limit });
}

/** The 429 of a limit that refused at admission, with the headers of that limit's counters. */
export function limitError(refused: NonNullable<Extract<Admission, { admitted: false }>["limit"]>, now: number): RefusalError {
  const { slot, result } = refused.refused;
  const key = slot.check.key.split(":").slice(3).join(":");
  if (slot.kind === "concurrent") {
    // A slot frees when a request in flight ends, not at a window's reset: retry soon.
    const message = `rate limit \`${slot.name}\` has ${result.reserved} of ${result.limit} requests in flight for \`${key}\`; retry after 1s`;
    return new RefusalError("rate_limited", message, [["retry-after", "1"]], { kind: "limit", name: slot.name });
  }
  const headers: Header[] = [retryAfter(result.resetAt, now)];
  for (const c of refused.slots) if (c.slot.kind === "requests" || c.slot.kind === "tokens") headers.push(...rateLimitHeaders(c.slot.kind, c.result, now));
  const message = `rate limit \`${slot.name}\` is used up for \`${key}\` (${result.spent} of ${result.limit} ${slot.kind}); retry after ${resetText(result.resetAt - now)}`;
  return new RefusalError("rate_limited", message, headers, { kind: "limit", name: slot.name });
}

/** The 429 of a budget; with `resetAt`, the message and `Retry-After` say when it resets. */
export function budgetError(message: string, budget: string, resetAt: number | undefined, now: number): RefusalError {
  const by = { kind: "budget", name: budget } as const;
  if (resetAt === undefined) return new RefusalError("budget_exceeded", message, [], by);
  return new RefusalError("budget_exceeded", `${message}; it resets at ${new Date(resetAt).toISOString()}`, [retryAfter(resetAt, now)], by);
}

/** An admitted request's headers: a warning per budget in its warn zone, then per kind the limit closest to running out. */
export function admittedHeaders(counted: readonly Counted[], warnings: Extract<Admission, { admitted: true }>["warnings"], now: number): HeaderList {
  const headers: HeaderList = warnings.map((w) => ["x-aigw-budget-warning", `${w.budget}; ${w.percent}%`] as const);
  // What a client pacing itself on OpenAI's headers needs.
  const tightest: Partial<Record<"requests" | "tokens", CheckResult>> = {};
  for (const { slot, result } of counted) {
    if (slot.kind === "budget" || slot.kind === "concurrent") continue;
    const t = tightest[slot.kind];
    if (t === undefined || result.remaining < t.remaining) tightest[slot.kind] = result;
  }
  for (const kind of ["requests", "tokens"] as const) {
    const r = tightest[kind];
    if (r !== undefined) headers.push(...rateLimitHeaders(kind, r, now));
  }
  return headers;
}

/**
 * A state-store call made before the request is sent; a store that fails
 * (Redis gone, a locked or broken SQLite file) makes the request a 503
 * `state_unavailable` with `Retry-After: 1`: no budget or limit can be
 * checked, so nothing is sent (fail closed). The cause goes to the log,
 * never to the caller.
 */
export function unlessUnavailable<T>(pending: Promise<T>, log: BudgetLog | undefined): Promise<T> {
  return pending.catch((err: unknown) => {
    log?.warn("state store unavailable: request refused", { error: err instanceof Error ? err.message : String(err) });
    throw new GatewayError("state_unavailable", "the store of budgets and rate limits is unavailable, so the request was not sent; retry shortly", {
      headers: [["retry-after", "1"]],
    });
  });
}

/** OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` for one limit's counter. */
function rateLimitHeaders(kind: "requests" | "tokens", r: Pick<CheckResult, "limit" | "remaining" | "resetAt">, now: number): Header[] {
  return [
    [`x-ratelimit-limit-${kind}`, String(r.limit)],
    [`x-ratelimit-remaining-${kind}`, String(Math.max(0, r.remaining))],
    [`x-ratelimit-reset-${kind}`, resetText(r.resetAt - now)],
  ];
}

/** `Retry-After` in whole seconds, at least 1. */
function retryAfter(resetAt: number, now: number): Header {
  return ["retry-after", String(Math.max(1, Math.ceil((resetAt - now) / 1000)))];
}

/** OpenAI's reset format: `1s`, `6m0s`, `1h2m3s`. */
export function resetText(ms: number): string {
  let s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}
