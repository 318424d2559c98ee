/**
 * `api azure` and `api bedrock`: the settings each needs (with spans and
 * help), the settings each refuses, and what lowering writes into the graph.
 */
import { describe, expect, it } from "vitest";
import { compileText, errorCodes, found } from "./helpers.js";

const ROUTE = `route r { to m }\n`;

describe("api azure", () => {
  it("lowers base_url, the default api-version and api-key auth", () => {
    const r = compileText(`provider az { api azure base_url "https://res.openai.azure.com" key env("AZ_KEY") }
model m = az/"gpt-4o-prod" { input $2.50/Mtok output $10/Mtok }
${ROUTE}`);
    expect(errorCodes(r)).toEqual([]);
    expect(r.graph!.providers["az"]).toMatchObject({
      api: "azure",
      baseUrl: "https://res.openai.azure.com",
      key: { env: "AZ_KEY" },
      azure: { apiVersion: "2024-10-21", auth: "api-key" },
    });
  });

  it("lowers `token` as a bearer credential and an explicit api_version", () => {
    const r = compileText(`provider az { api azure base_url "https://res.openai.azure.com" token env("AZ_TOKEN") api_version "2025-01-01-preview" }
model m = az/"d"
${ROUTE}`);
    expect(errorCodes(r)).toEqual([]);
    expect(r.graph!.providers["az"]).toMatchObject({ key: { env: "AZ_TOKEN" }, azure: { apiVersion: "2025-01-01-preview", auth: "bearer" } });
  });

  it("E203: an azure provider without base_url, at the provider's name with help", () => {
    const r = compileText(`provider az { api azure key env("AZ_KEY") }`);
    expect(found(r, "E203")).toEqual([{ line: 1, column: 10, message: "provider `az` (`api azure`) needs the setting `base_url`" }]);
    expect(r.diagnostics.find((d) => d.code === "E203")!.help).toBe('add `base_url` followed by a string like "…"');
  });

  it("E202: key and token together; a token is no secret to inline", () => {
    const r = compileText(`provider az { api azure base_url "https://x" key env("A") token env("B") }
provider az2 { api azure base_url "https://x" token "eyJhbGciOi" }`);
    expect(found(r, "E202")).toEqual([{ line: 1, column: 59, message: "provider `az` takes `key` (an `api-key`) or `token` (an Entra ID bearer token), not both" }]);
    expect(found(r, "E201").map((f) => f.message)).toEqual(["an Entra ID token must not be written in the policy: read it from the environment with `env(\"NAME\")`"]);
  });

  it("E202: azure settings only on azure providers", () => {
    const r = compileText(`provider o { api openai api_version "2024-10-21" token env("T") }`);
    expect(found(r, "E202").map((f) => f.message)).toEqual([
      "`api_version` is a setting of `api azure` providers only, and provider `o` is not one",
      "`token` is a setting of `api azure` providers only, and provider `o` is not one",
    ]);
  });
});

describe("api bedrock", () => {
  it("lowers a literal region and the default AWS_* credentials", () => {
    const r = compileText(`provider aws { api bedrock region "us-east-1" }
model m = aws/"us.anthropic.claude-3-7-sonnet-20250219-v1:0" { input $3/Mtok output $15/Mtok }
${ROUTE}`);
    expect(errorCodes(r)).toEqual([]);
    expect(r.graph!.providers["aws"]!.bedrock).toEqual({
      region: { value: "us-east-1" },
      accessKey: { env: "AWS_ACCESS_KEY_ID" },
      secretKey: { env: "AWS_SECRET_ACCESS_KEY" },
      sessionToken: { env: "AWS_SESSION_TOKEN" },
    });
    expect(r.graph!.providers["aws"]!.key).toBeUndefined();
  });

  it("lowers a region and credentials read from named variables", () => {
    const r = compileText(`provider aws { api bedrock region env("BR_REGION") access_key env("BR_AK") secret_key env("BR_SK") session_token env("BR_ST") }
model m = aws/"m"
${ROUTE}`);
    expect(errorCodes(r)).toEqual([]);
    expect(r.graph!.providers["aws"]!.bedrock).toEqual({
      region: { env: "BR_REGION" },
      accessKey: { env: "BR_AK" },
      secretKey: { env: "BR_SK" },
      sessionToken: { env: "BR_ST" },
    });
  });

  it("E203: a bedrock provider without region, with help naming both forms", () => {
    const r = compileText(`provider aws { api bedrock }`);
    expect(found(r, "E203")).toEqual([{ line: 1, column: 10, message: "provider `aws` (`api bedrock`) needs the setting `region`" }]);
    expect(r.diagnostics.find((d) => d.code === "E203")!.help).toBe('add `region` followed by a string like "…" or `env("NAME")`');
  });

  it("E202: bedrock takes no key; E203: one credential without the other", () => {
    const r = compileText(`provider aws { api bedrock region "eu-west-1" key env("K") access_key env("AK") }`);
    expect(found(r, "E202")).toEqual([{ line: 1, column: 47, message: "provider `aws` signs its requests with AWS credentials and takes no `key`" }]);
    expect(found(r, "E203")).toEqual([{ line: 1, column: 60, message: "provider `aws` sets `access_key` but not `secret_key`" }]);
  });

  it("E201: a secret written inline, a region that is neither a string nor env", () => {
    const r = compileText(`provider aws { api bedrock region 5 secret_key "abc" access_key env("AK") }`);
    expect(found(r, "E201").map((f) => f.column)).toEqual([35, 48]);
  });

  it("E202: bedrock settings only on bedrock providers", () => {
    const r = compileText(`provider o { api openai region "us-east-1" }`);
    expect(found(r, "E202").map((f) => f.message)).toEqual(["`region` is a setting of `api bedrock` providers only, and provider `o` is not one"]);
  });

  it("W502: the default AWS variables a bedrock provider reads, when unset (the session token is optional)", () => {
    const text = `provider aws { api bedrock region "us-east-1" }
provider named { api bedrock region "us-east-1" access_key env("AK") secret_key env("SK") }
model m = aws/"x"
model n = named/"y"
route r { to m fallback n }
`;
    const unset = compileText(text);
    expect(found(unset, "W502")).toEqual([
      { line: 1, column: 10, message: "environment variable `AWS_ACCESS_KEY_ID` is not set" },
      { line: 1, column: 10, message: "environment variable `AWS_SECRET_ACCESS_KEY` is not set" },
      { line: 2, column: 60, message: "environment variable `AK` is not set" },
      { line: 2, column: 81, message: "environment variable `SK` is not set" },
    ]);
    expect(unset.diagnostics.find((d) => d.code === "W502")!.help).toContain('`access_key env("NAME")`');
    const set = compileText(text, { AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b", AK: "c", SK: "d" });
    expect(found(set, "W502")).toEqual([]);
  });
});
