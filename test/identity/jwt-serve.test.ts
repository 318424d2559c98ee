/**
 * Callers identified by JWTs, against the real gateway (uWebSockets.js,
 * the real pipeline) with a JWKS served over HTTP on 127.0.0.1 and tokens
 * signed with jose, called with the official `openai` SDK: claims as facts
 * and as budget/limit scopes, every way a token can be wrong (expired,
 * another audience or issuer, `alg: none`, an HMAC token, a tampered
 * payload, an unknown key), the issuer's keys unreachable (503, not 401),
 * the revocation file (by token id, by subject, by key hash; a bad edit
 * keeps the list in force), and the token never echoed.
 */
import { createServer, type Server } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type JWTPayload } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeGateways, delay, hello, KEY, KEY_HASH, policy, serve, type Started } from "../server/helpers.js";

const ISSUER = "https://login.example.test/";
type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let signing: Keys;
let other: Keys;
let jwks: Server;
let jwksUrl: string;
let jwksCalls = 0;
let published: JWK[] = [];

beforeAll(async () => {
  signing = await generateKeyPair("RS256", { extractable: true });
  other = await generateKeyPair("RS256", { extractable: true });
  published = [{ ...(await exportJWK(signing.publicKey)), kid: "k1", alg: "RS256", use: "sig" }];
  jwks = createServer((_req, res) => {
    jwksCalls++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((r) => jwks.listen(0, "127.0.0.1", r));
  const address = jwks.address();
  jwksUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/jwks.json`;
});
afterAll(() => new Promise<void>((r) => jwks.close(() => r())));
afterEach(closeGateways);

async function token(claims: JWTPayload, opts: { key?: Keys; kid?: string; exp?: string | number; aud?: string; iss?: string } = {}): Promise<string> {
  return new SignJWT({ org: "acme", ...claims })
    .setProtectedHeader({ alg: "RS256", kid: opts.kid ?? "k1" })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? "aigw")
    .setSubject(typeof claims.sub === "string" ? claims.sub : "ana")
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? "10m")
    .sign((opts.key ?? signing).privateKey);
}

function source(revoked?: string, url = jwksUrl): string {
  return `
gateway { state memory ${revoked === undefined ? "" : `revoked ${JSON.stringify(revoked)}`} }
provider mock { api mock }
model echo = mock/"echo"
model gold = mock/"gold"
keys { "${KEY_HASH}" team "search" }
jwt corp {
  issuer "${ISSUER}"
  audience "aigw"
  jwks "${url}"
  team "org"
}
limit per-org { per label("org")  requests 2 per minute }
route gold { when label("tier") == "gold"  to gold }
route chat { to echo  limit per-org }
`;
}

const client = (s: Started, apiKey: string) => new OpenAI({ apiKey, baseURL: `${s.base}/v1`, maxRetries: 0, timeout: 10_000 });
const post = (s: Started, bearer: string) =>
  fetch(`${s.base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` }, body: JSON.stringify(hello("echo")) });

describe("jwt callers", () => {
  it("routes on a token's claims, counts limits per claim, and keeps static keys working", async () => {
    const s = await serve(policy(source()));
    const gold = await client(s, await token({ tier: "gold", sub: "bo" })).chat.completions.create(hello("echo"));
    expect(gold.model).toBe("gold");
    const acme = client(s, await token({}));
    await acme.chat.completions.create(hello("echo"));
    await acme.chat.completions.create(hello("echo"));
    await expect(acme.chat.completions.create(hello("echo"))).rejects.toMatchObject({ status: 429 });
    // Another org has its own counter; a key caller (no org label) has the "no org" one.
    await expect(client(s, await token({ org: "globex" })).chat.completions.create(hello("echo"))).resolves.toMatchObject({ model: "echo" });
    await expect(s.client.chat.completions.create(hello("echo"))).resolves.toMatchObject({ model: "echo" });
    // The access log names the team from the `org` claim and the subject-derived key, never the token.
    const entry = s.access.find((e) => JSON.stringify(e).includes("globex"));
    expect(JSON.stringify(entry)).toContain("jwt:corp:ana");
    expect(JSON.stringify(s.access)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });

  it("refuses every wrong token with a 401 that names the rule and never echoes the token", async () => {
    const s = await serve(policy(source()));
    const hmac = await new SignJWT({ org: "acme" }).setProtectedHeader({ alg: "HS256", kid: "k1" }).setIssuer(ISSUER).setAudience("aigw").setExpirationTime("10m").sign(new TextEncoder().encode("a-shared-secret-of-32-bytes-long!"));
    const valid = await token({});
    const [head, payload, sig] = valid.split(".");
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), org: "globex" })).toString("base64url")}.${sig}`;
    const cases: [string, string, RegExp][] = [
      ["expired", await token({}, { exp: Math.floor(Date.now() / 1000) - 3600 }), /expired/],
      ["another audience", await token({}, { aud: "someone-else" }), /`aud` claim/],
      ["an unknown issuer", await token({}, { iss: "https://evil.example/" }), /issuer/],
      ["alg none", new UnsecuredJWT({ org: "acme" }).setIssuer(ISSUER).setAudience("aigw").setExpirationTime("10m").encode() + "AAAAAAAAAAAAAAAAAAAAAAAA", /not a well-formed JWT|not a valid JWT|algorithm/],
      ["an HMAC token", hmac, /algorithm/],
      ["a tampered payload", tampered, /signature/],
      ["a key the issuer does not publish", await token({}, { key: other, kid: "k9" }), /key the issuer does not publish/],
      ["another key under a published kid", await token({}, { key: other }), /signature/],
    ];
    for (const [what, bad, message] of cases) {
      const res = await post(s, bad);
      const body = await res.text();
      expect({ what, status: res.status }).toEqual({ what, status: 401 });
      expect({ what, message: JSON.parse(body).error.message }).toEqual({ what, message: expect.stringMatching(message) });
      expect(body).not.toContain(bad.split(".")[1]!.slice(0, 20));
    }
    expect(JSON.stringify(s.logs)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });

  it("survives pathological tokens: huge, JSON-less, deeply nested claims, and a burst of distinct forged ones", async () => {
    const s = await serve(policy(source()));
    const b64 = (o: unknown): string => Buffer.from(typeof o === "string" ? o : JSON.stringify(o)).toString("base64url");
    const nested = `{"iss":"${ISSUER}","aud":"aigw","deep":${"[".repeat(5000)}1${"]".repeat(5000)}}`;
    const bad = [
      `${b64({ alg: "RS256", kid: "k1" })}.${b64({ iss: ISSUER, pad: "x".repeat(12_000) })}.${"s".repeat(40)}`,
      `${b64("not json")}.${b64("nor this")}.${"s".repeat(40)}`,
      `${b64({ alg: "RS256", kid: "k1" })}.${b64(nested)}.${"s".repeat(40)}`,
    ];
    for (const t of bad) expect([401, 431]).toContain((await post(s, t)).status);
    const forged = await Promise.all(Array.from({ length: 50 }, async (_, i) => (await token({ org: `o${i}` }, { key: other })).toString()));
    const statuses = await Promise.all(forged.map((t) => post(s, t).then((r) => r.status)));
    expect(new Set(statuses)).toEqual(new Set([401]));
    // The gateway still answers a good token at once.
    expect((await post(s, await token({}))).status).toBe(200);
  });

  it("answers 503 with Retry-After, not 401, when the issuer's keys cannot be fetched", async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const port = (dead.address() as { port: number }).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const s = await serve(policy(source(undefined, `http://127.0.0.1:${port}/jwks.json`)));
    const res = await post(s, await token({}));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("auth_unavailable");
  });

  it("verifies a token's signature once, fetching the key set once for many requests", async () => {
    const before = jwksCalls;
    const s = await serve(policy(source()));
    const t = await token({ org: "initech" });
    for (let i = 0; i < 2; i++) expect((await post(s, t)).status).toBe(200);
    for (let i = 0; i < 3; i++) await post(s, await token({ org: `org-${i}` }));
    expect(jwksCalls - before).toBe(1);
  });
});

describe("a static key set", () => {
  it("reads `jwks_file` and `revoked` relative to the policy directory, and refuses to start without the key file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigw-jwks-"));
    writeFileSync(join(dir, "keys.json"), JSON.stringify({ keys: published }));
    writeFileSync(join(dir, "revoked.txt"), "sub:mallory\n");
    const text = source("revoked.txt").replace(`jwks "${jwksUrl}"`, 'jwks_file "keys.json"');
    const before = jwksCalls;
    const s = await serve(policy(text), { baseDir: dir });
    expect((await post(s, await token({}))).status).toBe(200);
    expect((await post(s, await token({ sub: "mallory" }))).status).toBe(401);
    expect(jwksCalls).toBe(before);
    await expect(serve(policy(text), { baseDir: mkdtempSync(join(tmpdir(), "aigw-jwks-")) })).rejects.toThrow(/jwks_file "keys.json"|revoked/);
  });
});

