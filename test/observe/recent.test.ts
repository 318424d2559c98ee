/**
 * The recent-requests ring behind `GET /admin/requests`: a looked-up entry
 * is the access-log entry of that request without bodies — the same as
 * `requestEntry` builds from the request itself, even after the slot's
 * arrays have been reused by later requests — the oldest request leaves
 * once the ring is full, and the latest ids come newest first. The ring
 * keeps no part of the canonical request (the prompt).
 */
import { describe, expect, it } from "vitest";
import { RecentRequests, requestEntry, type RequestView } from "../../runtime/observe/index.js";
import { finished } from "../usage/finished.js";

const fell = (id: string) =>
  finished(
    {
      requestId: id,
      attempts: [
        { model: "mini", cause: 503, retry: 0 },
        { model: "big", cause: "ok", retry: 0 },
      ] as RequestView["attempts"],
      tries: [
        { startMs: 10, ms: 4.5, error: "AIGW_UPSTREAM_STATUS" },
        { startMs: 15, ms: 20 },
      ],
      target: "big",
      redacted: [{ guardrail: "pii", rule: 0, by: "email", count: 2 }],
      flagged: [{ guardrail: "watch", rule: 1, by: "deny", count: 1 }],
      request: { api: "openai.chat", messages: [{ role: "user", content: "the prompt jane@example.com" }] } as unknown as RequestView["request"],
    },
    { usage: { promptTokens: 11, completionTokens: 7 }, cost: 0.00032 },
  );

describe("the recent requests", () => {
  it("answers a request's entry as requestEntry builds it, after its slot's arrays were reused", () => {
    const ring = new RecentRequests(3);
    const f = fell("req_a");
    ring.record(f);
    const before = ring.get("req_a");
    expect(before).toEqual(requestEntry(f));
    expect(before!.attempts!.map((a) => [a.target, a.status, a.error])).toEqual([
      ["mini", 503, "status"],
      ["big", 200, undefined],
    ]);
    expect(JSON.stringify(before)).not.toContain("the prompt");
    ring.record(finished({ requestId: "req_b" }));
    ring.record(finished({ requestId: "req_c" }));
    expect(ring.get("req_a")).toEqual(requestEntry(f));
  });

  it("lets the oldest go when full and lists the latest newest first", () => {
    const ring = new RecentRequests(3);
    for (const id of ["r1", "r2", "r3", "r4"]) ring.record(fell(id));
    expect(ring.get("r1")).toBeUndefined();
    expect(ring.get("r2")?.requestId).toBe("r2");
    expect(ring.get("r4")?.attempts).toHaveLength(2);
    expect(ring.latest(10)).toEqual(["r4", "r3", "r2"]);
    expect(ring.latest(2)).toEqual(["r4", "r3"]);
    expect(new RecentRequests(5).latest(3)).toEqual([]);
  });
});
