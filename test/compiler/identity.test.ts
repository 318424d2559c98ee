/**
 * The compiler's side of caller identity: `jwt` blocks (their settings,
 * where keys come from, one block per issuer, asymmetric algorithms only),
 * the gateway's `revoked` file, budgets and limits scoped by a label or a
 * metadata entry, and tests that set a caller's labels.
 */
import { describe, expect, it } from "vitest";
import { runPolicyTests } from "../../runtime/policy/index.js";
import { formatText } from "../../lang/index.js";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

const JWT = (body: string) => `${BASE}
jwt corp {
${body}
}
route r { to m }
`;
const GOOD = `  issuer "https://login.example.com/"
  audience "aigw"
  jwks "https://login.example.com/jwks.json"`;

describe("jwt blocks", () => {
  it("lower to the graph with their defaults, and stand in for keys as a way to authenticate", () => {
    const r = compileText(JWT(`${GOOD}\n  team "org"`));
    expect(errorCodes(r)).toEqual([]);
    expect(r.graph?.jwt?.corp).toMatchObject({
      issuer: "https://login.example.com/",
      audience: "aigw",
      keys: { kind: "url", url: "https://login.example.com/jwks.json" },
      algorithms: ["RS256", "ES256"],
      teamClaim: "org",
      userClaim: "sub",
      leewayMs: 30_000,
    });
    // A policy with a jwt block and no keys can authenticate someone: no W504.
    expect(found(r, "W504")).toEqual([]);
    expect(compileText(JWT(`  issuer "i"\n  audience "a"\n  jwks_file "keys.json"\n  algorithms [ES384, EdDSA]\n  leeway 5s`)).graph?.jwt?.corp).toMatchObject({
      keys: { kind: "file", path: "keys.json" },
      algorithms: ["ES384", "EdDSA"],
      leewayMs: 5000,
    });
  });

  it("needs an issuer, an audience and exactly one source of keys", () => {
    expect(found(compileText(JWT(`  audience "a"\n  jwks "https://x/jwks"`)), "E203")).toEqual([{ line: 4, column: 5, message: "jwt `corp` needs the setting `issuer`" }]);
    expect(found(compileText(JWT(`  issuer "i"\n  audience "a"`)), "E203").map((f) => f.message)).toEqual([
      'jwt `corp` needs where its signing keys are: `jwks "https://…"` or `jwks_file "path"`',
    ]);
    expect(found(compileText(JWT(`${GOOD}\n  jwks_file "k.json"`)), "E208")).toEqual([{ line: 8, column: 3, message: "jwt `corp` gives both `jwks` and `jwks_file`; keep one" }]);
  });

  it("fetches keys over https only (plain http to this machine alone), and never accepts a symmetric algorithm", () => {
    const http = found(compileText(JWT(`  issuer "i"\n  audience "a"\n  jwks "http://idp.example.com/jwks"`)), "E204");
    expect(http.map((f) => f.message)).toEqual(["`jwks` must be an https URL (http only to localhost or 127.0.0.1), found `http://idp.example.com/jwks`"]);
    expect(found(compileText(JWT(`  issuer "i"\n  audience "a"\n  jwks "http://127.0.0.1:9000/jwks"`)), "E204")).toEqual([]);
    expect(found(compileText(JWT(`  issuer "i"\n  audience "a"\n  jwks "not a url"`)), "E204")).toHaveLength(1);
    const hs = compileText(JWT(`${GOOD}\n  algorithms [RS256, HS256]`));
    expect(errorCodes(hs).join("\n")).toMatch(/HS256/);
    expect(errorCodes(compileText(JWT(`${GOOD}\n  algorithms [none]`))).join("\n")).toMatch(/none/);
  });

  it("allows one block per issuer", () => {
    const r = compileText(`${BASE}
jwt a { issuer "https://i/"  audience "x"  jwks "https://i/jwks" }
jwt b { issuer "https://i/"  audience "y"  jwks "https://i/jwks" }
route r { to m }
`);
    expect(found(r, "E102").map((f) => f.message)).toEqual(["two `jwt` blocks verify issuer `https://i/`; a token finds its block by issuer, so keep one"]);
  });

  it("formats as a settings block, idempotently", () => {
    const text = JWT(GOOD);
    const once = formatText(text, "policy.route").text;
    expect(once).toContain('jwt corp {\n  issuer "https://login.example.com/"');
    expect(formatText(once!, "policy.route").text).toBe(once);
  });
});

describe("the revocation file setting", () => {
  it("is a path in the graph's gateway", () => {
    expect(compileText(`gateway { revoked "/etc/aigw/revoked.txt" }\n${BASE}route r { to m }`).graph?.gateway.revoked).toBe("/etc/aigw/revoked.txt");
    expect(errorCodes(compileText(`gateway { revoked 3 }\n${BASE}route r { to m }`))).toHaveLength(1);
  });
});

describe("scopes by label and metadata", () => {
  const SCOPED = (per: string) => `${BASE}
budget b { per ${per}  limit $5 per day }
route r { to m  budget b }
`;

  it("lower to `label:NAME` and `metadata:NAME`, and format back as written", () => {
    expect(compileText(SCOPED(`label("project")`)).graph?.budgets.b!.scope).toBe("label:project");
    expect(compileText(SCOPED(`metadata("app")`)).graph?.budgets.b!.scope).toBe("metadata:app");
    const text = SCOPED(`label("project")`);
    expect(formatText(text, "policy.route").text).toContain('per label("project")');
  });

  it("refuses a named scope without a name, a name on a scope that takes none, and an unknown scope", () => {
    expect(found(compileText(SCOPED("label")), "E205").map((f) => f.message)).toEqual(["`per label` needs the name of the label to count by"]);
    expect(found(compileText(SCOPED(`team("x")`)), "E205").map((f) => f.message)).toEqual(['`per team` takes no name; only `per label("…")` and `per metadata("…")` do']);
    expect(errorCodes(compileText(SCOPED(`claim("x")`))).join("\n")).toMatch(/per claim/);
    expect(errorCodes(compileText(SCOPED(`label("")`))).join("\n")).toMatch(/needs a name/);
  });

  it("counts each label value on its own in a policy test", async () => {
    const r = compileText(`${BASE}
budget per-project { per label("project")  limit $5 per day }
route r { to m  budget per-project }
test "apollo is spent" {
  request { label "project" "apollo" }
  given budget per-project spent $5
  expect status 429
}
`);
    expect(errorCodes(r)).toEqual([]);
    expect(r.tests[0]!.request.labels).toEqual({ project: "apollo" });
    const results = await runPolicyTests(r.graph!, r.tests);
    expect(results.map((t) => [t.passed, t.message])).toEqual([[true, undefined]]);
  });
});