describe("the revocation file", () => {
  it("revokes by token id, by subject and by key hash within seconds, and keeps the list in force over a bad edit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigw-revoked-"));
    const file = join(dir, "revoked.txt");
    writeFileSync(file, "# nothing revoked yet\n");
    const s = await serve(policy(source(file)));
    const byId = await token({ jti: "t-1", org: "a" });
    const bySub = await token({ sub: "mallory", org: "b" });
    expect((await post(s, byId)).status).toBe(200);
    expect((await post(s, bySub)).status).toBe(200);
    expect((await post(s, KEY)).status).toBe(200);

    writeFileSync(file, `jti:t-1\nsub:mallory # left the company\n${KEY_HASH}\n`);
    const until = async (bearer: string, status: number) => {
      for (let i = 0; i < 60 && (await post(s, bearer)).status !== status; i++) await delay(100);
      return (await post(s, bearer)).status;
    };
    expect(await until(byId, 401)).toBe(401);
    expect(await until(bySub, 401)).toBe(401);
    const refused = await post(s, KEY);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/revoked/);
    // Another token of another subject is unaffected.
    expect((await post(s, await token({ sub: "ana", org: "c" }))).status).toBe(200);

    // A line that is none of the three forms: the list in force stays, and the log says why.
    writeFileSync(file, `jti:t-1\nsub:mallory\n${KEY_HASH}\nsha256:not-a-hash\n`);
    for (let i = 0; i < 60 && !s.logs.some((l) => l.msg.startsWith("revocation list not reloaded")); i++) await delay(100);
    expect(s.logs.find((l) => l.msg.startsWith("revocation list not reloaded"))?.fields?.error).toMatch(/line 4/);
    expect((await post(s, KEY)).status).toBe(401);
  });

  it("refuses to start when the revocation file is missing or malformed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigw-revoked-"));
    await expect(serve(policy(source(join(dir, "missing.txt"))))).rejects.toThrow(/revoked .*missing\.txt/);
    writeFileSync(join(dir, "bad.txt"), "jti:ok\nthis is not an id\n");
    await expect(serve(policy(source(join(dir, "bad.txt"))))).rejects.toThrow(/line 2/);
  });
});
