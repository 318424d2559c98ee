/**
 * `diffGraphs` on pairs of policies: each kind of change is found, with a
 * witness the server's own evaluator sends where the report says (old
 * route in the old policy, new route in the new); each equivalent refactor
 * reports no change in behaviour.
 */
import { describe, expect, it } from "vitest";
import { compileSources } from "../../../compiler/index.js";
import { diffGraphs, type PolicyDiff } from "../../../compiler/diff/index.js";
import type { Graph } from "../../../compiler/graph.js";
import { decide } from "../../../runtime/engine/decide.js";
import { factsFromTestRequest } from "../../../runtime/engine/facts.js";
import { prepare } from "../../../runtime/engine/prepare.js";
import { emptyState } from "../../../runtime/engine/state.js";

const DECLS = `
provider p { api mock }
provider q { api mock timeout 10s }
model mini = p/"mini" { input $0.15/Mtok output $0.60/Mtok context 128k }
model big = p/"big" { input $2.50/Mtok output $10/Mtok context 128k }
model sonnet = q/"sonnet" { input $3/Mtok output $15/Mtok context 200k }
budget daily { per team limit $200 per day warn 80% exceeded downgrade mini }
limit rpm { per key requests 600 per minute }
guardrail pii { on input redact email }
guardrail inj { on input block when text matches /ignore previous/i }
health h { on [5xx] consecutive 5 eject 30s }
gateway { auth none }
`;

const PREMIUM = `
route premium {
  when model == "chat" and header("x-tier") == "premium"
  guard pii
  budget daily
  split by key { 70% big 30% sonnet }
  fallback sonnet, mini on 429, 5xx, timeout
  retry 2 backoff 250ms
}`;
const CHAT = `
route chat {
  when model == "chat"
  to mini
  fallback sonnet on 5xx, timeout
}`;
const BASE = DECLS + PREMIUM + CHAT;

type Files = string | { path: string; text: string }[];

function graphOf(files: Files): Graph {
  const sources = typeof files === "string" ? [{ path: "main.route", text: files }] : files;
  const r = compileSources(sources);
  if (!r.graph) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.span.line}: ${d.message}`).join("\n"));
  return r.graph;
}

/** The route `decide` picks for a test request, or undefined for none. */
function routeOf(g: Graph, request: NonNullable<PolicyDiff["changes"][number]["request"]>): string | undefined {
  const d = decide(prepare(g), factsFromTestRequest(request, g), emptyState());
  return d.kind === "no-route" ? undefined : d.route.name;
}

/** The diff, with every witness checked against the evaluator on both sides. */
function diff(a: Files, b: Files): PolicyDiff {
  const ga = graphOf(a);
  const gb = graphOf(b);
  const d = diffGraphs(ga, gb);
  for (const c of d.changes) {
    expect(c.exact, c.witness).toBe(true);
    expect(c.request, `a test can state ${c.witness}`).toBeDefined();
    expect(routeOf(ga, c.request!), `old route of ${c.witness}`).toBe(c.old?.name);
    expect(routeOf(gb, c.request!), `new route of ${c.witness}`).toBe(c.new?.name);
  }
  return d;
}

const aspects = (d: PolicyDiff, i = 0): Record<string, [string, string]> =>
  Object.fromEntries((d.changes[i]?.aspects ?? []).map((a) => [a.aspect, [a.was, a.now]]));

describe("each kind of change is found with a witness", () => {
  it("fallback order", () => {
    const d = diff(BASE, BASE.replace("fallback sonnet, mini on", "fallback mini, sonnet on"));
    expect(d.changes).toHaveLength(1);
    expect(d.changes[0]!.old?.name).toBe("premium");
    expect(aspects(d)).toEqual({ fallback: ["sonnet, mini", "mini, sonnet"] });
    expect(d.changes[0]!.witness).toBe('`request { header "x-tier" "premium"  model "chat" }`');
  });

  it("split weights, with the share of traffic that moves", () => {
    const d = diff(BASE, BASE.replace("70% big 30% sonnet", "50% big 50% sonnet"));
    expect(aspects(d)).toEqual({ targets: ["split by key 70% big, 30% sonnet", "split by key 50% big, 50% sonnet"] });
    expect(d.changes[0]!.moves).toBe(20);
  });

  it("the target set, and the highest price it bills", () => {
    const d = diff(BASE, BASE.replace("  to mini\n", "  to big\n"));
    expect(d.changes.map((c) => c.new?.name)).toEqual(["chat"]);
    // every try billed at its largest: mini $0.10 or big $1.60, then sonnet $3.60; 30s and 10s timeouts
    expect(aspects(d)).toEqual({ targets: ["to mini", "to big"], "worst case": ["2 tries, 40s, $3.70", "2 tries, 40s, $5.20"] });
    // sonnet (the fallback) is the dearest either way
    expect(aspects(d)["price"]).toBeUndefined();
    const cheaper = diff(BASE, BASE.replace("fallback sonnet on 5xx", "fallback big on 5xx"));
    expect(aspects(cheaper)["price"]).toEqual(["$3/$15 per Mtok", "$2.50/$10 per Mtok"]);
  });

  it("traffic moving to a new route: only the requests it takes", () => {
    const long = `
