/**
 * The headers that say what was decided, on every response to a chat
 * request: `x-aigw-route`, `x-aigw-target`, `x-aigw-attempts`
 * (`gpt-4o:429,sonnet:200`: every try in order with its outcome),
 * `x-aigw-policy` and `x-request-id`; `x-aigw-skipped` (`gpt-35:no-images`,
 * `gpt-4o:ejected`) when targets that cannot take the request were left out
 * or the route's health policy moved ejected targets to the end;
 * `x-aigw-shaped` (`max_tokens,temperature`) when the route's shaping
 * changed parameters of the request sent.
 */
import type { AttemptRecord, SkippedTarget, UnfitTarget } from "../engine/index.js";

export type HeaderList = Array<readonly [string, string]>;

/** `model:status` per try; a timeout or a connection failure is named instead of a status. */
export function attemptsHeader(history: readonly AttemptRecord[]): string {
  let out = "";
  for (let i = 0; i < history.length; i++) {
    const h = history[i]!;
    out += (i === 0 ? "" : ",") + h.model + ":" + (h.cause === "ok" ? "200" : String(h.cause));
  }
  return out;
}

/**
 * `gpt-35:no-images` per target that cannot take the request (each lack,
 * joined by `+`: `mini:no-context+no-tools`), then `gpt-4o:ejected` per
 * target the health policy skipped (`:probing` while another request probes it).
 */
export function skippedHeader(skipped: readonly SkippedTarget[] | undefined, unfit: readonly UnfitTarget[] | undefined): string {
  const parts: string[] = [];
  for (const u of unfit ?? []) parts.push(`${u.model}:${u.lacks.map((l) => `no-${l.replace("_", "-")}`).join("+")}`);
  for (const s of skipped ?? []) parts.push(`${s.model}:${s.state.probing ? "probing" : "ejected"}`);
  return parts.join(",");
}

/** What a reply says about the decision so far. */
export interface DecisionHeaders {
  requestId: string;
  policy: string;
  route?: string;
  target?: string;
  attempts?: readonly AttemptRecord[];
  /** Targets the health policy moved to the end of the plan. */
  skipped?: readonly SkippedTarget[];
  /** Targets that cannot take the request. */
  unfit?: readonly UnfitTarget[];
  /** Parameters the route's shaping changed (`max_tokens`, `temperature`). */
  shaped?: readonly string[];
}

/** The decision headers, in a fixed order; absent parts are left out. */
export function decisionHeaders(d: DecisionHeaders): HeaderList {
  const h: HeaderList = [
    ["x-request-id", d.requestId],
    ["x-aigw-policy", d.policy],
  ];
  if (d.route !== undefined) h.push(["x-aigw-route", d.route]);
  if (d.target !== undefined) h.push(["x-aigw-target", d.target]);
  if (d.attempts !== undefined && d.attempts.length > 0) h.push(["x-aigw-attempts", attemptsHeader(d.attempts)]);
  if (d.skipped !== undefined || d.unfit !== undefined) h.push(["x-aigw-skipped", skippedHeader(d.skipped, d.unfit)]);
  if (d.shaped !== undefined) h.push(["x-aigw-shaped", d.shaped.join(",")]);
  return h;
}
