/**
 * Issue 21: amount tables per scope value in budgets and limits, budgets and
 * limits that apply only `when` a condition holds, and the `budget_used("B")`
 * fact — parsed, checked, lowered, decided (with the reference interpreter
 * agreeing), formatted and diffed.
 */
import { describe, expect, it } from "vitest";
import { diffGraphs } from "../../compiler/diff/index.js";
import { formatText, parse } from "../../lang/index.js";
import { crossCheckTests, explainRequest, runPolicyTests } from "../../runtime/policy/index.js";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

const MODELS = `${BASE}model mini = p/"mini-upstream" { input $0.1/Mtok output $0.2/Mtok }
`;

const TEAMS = `${MODELS}
budget team-monthly {
  per team
  limit per month { "research" $500  "search" $200  default $100 }
  exceeded reject
}
limit team-rpm { per team  requests per minute { "research" 600  default 60 } }
route r { to m  budget team-monthly  limit team-rpm }
`;

async function verdicts(text: string): Promise<[string, boolean, string | undefined][]> {
  const r = compileText(text);
  expect(errorCodes(r)).toEqual([]);
  // the reference interpreter decides every test as `decide` does
  expect(crossCheckTests([parse(text, "policy.route").file], r.graph!, r.tests)).toEqual([]);
  return (await runPolicyTests(r.graph!, r.tests)).map((t) => [t.name, t.passed, t.message]);
}

describe("amount tables", () => {
  it("lower to one amount per scope value and the default", () => {
    const g = compileText(TEAMS).graph!;
    expect(g.budgets["team-monthly"]).toMatchObject({ scope: "team", limit: 100, amounts: { research: 500, search: 200 } });
    expect(g.limits["team-rpm"]!.requests).toMatchObject({ count: 60, amounts: { research: 600 } });
  });

  it("refuse each team at its own amount in policy tests; a team without an entry gets the default", async () => {
    const tests = `${TEAMS}
test "research under its $500" {
  request { model "m"  team "research" }
  given budget team-monthly spent $300
  expect route r
}
test "search over its $200" {
  request { model "m"  team "search" }
  given budget team-monthly spent $300
  expect rejected by team-monthly
}
test "support takes the default $100" {
  request { model "m"  team "support" }
  given budget team-monthly spent $150
  expect rejected by team-monthly
}
test "research at 100 requests a minute" {
  request { model "m"  team "research" }
  given limit team-rpm used 100
  expect route r
}
test "ops over the default 60" {
  request { model "m"  team "ops" }
  given limit team-rpm used 60
  expect rejected by team-rpm
}
`;
    expect(await verdicts(tests)).toEqual([
      ["research under its $500", true, undefined],
      ["search over its $200", true, undefined],
      ["support takes the default $100", true, undefined],
      ["research at 100 requests a minute", true, undefined],
      ["ops over the default 60", true, undefined],
    ]);
  });

  it("need a scope with values to name, unique entries, the clause's unit and a default", () => {
    const bad = (budget: string) => compileText(`${MODELS}\n${budget}\nroute r { to m  budget b }\n`);
    expect(found(bad(`budget b { limit per month { "x" $5  default $1 } }`), "E212")[0]!.message).toMatch(/needs a scope/);
    expect(found(bad(`budget b { per key  limit per month { "x" $5  default $1 } }`), "E212")[0]!.message).toMatch(/cannot name keys/);
    expect(found(bad(`budget b { per team  limit per month { "x" $5  "x" $3  default $1 } }`), "E208")[0]!.message).toBe('the entry `"x"` is given twice');
    expect(found(bad(`budget b { per team  limit per month { "x" 5  default $1 } }`), "E201")[0]!.message).toMatch(/money/);
    expect(found(bad(`budget b { per team  limit per month { "x" $5 } }`), "E203")[0]!.message).toMatch(/needs a `default`/);
    const slip = bad(`budget b { per team  limit per month { "x" $5  defualt $1 } }`);
    expect(errorCodes(slip)).toEqual([expect.stringMatching(/^E201 .*found the word `defualt`/)]);
    expect(slip.diagnostics.find((d) => d.code === "E201")!.help).toBe("did you mean `default`?");
    const limit = compileText(`${MODELS}\nlimit l { per team  tokens per day { "a" $5  default 10k } }\nroute r { to m  limit l }\n`);
    expect(found(limit, "E201")[0]!.message).toMatch(/tokens/);
  });

  it("format on their clause's line and round-trip", () => {
    const text = formatText(TEAMS, "policy.route").text!;
    expect(text).toContain('  limit per month { "research" $500  "search" $200  default $100 }');
    expect(text).toContain('limit team-rpm { per team  requests per minute { "research" 600  default 60 } }');
    expect(formatText(text, "policy.route").text).toBe(text);
    // a table holding a comment keeps one entry per line, the comment where it was
    const commented = `budget b {\n  per team\n  limit per month {\n    "research" $500 // the big one\n    default $100\n  }\n}\n`;
    expect(formatText(commented, "policy.route").text).toBe(commented);
  });

  it("show in `aigw diff` when an amount changes", () => {
    const before = compileText(TEAMS).graph!;
    const after = compileText(TEAMS.replace('"search" $200', '"search" $250')).graph!;
    const text = JSON.stringify(diffGraphs(before, after));
    expect(text).toContain('\\"search\\" $250');
  });
});