route long {
  when model == "chat" and input_tokens > 100k
  to sonnet
}`;
    const d = diff(BASE, DECLS + PREMIUM + long + CHAT);
    expect(d.changes).toHaveLength(1);
    const c = d.changes[0]!;
    expect([c.old?.name, c.new?.name]).toEqual(["chat", "long"]);
    expect(c.request).toMatchObject({ model: "chat", inputTokens: 100001 });
    expect(aspects(d)).toMatchObject({ route: ["chat", "long"], targets: ["to mini", "to sonnet"] });
  });

  it("requests that now match no route, and requests that now match one", () => {
    const gone = diff(BASE, DECLS + PREMIUM);
    expect(gone.changes.map((c) => [c.old?.name, c.new?.name])).toEqual([["chat", undefined]]);
    const added = diff(DECLS + PREMIUM, BASE);
    expect(added.changes.map((c) => [c.old?.name, c.new?.name])).toEqual([[undefined, "chat"]]);
    expect(added.changes[0]!.request).toMatchObject({ model: "chat" });
  });

  it("a narrowed condition: the requests it no longer takes", () => {
    const d = diff(BASE, BASE.replace(`header("x-tier") == "premium"`, `header("x-tier") == "premium" and team == "search"`));
    expect(d.changes.map((c) => [c.old?.name, c.new?.name])).toEqual([["premium", "chat"]]);
    expect(d.changes[0]!.request).toMatchObject({ headers: { "x-tier": "premium" } });
    expect(d.changes[0]!.request?.team).not.toBe("search");
  });

  it("budgets, limits, guardrails, cache, health, retry and timeout", () => {
    const chat = (body: string): string => DECLS + PREMIUM + `\nroute chat {\n  when model == "chat"\n  to big\n${body}}\n`;
    const cases: [string, string, string][] = [
      ["budget daily\n", "budgets", "daily"],
      ["limit rpm\n", "limits", "rpm"],
      ["guard pii, inj\n", "guardrails", "pii, inj"],
      ["cache { ttl 5m }\n", "cache", "inline cache"],
      ["health h\n", "health", "h"],
      ["retry 3 backoff 1s\n", "retry", "3 backoff 1s"],
      ["timeout 20s\n", "timeout", "20s"],
    ];
    for (const [stmt, aspect, now] of cases) {
      const d = diff(chat(""), chat(stmt));
      expect(d.changes, stmt).toHaveLength(1);
      expect(aspects(d)[aspect]?.[1], stmt).toBe(now);
    }
  });

  it("request shaping: a cap, defaults and overrides, upstream headers, and the worst case a cap bounds", () => {
    const chat = (body: string): string => DECLS + PREMIUM + `\nroute chat {\n  when model == "chat"\n  to big\n${body}}\n`;
    const capped = diff(chat(""), chat('cap max_tokens 8k\ndefault temperature 0.7\nupstream_header "x-team" "research"\n'));
    expect(capped.changes.map((c) => c.new?.name)).toEqual(["chat"]);
    expect(aspects(capped)["shaping"]).toEqual(["none", "cap max_tokens 8000, default temperature 0.7, upstream_header x-team: research"]);
    const changed = diff(chat("cap max_tokens 8k\n"), chat("cap max_tokens 4k\nset top_p 0.5\n"));
    expect(aspects(changed)["shaping"]).toEqual(["cap max_tokens 8000", "cap max_tokens 4000, set top_p 0.5"]);
    expect(aspects(changed)["worst case"]).toBeDefined();
    expect(diff(chat("cap max_tokens 8k\n"), chat("cap max_tokens 8k\n")).equivalent).toBe(true);
  });

  it("what a name stands for: a budget's limit, a model's price, a provider's timeout", () => {
    const budget = diff(BASE, BASE.replace("limit $200 per day", "limit $100 per day"));
    expect(aspects(budget)["budgets"]).toEqual(["daily (per team limit $200 per day warn 80% exceeded downgrade mini)", "daily (per team limit $100 per day warn 80% exceeded downgrade mini)"]);
    const price = diff(BASE, BASE.replace('model big = p/"big" { input $2.50/Mtok', 'model big = p/"big" { input $5/Mtok'));
    expect(price.changes.map((c) => c.new?.name)).toEqual(["premium"]);
    expect(aspects(price)["targets"]![1]).toContain("70% big (p/\"big\", $5/$10 per Mtok");
    const timeout = diff(BASE, BASE.replace("provider q { api mock timeout 10s }", "provider q { api mock timeout 20s }"));
    expect(timeout.changes.map((c) => c.new?.name)).toEqual(["premium", "chat"]);
  });

  it("a row of a wildcard model's price table: a change of what its route bills", () => {
    const wild = `${DECLS}
