/**
 * No secret reaches the logs, the metrics or a response under error paths:
 * the provider key (from the environment) echoed back by an upstream 401,
 * the caller's bearer key (known and unknown), and the admin token (a wrong
 * one and the right one), with decision records and bodies logged too —
 * also in what the usage endpoints and the dashboard answer
 * (`/admin/usage`, `/admin/requests`, `/ui`).
 */
import { afterAll, describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { requireAdmin } from "../../runtime/server/admin/index.js";
import type { RouteTable } from "../../runtime/server/admin/index.js";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { azureBehave, startAzureUpstream } from "../support/azure-upstream.js";
import { bedrockBehave, startBedrockUpstream } from "../support/bedrock-upstream.js";
import { closeStrictServers } from "../support/strict-upstream.js";
import { AWS_CREDS } from "../providers/harness.js";
import { accessCount, ask, closeObserved, observed, post } from "./helpers.js";
import { memoryUsageStore, UsageLedger } from "../../runtime/usage/index.js";
import { startGoogleUpstream } from "../support/google-upstream.js";
import { serviceAccount, startTokenEndpoint, type ServiceAccountKey } from "../support/google-token.js";

const PROVIDER_KEY = "sk-provider-secret-abcdef0123456789";
const CALLER_KEY = "sk-caller-secret-0123456789abcdef";
const UNKNOWN_KEY = "sk-unknown-secret-9876543210fedcba";
const ADMIN_TOKEN = "admin-secret-token-0123456789";
const WRONG_ADMIN = "admin-wrong-token-9876543210";
const SECRETS = [PROVIDER_KEY, CALLER_KEY, UNKNOWN_KEY, ADMIN_TOKEN, WRONG_ADMIN];

afterAll(async () => {
  await closeObserved();
  await closeAllUpstreams();
  await closeStrictServers();
});

describe("secrets stay out of logs and metrics", () => {
  it("under an upstream 401 echoing the key, an unknown key and bad admin tokens", async () => {
    const up = await startUpstream("openai");
    const text = `gateway { auth keys  admin_token env("AIGW_ADMIN")  log_bodies true }
provider up { api openai  base_url "${up.baseUrl}"  key env("UP_KEY") }
provider down { api openai  base_url "${up.baseUrl}"  key env("UP_KEY") }
keys { "${hashKey(CALLER_KEY)}" team "search" }
model a = up/"a" { input $1/Mtok  output $1/Mtok }
model b = down/"b"
route chat { when model == "chat" and header("x-tier") != "x"  to a  fallback b on 401, 5xx }
`;
    const graph = compileSources([{ path: "main.route", text }]).graph!;
    const env = { UP_KEY: PROVIDER_KEY, AIGW_ADMIN: ADMIN_TOKEN };
    let current = graph;
    const routes: RouteTable = {
      "/admin/ping": {
        GET: (req, res) => {
          requireAdmin(req, current, env);
          res.send(200, [["content-type", "application/json"]], '{"ok":true}');
        },
      },
    };
    const usage = new UsageLedger({ store: memoryUsageStore(), clock: Date.now, retentionMs: () => 86_400_000, flushMs: 0 });
    const o = await observed(graph, { world: { env }, routes, observe: { logDecisions: true }, usage });
    current = o.gw.graph;
    const responses: string[] = [];
    const keep = async (r: Response) => {
      responses.push(JSON.stringify([...r.headers]) + (await r.text()));
      return r.status;
    };

    // the upstream answers 401 and puts the provider key it received in its message, twice (both targets)
    up.next(behave.fail(401, { echoAuth: true }), behave.fail(401, { echoAuth: true }));
    expect(await keep(await post(o.base, ask("chat", `my key is ${CALLER_KEY}`), { authorization: `Bearer ${CALLER_KEY}` }))).toBe(502);
    expect(up.requests[0]!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    // an unknown bearer key, and an upstream 500 that echoes the key
    expect(await keep(await post(o.base, ask("chat"), { authorization: `Bearer ${UNKNOWN_KEY}` }))).toBe(401);
    up.next(behave.fail(500, { echoAuth: true }), behave.fail(500, { echoAuth: true }));
    expect(await keep(await post(o.base, ask("chat", "hi", { stream: true }), { authorization: `Bearer ${CALLER_KEY}` }))).toBe(502);
    // the admin endpoint with a wrong token, a malformed header, and the right token
    expect(await keep(await fetch(`${o.base}/admin/ping`, { headers: { authorization: `Bearer ${WRONG_ADMIN}` } }))).toBe(401);
    expect(await keep(await fetch(`${o.base}/admin/ping`, { headers: { authorization: WRONG_ADMIN } }))).toBe(401);
    expect(await keep(await fetch(`${o.base}/admin/ping`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }))).toBe(200);
    // a successful request whose prompt holds the caller's key (bodies are logged in this policy)
    const ok = await post(o.base, ask("chat", "ok"), { authorization: `Bearer ${CALLER_KEY}` });
    const okId = ok.headers.get("x-request-id")!;
    expect(await keep(ok)).toBe(200);
    await accessCount(o, 4);
    // the usage endpoints and the dashboard, with the wrong token and the right one
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect(await keep(await fetch(`${o.base}/admin/usage?by=key`, { headers: { authorization: `Bearer ${WRONG_ADMIN}` } }))).toBe(401);
    for (const path of ["/admin/usage?by=key", "/admin/usage?by=team&step=1h", `/admin/requests?id=${okId}`, "/admin/requests", "/admin/health", "/ui", "/ui/app.js"]) {
      expect(await keep(await fetch(`${o.base}${path}`, { headers: admin })), path).toBe(200);
    }
    expect(responses.some((r) => r.includes('"keyId":"sha256:'))).toBe(true);

    const { text: metrics } = await o.metrics();
    const logs = o.text();
    expect(o.access()).toHaveLength(4);
    expect(o.access()[0]!.decision).toBeDefined();
    for (const secret of SECRETS) {
      expect(logs, `log leaks ${secret}`).not.toContain(secret);
      expect(metrics, `metrics leak ${secret}`).not.toContain(secret);
      for (const r of responses) expect(r, `a response leaks ${secret}`).not.toContain(secret);
    }
    // bodies are logged in this policy: the key pasted into the prompt is logged as the api_key placeholder
    const first = o.access()[0]!;
    expect(first.requestBody).toEqual([{ role: "user", content: "my key is [API_KEY]" }]);
    expect(first.keyId).toBe(hashKey(CALLER_KEY).slice(0, "sha256:".length + 12));
    expect(first.attempts!.map((a) => a.status)).toEqual([401, 401]);
  });

  it("for Google: the Gemini key and Vertex's OAuth token echoed by upstream errors, and a refused token exchange", async () => {
    const GEMINI_KEY = "AIzaSy-secret-gemini-0123456789";
    let account!: ServiceAccountKey;
    const tokens = await startTokenEndpoint(() => account);
    account = await serviceAccount(tokens.tokenUri);
    const gemini = await startGoogleUpstream("gemini", { apiKey: GEMINI_KEY });
    const vertex = await startGoogleUpstream("vertex", { tokenValid: (t) => tokens.isValid(t), project: "aigw-test", location: "us-central1" });
    try {
      const text = `gateway { auth none  log_bodies true }
provider gm { api gemini  base_url "${gemini.baseUrl}"  key env("GM_KEY") }
provider vx { api vertex  base_url "${vertex.baseUrl}"  project "aigw-test"  location "us-central1"  key env("SA_JSON") }
model flash = gm/"gemini-2.5-flash"
model pro = vx/"gemini-2.5-pro"
route g { when model == "g"  to flash }
route v { when model == "v"  to pro }
`;
      const graph = compileSources([{ path: "main.route", text }]).graph!;
      const o = await observed(graph, { world: { env: { GM_KEY: GEMINI_KEY, SA_JSON: account.json } } });
      const responses: string[] = [];
      const keep = async (r: Response) => {
        responses.push(JSON.stringify([...r.headers]) + (await r.text()));
        return r.status;
      };
      gemini.next({ kind: "fail", status: 400, echoAuth: true }, { kind: "fail", status: 503, echoAuth: true });
      expect(await keep(await post(o.base, ask("g")))).toBe(400);
      expect(await keep(await post(o.base, ask("g", "hi", { stream: true })))).toBe(502);
      tokens.failNext(400, "Invalid JWT Signature.");
      expect(await keep(await post(o.base, ask("v")))).toBe(502);
      vertex.next({ kind: "fail", status: 401, echoAuth: true });
      expect(await keep(await post(o.base, ask("v")))).toBe(502);
      expect(await keep(await post(o.base, ask("v")))).toBe(200);
      await accessCount(o, 5);
      expect(tokens.issued.length).toBeGreaterThan(0);
      const secrets = [GEMINI_KEY, ...tokens.issued, account.json, account.privateKeyPem.split("\n")[1]!];
      const { text: metrics } = await o.metrics();
      const logs = o.text();
      expect(o.access()[2]!.attempts![0]).toMatchObject({ target: "pro", status: 502, error: "auth" });
      for (const secret of secrets) {
        expect(logs, `log leaks ${secret.slice(0, 12)}`).not.toContain(secret);
        expect(metrics, `metrics leak ${secret.slice(0, 12)}`).not.toContain(secret);
        for (const r of responses) expect(r, `a response leaks ${secret.slice(0, 12)}`).not.toContain(secret);
      }
    } finally {
      await gemini.close();
      await vertex.close();
      await tokens.close();
    }
  });

  it("under Bedrock and Azure errors echoing the secret key, the session token, the signature and the api-key", async () => {
    const AZ_KEY = "azure-secret-key-0123456789abcdef";
    const bedrock = await startBedrockUpstream(AWS_CREDS, ["anthropic.claude-3-5-haiku-20241022-v1:0"]);
    const azure = await startAzureUpstream({ apiKey: AZ_KEY, deployments: ["gpt-4o-prod"] });
    const text = `gateway { auth none  log_bodies true }
provider aws { api bedrock  region "${AWS_CREDS.region}"  base_url "${bedrock.baseUrl}"  access_key env("AK")  secret_key env("SK")  session_token env("ST") }
provider az { api azure  base_url "${azure.baseUrl}"  key env("AZ") }
model br = aws/"anthropic.claude-3-5-haiku-20241022-v1:0" { input $1/Mtok  output $1/Mtok }
model azm = az/"gpt-4o-prod" { input $1/Mtok  output $1/Mtok }
route chat { when model == "chat"  to br  fallback azm on 403, 5xx }
`;
    const graph = compileSources([{ path: "main.route", text }]).graph!;
    const env = { AK: AWS_CREDS.accessKeyId, SK: AWS_CREDS.secretAccessKey, ST: AWS_CREDS.sessionToken, AZ: AZ_KEY };
    const o = await observed(graph, { world: { env }, observe: { logDecisions: true } });
    const responses: string[] = [];
    const keep = async (r: Response) => {
      responses.push(JSON.stringify([...r.headers]) + (await r.text()));
      return r.status;
    };
    // both upstreams fail and put what they received (Authorization with its signature, the token, the secret; the api-key) in their messages
    for (const stream of [false, true]) {
      bedrock.next(bedrockBehave.fail(403, "AccessDeniedException", { echoAuth: true }));
      azure.next(azureBehave.fail(500, { echoAuth: true }));
      expect(await keep(await post(o.base, ask("chat", "hi", { stream })))).toBe(502);
    }
    await accessCount(o, 2);
    const signatures = bedrock.requests.map((r) => /Signature=([0-9a-f]{64})/.exec(String(r.headers["authorization"]))![1]!);
    expect(signatures).toHaveLength(2);
    expect(bedrock.violations).toEqual([]);
    const { text: metrics } = await o.metrics();
    const logs = o.text();
    expect(o.access().flatMap((a) => a.attempts!.map((t) => t.status))).toEqual([403, 500, 403, 500]);
    for (const secret of [AWS_CREDS.secretAccessKey, AWS_CREDS.sessionToken, AZ_KEY, ...signatures]) {
      expect(logs, `log leaks ${secret}`).not.toContain(secret);
      expect(metrics, `metrics leak ${secret}`).not.toContain(secret);
      for (const r of responses) expect(r, `a response leaks ${secret}`).not.toContain(secret);
    }
  });
});
