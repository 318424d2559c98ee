/**
 * Adapter harnesses for the conformance suite: each one builds `Providers`
 * for one `api` kind and can make its upstream reply, fail, stall, or stall
 * after the first chunk, so one suite runs unchanged against every adapter.
 * The HTTP adapters talk to the fake upstreams; the mock runs in process
 * with a controllable sleep.
 */

import { expect } from "vitest";
import type { Graph, ModelNode, ProviderApi, ProviderNode, SourceRef } from "../../compiler/graph.js";
import { Providers, type Attempt, type ProvidersOptions } from "../../runtime/providers/index.js";
import type { Sleep } from "../../runtime/providers/types.js";
import { decodeChat } from "../../runtime/request/index.js";
import type { ChatCompletionRequest } from "../../runtime/request/openai-wire.js";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { azureBehave, startAzureUpstream, type AzureUpstream } from "../support/azure-upstream.js";
import { closeStrictServers } from "../support/strict-upstream.js";
import { bedrockBehave, startBedrockUpstream, type BedrockCredentials, type BedrockUpstream } from "../support/bedrock-upstream.js";
import { startGoogleUpstream, type GoogleKind, type GoogleUpstream } from "../support/google-upstream.js";
import { serviceAccount, startTokenEndpoint, type ServiceAccountKey, type TokenEndpoint } from "../support/google-token.js";

export const span: SourceRef = { file: "test.route", line: 1, column: 1, endLine: 1, endColumn: 1 };

/** A graph fragment with the given providers and one model per provider named `<provider>-model`. */
export function graphOf(providers: Record<string, ProviderNode>, upstream = "upstream-model"): Pick<Graph, "providers" | "models"> {
  const models: Record<string, ModelNode> = {};
  for (const name of Object.keys(providers)) models[`${name}-model`] = { provider: name, upstream, maxOutput: 321, span };
  return { providers, models };
}

export function attempt(model: string, body: Partial<ChatCompletionRequest> = {}, extra: Partial<Attempt> = {}): Attempt {
  return {
    request: decodeChat({ model: "chat", messages: [{ role: "user", content: "hello there" }], ...body }),
    model,
    requestId: "req-1",
    ...extra,
  };
}

export interface Harness {
  readonly api: ProviderApi;
  /** The model name to ask `Providers` for. */
  readonly model: string;
  readonly upstreamModel: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Fresh providers for the current arrangement. */
  providers(): Providers;
  /** The next request is answered normally, with a tool call when `tool` is set. */
  reply(tool?: { name: string; arguments: Record<string, unknown> }): void;
  /** The next request fails with `status`; with `echoAuth`, the upstream's error message quotes the credentials it received. */
  fail(status: number, echoAuth?: boolean): void;
  /** The credentials the upstream receives (the key, the tokens issued so far), for the secret-echo test; empty when there are none. */
  secrets(): string[];
  /** The next request is not answered until it is aborted. */
  stall(): void;
  /** The next request takes longer than a 150ms attempt timeout. */
  slow(): void;
  /** The reply text to expect when the user said `said`. */
  expectedText(said: string): string;
  /** The tool arguments to expect after `reply(tool)`. */
  expectedArgs(tool: { arguments: Record<string, unknown> }): Record<string, unknown>;
  /** Resolves once the upstream has received the request. */
  received(): Promise<void>;
  /** Resolves once the upstream saw the request cancelled. */
  sawCancel(): Promise<void>;
}

/** Harness for an HTTP adapter against a fake upstream of the same wire format. */
export function httpHarness(api: "openai" | "anthropic"): Harness {
  let up: FakeUpstream;
  let requestsBefore = 0;
  return {
    api,
    model: "p-model",
    upstreamModel: "upstream-model",
    async start() {
      up = await startUpstream(api);
    },
    stop: closeAllUpstreams,
    providers() {
      requestsBefore = up.requests.length;
      const provider: ProviderNode = { api, baseUrl: up.baseUrl, key: { env: "KEY" }, timeoutMs: 5_000, span };
      return new Providers(graphOf({ p: provider }), { resolveSecret: () => "sk-test-key-0123456789" });
    },
    reply: (tool) => up.next(behave.reply(tool ? { text: "", toolCalls: [tool] } : { text: "fine, thanks" })),
    fail: (status, echoAuth = false) => up.next(behave.fail(status, { echoAuth })),
    secrets: () => ["sk-test-key-0123456789"],
    stall: () => up.next(behave.stallHeaders()),
    slow: () => up.next(behave.stallHeaders()),
    expectedText: () => "fine, thanks",
    expectedArgs: (tool) => tool.arguments,
    received: () => up.waitForRequests(requestsBefore + 1),
    sawCancel: async () => {
      await up.waitForRequests(requestsBefore + 1);
      await up.requests[requestsBefore]!.aborted;
    },
  };
}

