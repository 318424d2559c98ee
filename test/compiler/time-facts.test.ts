/**
 * The time facts `hour`, `weekday` and `date` in the gateway's `timezone`
 * (lang/SPEC.md §4.1, §5 "Time"): the zone checked with Intl (E204 with a
 * did-you-mean), the facts' kinds and values (E206, E204), the condition
 * analysis reading them as bounded ranges (E304 for a hidden route and for
 * `hour >= 24`), and test requests that say when they arrive (`at`),
 * including a daylight-saving switch day.
 */
import { describe, expect, it } from "vitest";
import { runPolicyTests } from "../../runtime/policy/policy-tests.js";
import { unreachableRoute } from "../../compiler/rules/unreachable-route.js";
import { BASE, compileText, errorCodes, found } from "./helpers.js";
import { PRELUDE, run, src, where } from "./rules/helpers.js";

const MODELS = `${BASE}model night = p/"night" { input $1/Mtok output $2/Mtok }\n`;

describe("gateway timezone", () => {
  it("takes an IANA zone Intl knows and lowers it; absent, the graph has none (UTC)", () => {
    const r = compileText(`gateway { timezone "Europe/Berlin" }\n${MODELS}route r { to m }`);
    expect(errorCodes(r)).toEqual([]);
    expect(r.graph!.gateway.timezone).toBe("Europe/Berlin");
    expect(compileText(`${MODELS}route r { to m }`).graph!.gateway.timezone).toBeUndefined();
  });

  it("E204 for a zone Intl does not know, with a did-you-mean; E201 for a word", () => {
    const r = compileText(`gateway { timezone "Europe/Berln" }\n${MODELS}route r { to m }`);
    const [d] = r.diagnostics.filter((x) => x.code === "E204");
    expect(d!.message).toBe('`timezone` `Europe/Berln` is not a time zone Intl knows (an IANA name such as "Europe/Berlin" or "UTC")');
    expect(d!.help).toBe('did you mean "Europe/Berlin"?');
    expect(found(compileText(`gateway { timezone Berlin }\n${MODELS}route r { to m }`), "E201").length).toBe(1);
  });
});

describe("hour, weekday and date in conditions", () => {
  it("compile as a number, a day name and a date", () => {
    const r = compileText(`${MODELS}route r { when hour >= 22 or hour < 6 or weekday in ["sat", "sun"] or date >= "2026-12-24"  to night }\nroute d { to m }`);
    expect(errorCodes(r)).toEqual([]);
  });

  it("E206 for values of the wrong kind, E204 for a day or date that does not exist", () => {
    const r = compileText(`${MODELS}route a { when hour == "9"  to m }
route b { when date > 5  to m }
route c { when weekday < "fri"  to m }
route d { when weekday == "Monday"  to m }
route e { when date == "2026-02-30"  to m }
route f { to m }`);
    expect(found(r, "E206").map((d) => d.message)).toEqual([
      '`hour` is a number and cannot be compared with the string `"9"`',
      "`date` is a date and cannot be compared with the number `5`",
      "`<` compares numbers, but `weekday` is text",
    ]);
    const e204 = r.diagnostics.filter((d) => d.code === "E204");
    expect(e204.map((d) => [d.message, d.help])).toEqual([
      ['`weekday` is one of "mon", "tue", "wed", "thu", "fri", "sat", "sun", never "Monday"', 'did you mean "mon"?'],
      ['`date` is compared with a calendar date written "YYYY-MM-DD", not "2026-02-30"', undefined],
    ]);
  });
});

describe("the condition analysis reads time facts as ranges (E304)", () => {
  const routes = (...whens: string[]) => src(...PRELUDE, ...whens.map((w, i) => `route r${i} { when ${w} to mini }`));

  it("a route after `hour < 12` with `hour < 10` is hidden, with the time in the witness", () => {
    const ds = run(unreachableRoute, routes("hour < 12", "hour < 10"));
    expect(where(ds)).toEqual(["E304 6:7"]);
    expect(ds[0]!.message).toContain("it arrives at hour 0 (gateway time)");
  });

  it("`hour >= 24` and `hour < 0` are never true; `hour <= 23` is every hour", () => {
    expect(where(run(unreachableRoute, routes("hour >= 24")))).toEqual(["E304 5:7"]);
    expect(where(run(unreachableRoute, routes(`model == "x" and hour < 0`)))).toEqual(["E304 5:7"]);
    expect(where(run(unreachableRoute, routes("hour <= 23", `model == "x"`)))).toEqual(["E304 6:7"]);
  });

  it("weekdays are a finite set: working days and the weekend cover every later route", () => {
    expect(where(run(unreachableRoute, routes(`weekday in ["mon", "tue", "wed", "thu", "fri"]`, `weekday in ["sat", "sun"]`, `model == "x"`)))).toEqual(["E304 7:7"]);
  });

  it("dates order: a later window inside an earlier one is hidden; a disjoint one is not", () => {
    expect(where(run(unreachableRoute, routes(`date >= "2026-12-20"`, `date >= "2026-12-24" and date <= "2026-12-26"`)))).toEqual(["E304 6:7"]);
    expect(where(run(unreachableRoute, routes(`date >= "2026-12-27"`, `date >= "2026-12-24" and date <= "2026-12-26"`)))).toEqual([]);
  });
});

