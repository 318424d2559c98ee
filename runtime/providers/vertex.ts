/**
 * The Vertex AI adapter: Google's models on Vertex
 * (`/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent`
 * at `https://{location}-aiplatform.googleapis.com`, or `base_url`), the
 * same wire as the Gemini API (google-adapter.ts), authenticated with a
 * bearer token from a service account (google-auth.ts). The key is the
 * key file's JSON from `key env(…)`, or the file at `key_file`, read when
 * the first request needs a token. A key that cannot be read or a token
 * exchange that fails is an `UpstreamAuthError` (a 502; the caller's
 * request was fine) that names no secret. Claude models go to Anthropic's
 * publisher in the Messages wire (vertex-anthropic.ts). No embeddings:
 * Vertex serves them through a different method (`:predict`).
 */

import { readFile } from "node:fs/promises";
import type { ProviderNode } from "../../compiler/graph.js";
import { AttemptDeadline } from "./deadline.js";
import { UpstreamAbortedError, UpstreamAuthError, UpstreamError, UpstreamTimeoutError, originOf, type ErrorOrigin } from "./errors.js";
import { createGoogleAdapter, modelPath, type GoogleCredentials, type GoogleMethod } from "./google-adapter.js";
import { parseServiceAccount, ServiceAccountError, ServiceAccountTokens, type IssuedToken } from "./google-auth.js";
import { endpointOf, endpointUrl, type HttpDeps } from "./http-attempt.js";
import { postJson } from "./http.js";
import { excerpt, redact } from "./redact.js";
import type { ProviderAdapter, ProviderCall } from "./types.js";
import { isAnthropicModel, vertexAnthropic } from "./vertex-anthropic.js";

/** Vertex's public endpoint for `location` (`global` has no regional host). */
export function vertexBaseUrl(location: string): string {
  return location === "global" ? "https://aiplatform.googleapis.com" : `https://${location}-aiplatform.googleapis.com`;
}

/**
 * The URL of `method` for `model` of a Vertex provider: a model of
 * `publisher` (Google's, or Anthropic's for Claude), or, for a name with a
 * `/`, a resource under the location (`endpoints/123`).
 */
export function vertexUrl(provider: ProviderNode, model: string, method: GoogleMethod | "rawPredict" | "streamRawPredict", publisher = "google"): URL {
  const { project, location } = provider.vertex ?? { project: "", location: "" };
  const resource = model.includes("/") ? modelPath(model) : `publishers/${publisher}/models/${modelPath(model)}`;
  const path = `/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/${resource}:${method}`;
  return endpointUrl(provider.baseUrl ?? vertexBaseUrl(location), path);
}

/**
 * `p` as the attempt waits for it: within its timeout, until the caller
 * gives up. The exchange behind `p` goes on for the other callers.
 */
function within<T>(p: Promise<T>, call: ProviderCall, origin: ErrorOrigin): Promise<T> {
  const deadline = new AttemptDeadline(call.signal, call.timeoutMs);
  return new Promise<T>((resolve, reject) => {
    deadline.onAbort((reason) => reject(reason.abortCause === "timeout" ? new UpstreamTimeoutError(origin, call.timeoutMs, "waiting for an access token") : new UpstreamAbortedError(origin)));
    p.then(resolve, reject).finally(() => deadline.dispose());
  });
}

/** One provider's account: the key it was built from, and its tokens. */
interface Account {
  keyText: string;
  tokens: ServiceAccountTokens;
}

/** Creates the Vertex AI adapter over the shared pools. */
export function createVertexAdapter(deps: HttpDeps): ProviderAdapter {
  const accounts = new WeakMap<ProviderNode, Account>();

  /** Posts the assertion to the token endpoint, within the provider's timeout; failures name no secret (and no request: one exchange serves many). */
  const exchangeFor = (call: ProviderCall, origin: ErrorOrigin) => async (tokenUri: string, assertion: string): Promise<IssuedToken> => {
    const deadline = new AttemptDeadline(undefined, call.provider.timeoutMs);
    const body = new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }).toString();
    let reply;
    try {
      const headers = ["content-type", "application/x-www-form-urlencoded", "accept", "application/json"];
      reply = await postJson(deps.pools, { endpoint: endpointOf(new URL(tokenUri)), headers, body, deadline, origin, secrets: [assertion], now: deps.now });
    } catch (err) {
      if (err instanceof UpstreamError) throw new UpstreamAuthError(origin, `the service-account token exchange failed (${redact(err.message, [assertion])})`);
      throw err;
    } finally {
      deadline.dispose();
    }
    const json = reply.json as { access_token?: unknown; expires_in?: unknown } | null;
    if (typeof json?.access_token !== "string" || json.access_token === "" || typeof json.expires_in !== "number") {
      throw new UpstreamAuthError(origin, "the token endpoint's reply has no `access_token` and `expires_in`");
    }
    return { accessToken: json.access_token, expiresInSec: json.expires_in };
  };

  /** Key files, read once per loaded provider (a hot reload reads them again); a failed read is not kept. */
  const files = new WeakMap<ProviderNode, Promise<string>>();
  const keyText = (call: ProviderCall, origin: ErrorOrigin): Promise<string> => {
    if (call.key !== undefined) return Promise.resolve(call.key);
    const file = call.provider.vertex?.keyFile;
    if (file === undefined) return Promise.reject(new UpstreamAuthError(origin, "no service-account key: set `key` or `key_file`"));
    let text = files.get(call.provider);
    if (text === undefined) {
      text = readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
        files.delete(call.provider);
        throw new UpstreamAuthError(origin, `the service-account key file \`${excerpt(file, 200)}\` cannot be read (${err.code ?? "error"})`);
      });
      files.set(call.provider, text);
    }
    return text;
  };

  const account = async (call: ProviderCall, origin: ErrorOrigin): Promise<Account> => {
    const text = await keyText(call, origin);
    const known = accounts.get(call.provider);
    if (known !== undefined && known.keyText === text) return known;
    try {
      const a: Account = { keyText: text, tokens: new ServiceAccountTokens(parseServiceAccount(text), deps.now, exchangeFor(call, { provider: call.providerName })) };
      accounts.set(call.provider, a);
      return a;
    } catch (err) {
      if (err instanceof ServiceAccountError) throw new UpstreamAuthError(origin, err.message);
      throw err;
    }
  };

  const credentials = async (call: ProviderCall): Promise<GoogleCredentials> => {
    const origin = originOf(call);
    if (call.signal?.aborted) throw new UpstreamAbortedError(origin);
    const { tokens } = await account(call, origin);
    let token: string;
    try {
      token = await within(tokens.token(), call, origin);
    } catch (err) {
      if (err instanceof ServiceAccountError) throw new UpstreamAuthError(origin, err.message);
      throw err;
    }
    return { headers: ["authorization", `Bearer ${token}`], secrets: [token] };
  };

  const google = createGoogleAdapter(deps, { api: "vertex", url: vertexUrl, credentials });
  const claude = vertexAnthropic(deps, (call, method) => vertexUrl(call.provider, call.model.upstream, method, "anthropic"), credentials);
  return {
    api: "vertex",
    complete: (call) => (isAnthropicModel(call.model.upstream) ? claude.complete(call) : google.complete(call)),
    stream: (call) => (isAnthropicModel(call.model.upstream) ? claude.stream(call) : google.stream(call)),
  };
}