/** Harness for the in-process mock: failures through its settings, stalls through its sleep. */
export function mockHarness(): Harness {
  let settings: NonNullable<ProviderNode["mock"]>;
  let stall = false;
  let called!: () => void;
  let calledP: Promise<void>;
  let cancelled!: () => void;
  let cancelledP: Promise<void>;

  const sleep: Sleep = (_ms, signal) => {
    called();
    if (!stall) return Promise.resolve();
    return new Promise((_resolve, reject) => {
      signal?.addEventListener("abort", () => {
        cancelled();
        reject(signal.reason);
      });
    });
  };
  const reset = () => {
    settings = { latencyMs: 1, failRate: 0, failStatus: 500 };
    stall = false;
    calledP = new Promise((r) => (called = r));
    cancelledP = new Promise((r) => (cancelled = r));
  };
  reset();

  return {
    api: "mock",
    model: "p-model",
    upstreamModel: "upstream-model",
    start: async () => reset(),
    stop: async () => reset(),
    providers() {
      // The settings are read at each call, so arranging after `providers()` works as for HTTP.
      const provider: ProviderNode = {
        api: "mock",
        timeoutMs: 5_000,
        span,
        get mock() {
          return settings;
        },
      };
      const options: ProvidersOptions = { resolveSecret: () => undefined, sleep, random: () => 0.5, now: () => 1_700_000_000_000 };
      return new Providers(graphOf({ p: provider }), options);
    },
    reply: () => undefined,
    fail: (status) => void (settings = { ...settings, failRate: 100, failStatus: status }),
    secrets: () => [],
    stall: () => {
      stall = true;
      settings = { ...settings, latencyMs: 60_000 };
    },
    // With the instant sleep, a latency above the timeout fails at once as a timeout.
    slow: () => void (settings = { ...settings, latencyMs: 60_000 }),
    expectedText: (said) => `mock: ${said}`,
    expectedArgs: () => ({}),
    received: () => calledP,
    sawCancel: () => cancelledP,
  };
}

export const GEMINI_TEST_KEY = "AIzaSy-test-key-0123456789";

/** Harness for the Google adapters against the fake Gemini API or Vertex AI (with its fake token endpoint). */
export function googleHarness(kind: GoogleKind, upstreamModel = "upstream-model"): Harness {
  let up: GoogleUpstream;
  let tokens: TokenEndpoint | undefined;
  let account: ServiceAccountKey | undefined;
  let requestsBefore = 0;
  return {
    api: kind,
    model: "p-model",
    upstreamModel,
    async start() {
      if (kind === "vertex") {
        tokens = await startTokenEndpoint(() => account!);
        account = await serviceAccount(tokens.tokenUri);
      }
      up = await startGoogleUpstream(kind, { apiKey: GEMINI_TEST_KEY, tokenValid: (t) => tokens?.isValid(t) ?? false, project: "aigw-test", location: "us-central1" });
    },
    async stop() {
      await up.close();
      await tokens?.close();
    },
    providers() {
      requestsBefore = up.requests.length;
      const vertex = kind === "vertex" ? { vertex: { project: "aigw-test", location: "us-central1" } } : {};
      const provider: ProviderNode = { api: kind, baseUrl: up.baseUrl, key: { env: "KEY" }, timeoutMs: 5_000, span, ...vertex };
      return new Providers(graphOf({ p: provider }, upstreamModel), { resolveSecret: () => (kind === "vertex" ? account!.json : GEMINI_TEST_KEY) });
    },
    reply: (tool) => up.next({ kind: "reply", reply: tool ? { toolCalls: [{ name: tool.name, args: tool.arguments }] } : {} }),
    fail: (status, echoAuth = false) => up.next({ kind: "fail", status, echoAuth }),
    secrets: () => (kind === "vertex" ? [...tokens!.issued, account!.privateKeyPem.split("\n")[1]!] : [GEMINI_TEST_KEY]),
    stall: () => up.next({ kind: "stall" }),
    slow: () => up.next({ kind: "stall" }),
    expectedText: () => "fine, thanks",
    expectedArgs: (tool) => tool.arguments,
    received: () => up.waitForRequests(requestsBefore + 1),
    sawCancel: async () => {
      await up.waitForRequests(requestsBefore + 1);
      await up.requests[requestsBefore]!.aborted;
    },
  };
}

const AZURE_TEST_KEY = "azure-key-0123456789";