describe("test requests say when they arrive", () => {
  it("`at` sets the moment; hour, weekday and date are read in the gateway's zone, across midnight", async () => {
    const r = compileText(`gateway { timezone "Europe/Berlin" }
${MODELS}route nights { when hour >= 22 or hour < 6  to night }
route xmas { when date == "2026-12-24"  to night }
route day { to m }
test "09:30 in Berlin is daytime" {
  request { at "2026-12-07T09:30:00+01:00" }
  expect route day
}
test "23:30 UTC is 00:30 in Berlin, the next day" {
  request { at "2026-12-23T23:30:00Z" }
  expect route nights
}
test "Christmas Eve noon" {
  request { at "2026-12-24T12:00:00+01:00" }
  expect route xmas
}
test "the Berlin date, not the caller's: 23:30 at UTC-6 on the 23rd is 06:30 on the 24th in Berlin" {
  request { at "2026-12-23T23:30:00-06:00" }
  expect route xmas
}`);
    expect(errorCodes(r)).toEqual([]);
    const results = await runPolicyTests(r.graph!, r.tests);
    expect(results.map((t) => [t.name, t.passed, t.failures?.map((f) => f.message)])).toEqual(r.tests.map((t) => [t.name, true, undefined]));
  });

  it("on the switch days `hour` is the wall clock's: never 2 in spring, 2 for two real hours in autumn", async () => {
    const r = compileText(`gateway { timezone "Europe/Berlin" }
${MODELS}route one { when hour == 1  to m }
route two { when hour == 2  to m }
route three { when hour == 3  to m }
route other { to night }
test "00:59 UTC on 2026-03-29 is 01:59 CET" {
  request { at "2026-03-29T00:59:00Z" }
  expect route one
}
test "a minute later it is 03:00 CEST" {
  request { at "2026-03-29T01:00:00Z" }
  expect route three
}
test "00:30 UTC on 2026-10-25 is 02:30 CEST" {
  request { at "2026-10-25T00:30:00Z" }
  expect route two
}
test "01:30 UTC is 02:30 again, now CET" {
  request { at "2026-10-25T01:30:00Z" }
  expect route two
}`);
    expect(errorCodes(r)).toEqual([]);
    const results = await runPolicyTests(r.graph!, r.tests);
    expect(results.map((t) => [t.name, t.passed, t.failures?.map((f) => f.message)])).toEqual(r.tests.map((t) => [t.name, true, undefined]));
  });

  it("without `at` a test arrives at a fixed moment (Monday 2026-01-05 12:00 UTC), whenever it runs", async () => {
    const r = compileText(`${MODELS}route fixed { when weekday == "mon" and hour == 12 and date == "2026-01-05"  to night }
route other { to m }
test "t" {
  request { }
  expect route fixed
}`);
    expect((await runPolicyTests(r.graph!, r.tests))[0]!.passed).toBe(true);
  });

  it("weekday: the same instant is a Sunday in Tokyo and a Saturday in Los Angeles", async () => {
    const policy = (zone: string) =>
      compileText(`gateway { timezone "${zone}" }
${MODELS}route weekend { when weekday in ["sat", "sun"]  to night }
route week { to m }
test "t" {
  request { at "2026-12-06T02:00:00Z" }
  expect route weekend
}`);
    const tokyo = policy("Asia/Tokyo");
    const la = policy("America/Los_Angeles");
    expect((await runPolicyTests(tokyo.graph!, tokyo.tests))[0]!.passed).toBe(true);
    expect((await runPolicyTests(la.graph!, la.tests))[0]!.passed).toBe(true);
  });

  it("E401 for an instant without its offset or that does not exist", () => {
    const r = compileText(`${MODELS}route r { to m }
test "a" {
  request { at "2026-12-07T09:30:00" }
  expect route r
}
test "b" {
  request { at "2026-13-07T09:30:00Z" }
  expect route r
}`);
    expect(found(r, "E401").map((d) => d.message)).toEqual([
      '`at` `2026-12-07T09:30:00` is not an instant with its offset, like "2026-12-07T09:30:00+01:00" or "2026-12-07T08:30:00Z"',
      '`at` `2026-13-07T09:30:00Z` is not an instant with its offset, like "2026-12-07T09:30:00+01:00" or "2026-12-07T08:30:00Z"',
    ]);
  });
});
