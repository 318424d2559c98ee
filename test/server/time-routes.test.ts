/**
 * A time-of-day route on a real gateway (uWebSockets.js, the official
 * `openai` client): the gateway's clock is the World's `now`, fixed here, and
 * `hour`, `weekday` and `date` are read in the policy's `timezone`
 * (lang/SPEC.md §5, "Time"). The same request goes to the night model at
 * 23:30 in Berlin, to the day model at 09:30, and to the weekend model on a
 * Saturday.
 */
import { afterEach, describe, expect, it } from "vitest";
import { closeGateways, policy, serve } from "./helpers.js";

const graph = policy(`
gateway { auth none  state memory  timezone "Europe/Berlin" }
provider p { api mock }
model day = p/"day-model"
model night = p/"night-model"
model weekend = p/"weekend-model"
route weekends { when model == "chat" and weekday in ["sat", "sun"]  to weekend }
route nights { when model == "chat" and (hour >= 22 or hour < 6)  to night }
route days { when model == "chat"  to day }
`);

afterEach(closeGateways);

describe("routes on the gateway's clock, in its time zone", () => {
  it("the same request goes where the hour and the weekday in Berlin say", async () => {
    let now = Date.parse("2026-12-07T09:30:00+01:00"); // a Monday morning in Berlin
    const { client } = await serve(graph, { world: { env: {}, now: () => now } });
    const target = async (): Promise<string | null> => {
      const { response } = await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] }).withResponse();
      return response.headers.get("x-aigw-target");
    };
    expect(await target()).toBe("day");
    now = Date.parse("2026-12-07T22:30:00Z"); // 23:30 in Berlin
    expect(await target()).toBe("night");
    now = Date.parse("2026-12-07T04:59:00Z"); // 05:59 in Berlin: still night
    expect(await target()).toBe("night");
    now = Date.parse("2026-12-07T05:00:00Z"); // 06:00 in Berlin (05:00 UTC would still be night)
    expect(await target()).toBe("day");
    now = Date.parse("2026-12-05T12:00:00+01:00"); // a Saturday
    expect(await target()).toBe("weekend");
  });
});
