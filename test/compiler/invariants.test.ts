/**
 * Invariants (compiler/invariants, E309): organisation-wide rules `aigw
 * check` proves over every route and every plan — split arms, fallbacks and
 * budget downgrades — each broken one reported at the route, related to the
 * invariant, with the path and a witness request that reaches it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { errorCodes, found } from "./helpers.js";

const DECLS = `gateway { auth none }
provider eu { api mock residency eu }
provider us { api mock residency us }
model eu-big = eu/"big" { input $3/Mtok output $15/Mtok context 200k }
model eu-small = eu/"small" { input $0.10/Mtok output $0.40/Mtok context 32k }
model us-big = us/"big" { input $2.50/Mtok output $10/Mtok context 128k residency us }
model eu-free = eu/"free" { context 200k }
guardrail pii { redact email }
guardrail size { block when input_tokens > 500k }
budget team-daily { per team  limit $100 per day  exceeded downgrade eu-small }
`;

const compile = (text: string) => compileSources([{ path: "main.route", text: DECLS + text }]);
const e309 = (text: string) => found(compile(text), "E309");

describe("require guard", () => {
  const inv = `invariant guarded {\n  require guard pii, size\n}\n`;

  it("passes when every route guards with the guardrails", () => {
    const r = compile(inv + `route a {\n  when model == "a"\n  guard pii, size\n  to eu-big\n}\nroute b {\n  guard size, pii\n  to eu-small\n}\n`);
    expect(errorCodes(r)).toEqual([]);
    expect(r.graph).toBeDefined();
  });

  it("fails a route that misses one, at the route, related to the invariant, with a witness", () => {
    const r = compile(inv + `route a {\n  when model == "a"\n  guard pii, size\n  to eu-big\n}\nroute b {\n  when team == "ops"\n  guard pii\n  to eu-small\n}\n`);
    expect(r.graph).toBeUndefined();
    expect(found(r, "E309")).toEqual([
      {
        line: 19,
        column: 7,
        message: 'route `b` breaks invariant `guarded`: it sends to `eu-small` without guardrail `size`, on the path `eu-small`; e.g. `request { team "ops" }` goes there',
      },
    ]);
    const d = r.diagnostics.find((x) => x.code === "E309")!;
    expect(d.related).toMatchObject({ message: "invariant `guarded` requires this", span: { line: 12, column: 3 } });
  });

  it("says nothing of a route no request reaches (the routes above take them all)", () => {
    expect(e309(inv + `route all {\n  guard pii, size\n  to eu-big\n}\nroute shadowed {\n  when team == "ops"\n  to eu-small\n}\n`).length).toBe(0);
  });

  it("names the request the earlier routes leave to the route, not just any request of its `when`", () => {
    const out = e309(inv + `route ops-chat {\n  when team == "ops" and model == "chat"\n  guard pii, size\n  to eu-big\n}\nroute ops {\n  when team == "ops"\n  to eu-small\n}\n`);
    expect(out.map((f) => f.message)).toEqual([
      'route `ops` breaks invariant `guarded`: it sends to `eu-small` without guardrails `pii`, `size`, on the path `eu-small`; e.g. `request { team "ops" }` goes there',
    ]);
  });
});

describe("require residency, scoped by `when`", () => {
  const inv = `invariant eu-stays-in-eu {\n  when header("x-data-region") == "eu"\n  require residency eu\n}\n`;

  it("passes an EU route whose every plan stays in the EU (a provider's residency is its models')", () => {
    expect(errorCodes(compile(inv + `route eu {\n  when header("x-data-region") == "eu"\n  split { 50% eu-big  50% eu-free }\n  fallback eu-small\n}\nroute rest {\n  to us-big\n}\n`))).toEqual([]);
  });

  it("sees through fallbacks: an EU route falling back to a US model fails with that path", () => {
    const out = e309(inv + `route eu {\n  when header("x-data-region") == "eu"\n  to eu-big\n  fallback eu-small, us-big on 429, 5xx\n}\nroute rest {\n  to us-big\n}\n`);
    expect(out).toEqual([
      {
        line: 18,
        column: 22,
        message:
          'route `eu` breaks invariant `eu-stays-in-eu`: it can send to `us-big`, which has residency `us`, not `eu`, on the path `eu-big → eu-small → us-big`; e.g. `request { header "x-data-region" "eu" }` goes there',
      },
    ]);
  });

  it("finds EU requests that reach a route written for others: the catch-all after the EU route's narrower `when`", () => {
    const out = e309(inv + `route eu-chat {\n  when header("x-data-region") == "eu" and model == "chat"\n  to eu-big\n}\nroute rest {\n  to us-big\n}\n`);
    expect(out.map((f) => f.message)).toEqual([
      'route `rest` breaks invariant `eu-stays-in-eu`: it can send to `us-big`, which has residency `us`, not `eu`, on the path `us-big`; e.g. `request { header "x-data-region" "eu" }` goes there',
    ]);
  });

  it("sees budget downgrades, and a model without a residency is not proof", () => {
    const text = `provider nowhere { api mock }\nmodel anon = nowhere/"anon" { input $1/Mtok output $1/Mtok }\nbudget b2 { per team  limit $1 per day  exceeded downgrade anon }\n`;
    const out = e309(inv + text + `route eu {\n  when header("x-data-region") == "eu"\n  to eu-big\n  budget b2\n}\n`);
    expect(out.map((f) => f.message)).toEqual([
      'route `eu` breaks invariant `eu-stays-in-eu`: it can send to `anon`, which declares no `residency`, not `eu`, on the downgrade of budget `b2` to `anon`; e.g. `request { header "x-data-region" "eu" }` goes there',
    ]);
  });

  it("leaves routes outside its `when` alone", () => {
    expect(e309(inv + `route us {\n  when header("x-data-region") == "us"\n  to us-big\n}\n`)).toEqual([]);
  });
});

describe("require price", () => {
  const inv = `invariant priced { require price }\n`;

  it("passes when every model reached has both prices, and fails an unpriced split arm even without a budget", () => {
    expect(e309(inv + `route a {\n  to eu-big\n  fallback eu-small\n}\n`)).toEqual([]);
    expect(e309(inv + `route a {\n  split { 90% eu-big  10% eu-free }\n}\n`).map((f) => f.message)).toEqual([
      "route `a` breaks invariant `priced`: it can send to `eu-free`, which has no `input` or `output` price, on the path `eu-free`; e.g. `request { }` goes there",
    ]);
  });
});

describe("require context", () => {
  const inv = `invariant contexts-fit { require context }\n`;

  it("fails a long-prompt route falling back to a 32k model, with a prompt between the two contexts", () => {
    const out = e309(inv + `route long {\n  when model == "chat" and input_tokens > 100k\n  to eu-big\n  fallback eu-small\n}\nroute chat {\n  when model == "chat"\n  to eu-small\n}\n`);
    expect(out.map((f) => f.message)).toEqual([
      'route `long` breaks invariant `contexts-fit`: `eu-small` takes 32k tokens, fewer than the 200k `eu-big` takes, on the path `eu-big → eu-small`; e.g. `request { input_tokens 100001  model "chat" }` goes there',
    ]);
  });

  it("passes when the route's `when` admits no prompt the smaller model cannot take", () => {
    expect(e309(inv + `route short {\n  when input_tokens <= 30k\n  to eu-big\n  fallback eu-small\n}\n`)).toEqual([]);
  });

  it("uses what the earlier routes leave: short prompts taken above, the rest fails", () => {
    const out = e309(inv + `route short {\n  when input_tokens <= 40k\n  to eu-small\n}\nroute rest {\n  to eu-big\n  fallback eu-small\n}\n`);
    expect(out.map((f) => f.message)).toEqual([
      "route `rest` breaks invariant `contexts-fit`: `eu-small` takes 32k tokens, fewer than the 200k `eu-big` takes, on the path `eu-big → eu-small`; e.g. `request { input_tokens 40001 }` goes there",
    ]);
  });

  it("leaves out the prompts the route's own guardrail blocks: they reach no model", () => {
    const route = (guard: string) => `route a {\n  ${guard}\n  to eu-big\n  fallback eu-small\n}\n`;
    const small = `guardrail tiny { block when input_tokens > 32k }\n`;
    expect(e309(inv + small + route("guard tiny"))).toEqual([]);
    expect(e309(inv + small + route("guard size")).map((f) => f.message)).toEqual([
      "route `a` breaks invariant `contexts-fit`: `eu-small` takes 32k tokens, fewer than the 200k `eu-big` takes, on the path `eu-big → eu-small`; e.g. `request { input_tokens 32001 }` goes there",
    ]);
  });

  it("checks a downgrade against the route's largest first target", () => {
    const out = e309(inv + `route a {\n  when input_tokens > 50k\n  to eu-big\n  budget team-daily\n}\n`);
    expect(out.map((f) => f.message)).toEqual([
      "route `a` breaks invariant `contexts-fit`: `eu-small` takes 32k tokens, fewer than the 200k the route's first targets take, on the downgrade of budget `team-daily` to `eu-small`; e.g. `request { input_tokens 50001 }` goes there",
    ]);
  });
});

describe("the invariant block itself", () => {
  it("reports a word `require` does not know, an invariant requiring nothing, two `when`s and an unknown guardrail", () => {
    const r = compile(`invariant a {\n  require prices\n}\ninvariant b {\n  when team == "x"\n  when team == "y"\n}\ninvariant c { require guard pi }\nroute r { to eu-big }\n`);
    expect(errorCodes(r)).toEqual([
      "E201 12:11 expected `guard`, `residency`, `price` or `context` after `require`, found `prices`",
      "E203 14:11 invariant `b` requires nothing",
      "E208 16:3 `when` in invariant `b` is given twice",
      "E101 18:29 unknown guardrail `pi`",
    ]);
    expect(r.diagnostics.find((d) => d.code === "E201")?.help).toBe("did you mean the requirement `price`?");
  });

  it("refuses a residency written as a string and checks the invariant's condition like a route's", () => {
    const r = compile(`model q = eu/"q" { residency "eu" }\ninvariant a {\n  when tem == "x"\n  require price\n}\nroute r { to eu-big }\n`);
    expect(errorCodes(r).map((e) => e.slice(0, 4))).toEqual(["E201", "E205"]);
  });
});

describe("examples/production's invariants", () => {
  const root = new URL("../../examples/production/", import.meta.url).pathname;
  const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
  const sources = files(root).filter((f) => f.endsWith(".route")).map((f) => ({ path: relative(root, f), text: readFileSync(f, "utf8") }));
  const main = sources.find((s) => s.path === "main.route")!;
  const withEdit = (path: string, from: string, to: string) => [main, ...sources.filter((s) => s !== main).map((s) => (s.path === path ? { ...s, text: s.text.replace(from, to) } : s))];

  it("hold as committed, and catch a fallback to a US model on the EU route", () => {
    expect(compileSources([main, ...sources.filter((s) => s !== main)]).diagnostics.filter((d) => d.code === "E309")).toEqual([]);
    const r = compileSources(withEdit("routes/eu.route", "fallback gemini-pro on", "fallback gemini-pro, sonnet on"));
    expect(found(r, "E309").map((f) => f.message)).toEqual([
      'route `eu-chat` breaks invariant `eu-data-stays-in-eu`: it can send to `sonnet`, which has residency `us`, not `eu`, on the path `azure-gpt-4o → gemini-pro → sonnet`; e.g. `request { header "x-data-region" "eu" }` goes there',
    ]);
  });
});
