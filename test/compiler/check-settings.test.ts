import { describe, expect, it } from "vitest";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

describe("settings of gateway, provider and model blocks", () => {
  it("accepts every documented setting with the right types", () => {
    const r = compileText(`${BASE}
gateway {
  listen ":8787"
  state redis(env("REDIS_URL"))
  auth none
  admin_token env("AIGW_ADMIN")
  log_bodies true
  max_body 4MB
  deadline 90s
}
provider q { api openai base_url "http://x/v1" key env("Q_KEY") timeout 10s }
provider mk { api mock latency 20ms fail_rate 5% fail_status 503 }
model n = q/"n" { input $0.15/Mtok output $0.60/Mtok context 128k max_output 16000 }
route r { to m }
`);
    expect(errorCodes(r)).toEqual([]);
  });

  it("E201: a wrong unit, in the language's terms", () => {
    const r = compileText(`provider openai {
  api openai
  timeout 5$
}`);
    expect(found(r, "E201")).toEqual([
      { line: 3, column: 11, message: "expected a duration like 30s after `timeout`, found money `5$`" },
    ]);
  });

  it("E201: wrong types of every kind", () => {
    const r = compileText(`gateway {
  listen 8787
  state postgres("x")
  auth maybe
  log_bodies "yes"
  max_body 10s
}
model x = p/"x" { input $2 output 3 context "big" }
`);
    expect(found(r, "E201")).toEqual([
      { line: 2, column: 10, message: 'expected a string like "…" after `listen`, found the number `8787`' },
      { line: 3, column: 9, message: 'expected `memory`, `sqlite("path")` or `redis(env("NAME"))` after `state`, found a call to `postgres(…)`' },
      { line: 4, column: 8, message: "expected `keys` or `none` after `auth`, found the word `maybe`" },
      { line: 5, column: 14, message: 'expected `true` or `false` after `log_bodies`, found the string `"yes"`' },
      { line: 6, column: 12, message: "expected a size like 1MB after `max_body`, found the duration `10s`" },
      { line: 8, column: 25, message: "expected a price like $2.50/Mtok after `input`, found money `$2`" },
      { line: 8, column: 35, message: "expected a price like $2.50/Mtok after `output`, found the number `3`" },
      { line: 8, column: 45, message: 'expected a token count like 100k after `context`, found the string `"big"`' },
    ]);
  });

  it("E201: a provider key written inline must move to env()", () => {
    const r = compileText(`provider openai { api openai key "sk-live-123" }`);
    const [d] = r.diagnostics.filter((x) => x.code === "E201");
    expect(d).toMatchObject({ span: { line: 1, column: 34 } });
    expect(d!.message).toBe('a provider key must not be written in the policy: read it from the environment with `env("NAME")`');
  });

  it("E201: env() needs one variable name", () => {
    const r = compileText(`gateway { admin_token env("a b") }`);
    expect(found(r, "E201")).toEqual([
      { line: 1, column: 23, message: '`env` takes one environment variable name, e.g. `env("OPENAI_API_KEY")`' },
    ]);
  });

  it("E201: an unknown api suggests the closest", () => {
    const r = compileText(`provider o { api opanai }`);
    const [d] = r.diagnostics.filter((x) => x.code === "E201");
    expect(d).toMatchObject({ span: { line: 1, column: 18 }, help: "did you mean `openai`?" });
  });

  it("E202: an unknown setting, with did-you-mean among the block's settings", () => {
    const r = compileText(`provider openai {
  api openai
  timout 30s
}
gateway { lisen ":1" }
model x = p/"x" { inptu $1/Mtok }
`);
    expect(found(r, "E202")).toEqual([
      { line: 3, column: 3, message: "unknown setting `timout` in provider `openai`" },
      { line: 5, column: 11, message: "unknown setting `lisen` in the gateway" },
      { line: 6, column: 19, message: "unknown setting `inptu` in model `x`" },
    ]);
    expect(r.diagnostics.filter((d) => d.code === "E202").map((d) => d.help)).toEqual([
      "did you mean the provider setting `timeout`?",
      "did you mean the gateway setting `listen`?",
      "did you mean the model setting `input`?",
    ]);
  });

  it("E202: no suggestion lists what the block accepts", () => {
    const r = compileText(`model x = p/"x" { colour "red" }`);
    const [d] = r.diagnostics.filter((x) => x.code === "E202");
    expect(d!.help).toBe("model `x` accepts `input`, `output`, `cache_read`, `cache_write`, `prompt_cache`, `context`, `max_output`, `supports` and `residency`");
  });

  it("E202: mock settings only on mock providers", () => {
    const r = compileText(`provider o { api openai latency 20ms }`);
    expect(found(r, "E202")).toEqual([
      { line: 1, column: 25, message: "`latency` is a setting of `api mock` providers only, and provider `o` is not one" },
    ]);
  });

  it("E202: `responses` only on `api openai` providers", () => {
    const r = compileText(`provider a { api anthropic responses true }
provider m { api mock responses true }
provider o { api openai responses true }`);
    expect(found(r, "E202")).toEqual([
      { line: 1, column: 28, message: "`responses` is a setting of `api openai` providers only, and provider `a` is not one" },
      { line: 2, column: 23, message: "`responses` is a setting of `api openai` providers only, and provider `m` is not one" },
    ]);
  });

  it("E201: `responses` takes a boolean", () => {
    const r = compileText(`provider o { api openai responses yes }`);
    expect(found(r, "E201").map((f) => f.column)).toEqual([35]);
  });

  it("E202: `constructor` is not a setting (no prototype lookups)", () => {
    const r = compileText(`gateway { constructor "x" toString "y" }`);
    expect(found(r, "E202").map((f) => f.column)).toEqual([11, 27]);
  });

  it("E203: a provider needs `api`", () => {
    const r = compileText(`provider openai { key env("K") }`);
    expect(found(r, "E203")).toEqual([{ line: 1, column: 10, message: "provider `openai` needs the setting `api`" }]);
  });

  it("E203: a gemini provider needs `key`; a vertex provider `project`, `location` and a key (`key` or `key_file`), with help", () => {
    const r = compileText(`provider g { api gemini }
provider v { api vertex }`);
    expect(found(r, "E203")).toEqual([
      { line: 1, column: 10, message: "provider `g` (`api gemini`) needs the setting `key`" },
      { line: 2, column: 10, message: "provider `v` (`api vertex`) needs the setting `project`" },
      { line: 2, column: 10, message: "provider `v` (`api vertex`) needs the setting `location`" },
      { line: 2, column: 10, message: "provider `v` (`api vertex`) needs the setting `key` or `key_file`" },
    ]);
    expect(r.diagnostics.find((d) => d.message.includes("`key` or `key_file`"))?.help).toBe(
      'add `key` followed by `env("NAME")`, or `key_file` followed by a string like "…"',
    );
    const ok = compileText(`${BASE}
provider g { api gemini key env("GEMINI_API_KEY") }
provider v { api vertex project "my-proj" location "us-central1" key env("GOOGLE_APPLICATION_CREDENTIALS_JSON") }
provider w { api vertex project "my-proj" location "global" key_file "/etc/aigw/sa.json" }
route r { to m }
`);
    expect(errorCodes(ok)).toEqual([]);
    expect(ok.graph?.providers["w"]).toMatchObject({ api: "vertex", vertex: { project: "my-proj", location: "global", keyFile: "/etc/aigw/sa.json" } });
  });

  it("E204: a vertex project or location that cannot be Google's", () => {
    const r = compileText(`provider v { api vertex project "My Project" location "evil.example/x" key env("K") }`);
    expect(found(r, "E204").map((f) => f.message)).toEqual([
      "`project` must be 6 to 30 lowercase letters, digits or hyphens, starting with a letter, found `My Project`",
      '`location` must be a region like "us-central1", or "global", found `evil.example/x`',
    ]);
  });

  it("E202: vertex settings on another api", () => {
    const r = compileText(`provider g { api gemini key env("K") project "p" }`);
    expect(found(r, "E202")).toEqual([{ line: 1, column: 38, message: "`project` is a setting of `api vertex` providers only, and provider `g` is not one" }]);
  });

  it("E204: values out of range", () => {
    const r = compileText(`provider mk { api mock fail_rate 150% fail_status 42 timeout 0s }
gateway { max_body 0 deadline 0ms }
model x = p/"x" { context 1.5 }`);
    expect(found(r, "E204")).toEqual([
      { line: 1, column: 34, message: "`fail_rate` must be at most 100, found `150%`" },
      { line: 1, column: 51, message: "`fail_status` must be at least 100, found `42`" },
      { line: 1, column: 62, message: "`timeout` must be more than 0, found `0s`" },
      { line: 2, column: 20, message: "`max_body` must be more than 0, found `0`" },
      { line: 2, column: 31, message: "`deadline` must be more than 0, found `0ms`" },
      { line: 3, column: 27, message: "`context` must be a whole number, found `1.5`" },
    ]);
  });

  it("E208: a setting given twice points at the second, related to the first", () => {
    const r = compileText(`provider o {
  api openai
  timeout 10s
  timeout 20s
}`);
    const [d] = r.diagnostics.filter((x) => x.code === "E208");
    expect(d).toMatchObject({ message: "setting `timeout` is given twice", span: { line: 4, column: 3 } });
    expect(d!.related?.span).toMatchObject({ line: 3, column: 3 });
  });
});

describe("keys", () => {
  const H = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

  it("accepts any string label", () => {
    const r = compileText(`${BASE}keys { "${H}" team "search" user "ana" env "prod" }\nroute r { to m }`);
    expect(errorCodes(r)).toEqual([]);
  });

  it("E201: a label that is not a string, and a hash that is not sha256", () => {
    const r = compileText(`keys {
  "${H}" team search
  "sk-123" team "x"
}`);
    expect(found(r, "E201")).toEqual([
      { line: 2, column: 82, message: "expected a string like \"…\" after `team`, found the word `search`" },
      { line: 3, column: 3, message: 'expected a key hash like `sha256:<64 hex digits>`, found `sk-123`' },
    ]);
  });

  it("E208: a label twice; E102: a key listed twice", () => {
    const r = compileText(`keys {
  "${H}" team "a" team "b"
  "${H}"
}`);
    expect(found(r, "E208")).toEqual([{ line: 2, column: 86, message: "label `team` is given twice" }]);
    expect(found(r, "E102")).toEqual([{ line: 3, column: 3, message: "the key `sha256:2c26b46b…` is listed twice" }]);
  });
});