const SHARED = `${MODELS}
budget research-monthly { per team  limit $500 per month  when team == "research" }
budget search-monthly { per team  limit $200 per month  when team == "search"  exceeded downgrade mini }
route shared { to m  budget research-monthly, search-monthly }
`;

describe("budgets that apply when a condition holds", () => {
  it("lower the condition onto the budget or limit", () => {
    const text = `${SHARED.replace("search-monthly }", "search-monthly  limit l }")}\nlimit l { requests 5 per minute  when stream }\n`;
    expect(errorCodes(compileText(text))).toEqual([]);
    const g = compileText(text).graph!;
    expect(g.budgets["research-monthly"]!.when).toEqual({ op: "eq", fact: { name: "team" }, value: "research" });
    expect(g.limits["l"]!.when).toEqual({ op: "truthy", fact: { name: "stream" } });
  });

  it("charge each caller of a shared route only the budget whose condition holds", async () => {
    const tests = `${SHARED}
test "research is not downgraded by the search budget" {
  request { model "m"  team "research" }
  given budget search-monthly spent $900
  expect target m
}
test "search is downgraded by its own" {
  request { model "m"  team "search" }
  given budget search-monthly spent $900
  expect target mini
}
test "search is not refused by research's" {
  request { model "m"  team "search" }
  given budget research-monthly spent $900
  expect target m
}
test "research is refused by its own" {
  request { model "m"  team "research" }
  given budget research-monthly spent $900
  expect rejected by research-monthly
}
`;
    expect(await verdicts(tests)).toEqual([
      ["research is not downgraded by the search budget", true, undefined],
      ["search is downgraded by its own", true, undefined],
      ["search is not refused by research's", true, undefined],
      ["research is refused by its own", true, undefined],
    ]);
  });

  it("are listed as not applied, with why, in the decision record `aigw explain` prints", () => {
    const g = compileText(SHARED).graph!;
    const e = explainRequest(g, { body: { model: "m", messages: [{ role: "user", content: "hi" }] } }, { caller: { team: "search" } });
    expect(e.budgets.map((b) => b.name)).toEqual(["search-monthly"]);
    expect(e.notApplied).toEqual([expect.objectContaining({ kind: "budget", name: "research-monthly", reason: expect.stringMatching(/team == "research".*"search"/) })]);
  });

  it("check the condition like every other `when`", () => {
    const r = compileText(`${MODELS}\nbudget b { limit $5 per day  when tem == "x" }\nroute r { to m  budget b }\n`);
    expect(found(r, "E205")[0]!.message).toBe("unknown fact `tem`");
    const twice = compileText(`${MODELS}\nbudget b { limit $5 per day  when stream  when tools }\nroute r { to m  budget b }\n`);
    expect(found(twice, "E208")).toHaveLength(1);
  });
});

const SAVER = `${MODELS}
gateway { auth none }
budget team-monthly { per team  limit per month { "research" $500  default $100 } }
route saver { when budget_used("team-monthly") >= 80%  to mini  budget team-monthly }
route chat { to m  budget team-monthly }
`;

describe("budget_used", () => {
  it("routes on the caller's share of its own amount, from `given budget B spent`", async () => {
    const tests = `${SAVER}
test "research at 60% stays" {
  request { model "m"  team "research" }
  given budget team-monthly spent $300
  expect route chat
}
test "support at 90% of its $100 moves to mini" {
  request { model "m"  team "support" }
  given budget team-monthly spent $90
  expect target mini
}
test "nothing spent" {
  request { model "m"  team "support" }
  expect route chat
}
`;
    expect(await verdicts(tests)).toEqual([
      ["research at 60% stays", true, undefined],
      ["support at 90% of its $100 moves to mini", true, undefined],
      ["nothing spent", true, undefined],
    ]);
  });

  it("is a percentage of a declared budget counted per caller", () => {
    const r = (cond: string, budget = "budget t { per team  limit $5 per day }") => compileText(`${MODELS}\n${budget}\nroute a { when ${cond}  to m  budget t }\nroute z { to m }\n`);
    expect(found(r('budget_used("nope") > 50%'), "E101")[0]!.message).toBe("unknown budget `nope`");
    expect(found(r('budget_used("t") > 0.5'), "E206")[0]!.message).toMatch(/a percentage/);
    expect(found(r("budget_used > 50%"), "E205")[0]!.message).toMatch(/needs a budget name/);
    expect(found(r('budget_used("t") > 50%', "budget t { per route  limit $5 per day }"), "E205")[0]!.message).toMatch(/per route/);
    expect(errorCodes(r('budget_used("t") >= 80%'))).toEqual([]);
  });

  it("is a number range to the condition analysis: a hidden route and a contradiction are found", () => {
    const r = compileText(`${SAVER.replace("route chat", 'route deeper { when budget_used("team-monthly") > 90%  to mini }\nroute never { when budget_used("team-monthly") > 50% and budget_used("team-monthly") < 40%  to m }\nroute chat')}`);
    const e304 = found(r, "E304").map((f) => f.message);
    expect(e304[0]).toMatch(/route `deeper` can never match: route `saver` above it .* budget `team-monthly` is 90\.0001% used/);
    expect(e304[1]).toMatch(/`budget_used\("team-monthly"\) > 50%` and `budget_used\("team-monthly"\) < 40%` cannot both hold/);
  });
});