model any = p/"*" {
  "x" input $1/Mtok  output $2/Mtok
  "y" input $3/Mtok  output $4/Mtok
}
budget pass { per team  limit $10 per day }
route passthrough { when model in ["p/x", "p/y"]  to any  budget pass }`;
    const d = diff(wild, wild.replace('"y" input $3/Mtok', '"y" input $6/Mtok'));
    expect(d.changes.map((c) => c.new?.name)).toEqual(["passthrough"]);
    expect(aspects(d)["targets"]).toEqual(['to any (p/"*", table x $1/$2 per Mtok, y $3/$4 per Mtok, timeout 30s)', 'to any (p/"*", table x $1/$2 per Mtok, y $6/$4 per Mtok, timeout 30s)']);
    expect(aspects(d)["price"]).toEqual(["$3/$4 per Mtok", "$6/$4 per Mtok"]);
  });

  it("reordering routes that share requests moves those requests", () => {
    const search = `\nroute search {\n  when model == "chat" and team == "search"\n  to big\n}`;
    const d = diff(DECLS + PREMIUM + search + CHAT, DECLS + search + PREMIUM + CHAT);
    expect(d.changes.map((c) => [c.old?.name, c.new?.name])).toEqual([["premium", "search"]]);
    expect(d.changes[0]!.request).toMatchObject({ model: "chat", team: "search", headers: { "x-tier": "premium" } });
  });

  it("the deadline and the callers' keys change every request", () => {
    const key = (team: string): string => `keys {\n  "sha256:${"a".repeat(64)}" team "${team}"\n}\n`;
    const d = diff(key("search") + BASE.replace("gateway { auth none }", "gateway { deadline 60s }"), key("support") + BASE.replace("gateway { auth none }", "gateway { deadline 30s }"));
    expect(d.changes).toEqual([]);
    expect(d.global.map((g) => [g.what, g.was, g.now])).toEqual([
      ["deadline", "1m", "30s"],
      [`caller key sha256:aaaaaaaaaaaa…`, 'team "search"', 'team "support"'],
    ]);
    expect(d.equivalent).toBe(false);
  });
});

describe("time facts", () => {
  const berlin = DECLS.replace("gateway { auth none }", 'gateway { auth none  timezone "Europe/Berlin" }');
  const nights = (when: string) => `\nroute nights {\n  when model == "chat" and ${when}\n  to big\n}` + CHAT;

  it("a moved hour window is a change whose witness says when, as a test's `at` in the gateway's zone", () => {
    const d = diff(berlin + nights("hour >= 22"), berlin + nights("hour >= 20"));
    expect(d.changes.map((c) => [c.old?.name, c.new?.name])).toEqual([["chat", "nights"]]);
    expect(d.changes[0]!.witness).toContain("it arrives at hour 20 (gateway time)");
    // 20:30 in Berlin on the test Monday is 19:30 UTC.
    expect(new Date(d.changes[0]!.request!.atMs!).toISOString()).toBe("2026-01-05T19:30:00.000Z");
  });

  it("a weekend rule and a date window are stated as instants on those days", () => {
    const d = diff(berlin + CHAT, berlin + nights('weekday == "sat"'));
    expect(d.changes[0]!.request!.atMs).toBe(Date.parse("2026-01-10T12:30:00+01:00"));
    const x = diff(berlin + CHAT, berlin + nights('date == "2026-12-24"'));
    expect(x.changes[0]!.request!.atMs).toBe(Date.parse("2026-12-24T12:30:00+01:00"));
  });

  it("a new time zone changes every request", () => {
    expect(diff(DECLS + CHAT, berlin + CHAT).global.map((g) => [g.what, g.was, g.now])).toEqual([["time zone of hour, weekday and date", "UTC", "Europe/Berlin"]]);
  });
});

describe("who can call", () => {
  const jwt = (name: string, audience: string) => `jwt ${name} {\n  issuer "https://idp/"\n  audience "${audience}"\n  jwks "https://idp/jwks"\n}\n`;

  it("a token issuer added, changed or removed changes every request; renaming its block does not", () => {
    expect(diff(BASE, jwt("corp", "aigw") + BASE).global.map((g) => [g.what, g.was])).toEqual([["token issuer https://idp/", "absent"]]);
    const changed = diff(jwt("corp", "aigw") + BASE, jwt("corp", "other") + BASE).global;
    expect(changed.map((g) => g.what)).toEqual(["token issuer https://idp/"]);
    expect(changed[0]!.now).toContain('audience "other"');
    const renamed = diff(jwt("corp", "aigw") + BASE, jwt("company", "aigw") + BASE);
    expect([renamed.changes, renamed.global]).toEqual([[], []]);
  });

  it("a revocation file named or dropped changes every request", () => {
    const d = diff(BASE, BASE.replace("gateway { auth none }", 'gateway { auth none  revoked "revoked.txt" }'));
    expect(d.global.map((g) => [g.what, g.was, g.now])).toEqual([["revocation file", "none", "revoked.txt"]]);
  });
});

describe("equivalent refactors report no change in behaviour", () => {
  const same = (a: Files, b: Files): PolicyDiff => {
    const d = diff(a, b);
    expect(d.changes).toEqual([]);
    expect(d.global).toEqual([]);
    expect(d.equivalent).toBe(true);
    return d;
  };

  it("the same policy", () => {
    same(BASE, BASE);
  });

  it("renaming a route, a model and a guardrail", () => {
    const renamed = BASE.replace("route chat {", "route everyday {")
      .replaceAll("guardrail pii", "guardrail privacy")
      .replace("guard pii", "guard privacy")
      .replace("model mini =", "model small =")
      .replace("downgrade mini", "downgrade small")
      .replace("sonnet, mini on", "sonnet, small on")
      .replace("to mini", "to small");
    const d = same(BASE, renamed);
    expect(d.renames).toEqual(
      expect.arrayContaining([
        { kind: "route", was: "chat", now: "everyday" },
        { kind: "model", was: "mini", now: "small" },
        { kind: "guardrail", was: "pii", now: "privacy" },
      ]),
    );
  });

  // Counters are kept by name: a renamed budget or limit starts from zero, which its callers see.
  it("a renamed budget or limit is a change (its counters restart), and still listed as a rename", () => {
    const limited = BASE.replace("  budget daily\n", "  budget daily\n  limit rpm\n");
    for (const [kind, was, now, aspect, text] of [
      ["budget", "daily", "team-daily", "budgets", limited.replaceAll("daily", "team-daily")],
      ["limit", "rpm", "per-key", "limits", limited.replaceAll("rpm", "per-key")],
    ] as const) {
      const d = diff(limited, text);
      expect(d.equivalent).toBe(false);
      expect(d.changes).toHaveLength(1);
      expect(d.changes[0]!.old?.name).toBe("premium");
      expect(aspects(d)[aspect]).toEqual([was, now]);
      expect(d.renames).toContainEqual({ kind, was, now });
    }
  });

  it("reordering routes that share no request", () => {
    const embed = `\nroute embed {\n  when model == "embed"\n  to big\n}`;
    same(DECLS + PREMIUM + embed + CHAT, DECLS + embed + PREMIUM + CHAT);
  });

  it("rewriting a condition to one that means the same", () => {
    const rewritten = BASE.replace(`when model == "chat" and header("x-tier") == "premium"`, `when header("X-Tier") in ["premium"] and not (model != "chat")`);
    same(BASE, rewritten);
  });

  it("moving declarations to another file", () => {
    same(BASE, [
      { path: "main.route", text: `import "decls.route"\n${PREMIUM}${CHAT}` },
      { path: "decls.route", text: DECLS },
    ]);
  });

  it("one route split in two with the same outcome", () => {
    const both = `\nroute both {\n  when model in ["a", "b"]\n  to big\n}`;
    const split = `\nroute a {\n  when model == "a"\n  to big\n}\nroute b {\n  when model == "b"\n  to big\n}`;
    same(BASE + both, BASE + split);
  });
});
