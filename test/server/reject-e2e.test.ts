/**
 * A route that rejects (`reject 403 "…"`, lang/SPEC.md §4.8) and routes
 * built from `defaults` blocks (§4.13), end to end: a real `aigw serve`, the
 * official OpenAI and Anthropic SDKs as clients, a fake OpenAI upstream on
 * 127.0.0.1 that counts what reaches it. A refusal is answered in each
 * caller's API error shape with the route's status and message, nothing is
 * sent upstream, and the access log and decision record say so; a route's
 * `defaults` are in its decision record.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { policyDir } from "../support/cli.js";
import { closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { startServe, stopServes, type ServeProcess } from "../budget/child/serve-process.js";

const INTERN = "sk-reject-interns-0001";
const STAFF = "sk-reject-staff-0002";

function policy(up: FakeUpstream): string {
  return `gateway { state memory }
keys {
  "${hashKey(INTERN)}" team "interns"
  "${hashKey(STAFF)}" team "staff"
}
provider up { api openai  base_url "${up.baseUrl}"  responses true }
model big = up/"big-up" { input $5/Mtok  output $15/Mtok }
model small = up/"small-up" { input $1/Mtok  output $2/Mtok }
guardrail pii { redact email }
defaults strict { guard pii  retry 1 }
route forbidden {
  when model == "big" and team == "interns"
  reject 403 "model not allowed for this team"
}
route embargo { when header("x-region") == "embargoed"  reject 451 "not available in your region" }
route big { when model == "big"  use strict  to big }
route small { use strict  to small }
`;
}

/** Requests that reached the upstream asking for `model`. */
const reached = (up: FakeUpstream, model: string): number => up.requests.filter((r) => r.body?.model === model).length;

interface LogLine {
  status?: number;
  route?: string;
  error?: string;
  decision?: { outcome?: { kind?: string; status?: number; message?: string }; defaults?: { name: string; settings: string[] }[] };
}

describe("reject and defaults, through aigw serve", () => {
  let up: FakeUpstream;
  let served: ServeProcess;
  let intern: OpenAI;

  beforeAll(async () => {
    up = await startUpstream("openai");
    served = await startServe(policyDir({ "main.route": policy(up) }), {}, { accessLog: true, args: ["--log-decisions"] });
    intern = new OpenAI({ baseURL: `${served.base}/v1`, apiKey: INTERN, maxRetries: 0 });
  }, 30_000);
  afterAll(async () => {
    await stopServes();
    await closeAllUpstreams();
  });


  it("answers an OpenAI caller with the route's status and message, in OpenAI's error shape, and sends nothing", async () => {
    const err = await intern.chat.completions.create({ model: "big", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(403);
    expect(e.error).toMatchObject({ message: "model not allowed for this team", type: "permission_error", code: "rejected_by_route" });
    expect(e.headers?.get("x-aigw-route")).toBe("forbidden");
    expect(e.headers?.get("x-aigw-target")).toBeNull();
    expect(reached(up, "big-up")).toBe(0);
  });

  it("answers an Anthropic caller in Anthropic's error shape", async () => {
    const anthropic = new Anthropic({ baseURL: served.base, apiKey: INTERN, maxRetries: 0 });
    const err = await anthropic.messages.create({ model: "big", max_tokens: 20, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toEqual({ type: "error", error: { type: "permission_error", message: "model not allowed for this team" } });
    expect(reached(up, "big-up")).toBe(0);
  });

  it("answers a Responses caller, and any status from the allowed set (451)", async () => {
    const staff = new OpenAI({ baseURL: `${served.base}/v1`, apiKey: STAFF, maxRetries: 0, defaultHeaders: { "x-region": "embargoed" } });
    const err = await staff.responses.create({ model: "small", input: "hi" }).catch((e: unknown) => e);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(451);
    expect(e.message).toContain("not available in your region");
    expect(reached(up, "small-up")).toBe(0);
  });

  it("sends the same model for another team, with the route's defaults applied", async () => {
    const staff = new OpenAI({ baseURL: `${served.base}/v1`, apiKey: STAFF, maxRetries: 0 });
    const { response } = await staff.chat.completions.create({ model: "big", messages: [{ role: "user", content: "write to ana@example.com" }] }).withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get("x-aigw-route")).toBe("big");
    // `guard pii` came from `defaults strict`: the upstream never saw the address.
    const sent = up.requests.filter((r) => r.body?.model === "big-up");
    expect(sent).toHaveLength(1);
    expect(JSON.stringify(sent[0]!.body)).not.toContain("ana@example.com");
  });

  it("logs the refusal and the defaults in the access log and the decision record", async () => {
    await expect.poll(() => served.logLines<LogLine>().filter((l) => l.decision?.outcome?.kind === "refused").length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    const refused = served.logLines<LogLine>().filter((l) => l.decision?.outcome?.kind === "refused");
    expect(refused.map((l) => [l.route, l.status, l.error])).toEqual(
      expect.arrayContaining([
        ["forbidden", 403, "rejected_by_route"],
        ["embargo", 451, "rejected_by_route"],
      ]),
    );
    expect(refused[0]!.decision!.outcome).toEqual({ kind: "refused", status: 403, route: "forbidden", message: "model not allowed for this team" });
    await expect.poll(() => served.logLines<LogLine>().find((l) => l.route === "big" && l.status === 200)?.decision?.defaults, { timeout: 5000 }).toEqual([
      expect.objectContaining({ name: "strict", settings: ["guard pii", "retry 1"] }),
    ]);
  });
});