/** Harness for `api azure` against the strict fake Azure resource (test/support/azure-upstream.ts). */
export function azureHarness(): Harness {
  let up: AzureUpstream;
  let before = 0;
  return {
    api: "azure",
    model: "p-model",
    upstreamModel: "upstream-model",
    async start() {
      up = await startAzureUpstream({ apiKey: AZURE_TEST_KEY, deployments: ["upstream-model"] });
    },
    async stop() {
      expect(up.violations).toEqual([]);
      await closeStrictServers();
    },
    providers() {
      before = up.requests.length;
      const provider: ProviderNode = { api: "azure", baseUrl: up.baseUrl, key: { env: "KEY" }, timeoutMs: 5_000, azure: { apiVersion: "2024-10-21", auth: "api-key" }, span };
      return new Providers(graphOf({ p: provider }), { resolveSecret: () => AZURE_TEST_KEY });
    },
    reply: (tool) => up.next(azureBehave.reply(tool ? { text: "", toolCalls: [tool] } : { text: "fine, thanks" })),
    fail: (status, echoAuth = false) => up.next(azureBehave.fail(status, { echoAuth })),
    secrets: () => [AZURE_TEST_KEY],
    stall: () => up.next(azureBehave.stall()),
    slow: () => up.next(azureBehave.stall()),
    expectedText: () => "fine, thanks",
    expectedArgs: (tool) => tool.arguments,
    received: () => up.waitForRequests(before + 1),
    sawCancel: async () => {
      await up.waitForRequests(before + 1);
      await up.requests[before]!.aborted;
    },
  };
}

/** Temporary credentials (with a session token), as a role would give, for the Bedrock fake. */
/** A Bedrock inference profile the fake Bedrock upstream serves (Claude on Bedrock). */
export const BEDROCK_PROFILE = "us.anthropic.claude-3-7-sonnet-20250219-v1:0";

export const AWS_CREDS: Required<BedrockCredentials> = {
  region: "us-west-2",
  accessKeyId: "ASIAFAKEACCESSKEY123",
  secretAccessKey: "fakeSecretKey/abcdefghijklmnopqrstuvwxyz0123",
  sessionToken: "FwoGZXIvYXdzEFAKESESSIONTOKEN0123456789abcdefghijklmnop",
};

/** A `bedrock` provider node reading AWS_CREDS through `resolveSecret`. */
export function bedrockProviders(baseUrl: string, models: Record<string, string>, creds: BedrockCredentials = AWS_CREDS): Providers {
  const provider: ProviderNode = {
    api: "bedrock",
    baseUrl,
    timeoutMs: 5_000,
    bedrock: { region: { value: creds.region }, accessKey: { env: "AK" }, secretKey: { env: "SK" }, sessionToken: { env: "ST" } },
    span,
  };
  const env: Record<string, string | undefined> = { AK: creds.accessKeyId, SK: creds.secretAccessKey, ST: creds.sessionToken };
  const modelNodes: Record<string, ModelNode> = {};
  for (const [name, upstream] of Object.entries(models)) modelNodes[name] = { provider: "p", upstream, maxOutput: 321, span };
  return new Providers({ providers: { p: provider }, models: modelNodes }, { resolveSecret: (ref) => env[ref.env] });
}

/** The exception AWS names for each status the conformance suite asks for (a 401 is an unrecognized client). */
const AWS_EXCEPTIONS: Readonly<Record<number, string>> = {
  400: "ValidationException",
  401: "UnrecognizedClientException",
  403: "AccessDeniedException",
  429: "ThrottlingException",
  500: "InternalServerException",
  503: "ServiceUnavailableException",
};

/** Harness for `api bedrock` against the strict, signature-checking fake (test/support/bedrock-upstream.ts). */
export function bedrockHarness(): Harness {
  let up: BedrockUpstream;
  let before = 0;
  return {
    api: "bedrock",
    model: "p-model",
    upstreamModel: "upstream-model",
    async start() {
      up = await startBedrockUpstream(AWS_CREDS, ["upstream-model"]);
    },
    async stop() {
      expect(up.violations).toEqual([]);
      await closeStrictServers();
    },
    providers() {
      before = up.requests.length;
      return bedrockProviders(up.baseUrl, { "p-model": "upstream-model" });
    },
    reply: (tool) => up.next(bedrockBehave.reply(tool ? { text: "", toolCalls: [tool] } : { text: "fine, thanks" })),
    fail: (status, echoAuth = false) => up.next(bedrockBehave.fail(status, AWS_EXCEPTIONS[status] ?? "InternalServerException", { echoAuth })),
    // The signatures too: each request's, read from what the fake received.
    secrets: () => [AWS_CREDS.secretAccessKey, AWS_CREDS.sessionToken, ...up.requests.map((r) => /Signature=([0-9a-f]+)/.exec(String(r.headers["authorization"]))?.[1] ?? "")].filter((s) => s !== ""),
    stall: () => up.next(bedrockBehave.stall()),
    slow: () => up.next(bedrockBehave.stall()),
    expectedText: () => "fine, thanks",
    expectedArgs: (tool) => tool.arguments,
    received: () => up.waitForRequests(before + 1),
    sawCancel: async () => {
      await up.waitForRequests(before + 1);
      await up.requests[before]!.aborted;
    },
  };
}
