/**
 * What the usage tests serve and send: a policy with two teams' keys, a
 * budget, a redacting and a blocking guardrail, a route with a fallback and
 * the state in a SQLite file, served by a real `aigw serve` (in-process,
 * test/observe/serve.ts) in front of a fake OpenAI upstream; and traffic
 * through the official OpenAI SDK that touches every column of the ledger:
 * successes, a fallback after a 503, a redaction, a guardrail block and an
 * unknown key.
 */
import OpenAI from "openai";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { policyDir } from "../support/cli.js";
import { behave, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { serve, type Served } from "../observe/serve.js";

export const KEY_SEARCH = "sk-usage-search-secret-0001";
export const KEY_SUPPORT = "sk-usage-support-secret-0002";
export const UNKNOWN_KEY = "sk-usage-unknown-secret-0003";
export const ADMIN_TOKEN = "usage-admin-token-secret-0004";
export const PROVIDER_KEY = "sk-usage-provider-secret-0005";
export const SECRETS = [KEY_SEARCH, KEY_SUPPORT, UNKNOWN_KEY, ADMIN_TOKEN, PROVIDER_KEY, hashKey(KEY_SEARCH), hashKey(KEY_SUPPORT)];
export const ENV = { AIGW_ADMIN: ADMIN_TOKEN, UP_KEY: PROVIDER_KEY };

export function usagePolicy(upstream: string): string {
  return `gateway {
  auth keys
  admin_token env("AIGW_ADMIN")
  state sqlite("state.db")
  usage_retention 7d
}
provider up { api openai  base_url "${upstream}"  key env("UP_KEY") }
keys {
  "${hashKey(KEY_SEARCH)}" team "search" user "ana"
  "${hashKey(KEY_SUPPORT)}" team "support"
}
model mini = up/"gpt-4o-mini" { input $1/Mtok  output $2/Mtok  max_output 1k }
model big = up/"gpt-4o" { input $10/Mtok  output $30/Mtok  max_output 1k }
budget daily { per team  limit $10 per day  exceeded reject }
guardrail pii { on input  redact email }
guardrail stop { on input  block when text matches /forbidden/ }
route chat {
  when model == "chat"
  guard pii, stop
  budget daily
  to mini
  fallback big on 5xx
}
`;
}

export interface UsageScene {
  dir: string;
  up: FakeUpstream;
  gw: Served;
  /** The request id of the request that fell back. */
  fallbackId: string;
}

/** Starts the upstream and the gateway on a fresh policy directory. */
export async function startScene(): Promise<Omit<UsageScene, "fallbackId">> {
  const up = await startUpstream("openai");
  const dir = policyDir({ "main.route": usagePolicy(up.baseUrl) });
  const gw = await serve(dir, ENV, ["--no-access-log"]);
  return { dir, up, gw };
}

const client = (base: string, key: string) => new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0, timeout: 10_000 });
const ask = (text: string) => ({ model: "chat", messages: [{ role: "user" as const, content: text }] });

/**
 * The traffic: search sends 3 answered requests and one that falls back from
 * mini (503) to big; support sends one with an email (redacted) and one the
 * guardrail blocks; an unknown key is refused. With the upstream's usage of
 * 11 prompt and 7 completion tokens: search costs 3 × 25 + 320 µ$, support
 * 25 µ$. Resolves with the fallback's request id.
 */
export async function sendTraffic(scene: Omit<UsageScene, "fallbackId">): Promise<string> {
  const search = client(scene.gw.base, KEY_SEARCH);
  const support = client(scene.gw.base, KEY_SUPPORT);
  for (let i = 0; i < 3; i++) await search.chat.completions.create(ask(`question ${i}`));
  scene.up.next(behave.fail(503));
  const fell = await search.chat.completions.create(ask("this one falls back")).withResponse();
  await support.chat.completions.create(ask("write to jane.doe@example.com"));
  await support.chat.completions.create(ask("something forbidden")).catch((e: unknown) => {
    if (!(e instanceof OpenAI.BadRequestError)) throw e;
  });
  await client(scene.gw.base, UNKNOWN_KEY)
    .chat.completions.create(ask("who am I"))
    .catch((e: unknown) => {
      if (!(e instanceof OpenAI.AuthenticationError)) throw e;
    });
  return fell.response.headers.get("x-request-id")!;
}

/** `GET base/admin/usage?query` with the admin token. */
export async function adminUsage(base: string, query: string): Promise<Response> {
  return fetch(`${base}/admin/usage?${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
}
