/**
 * A running gateway for the reliability fuzzer: a real uWS server with hot
 * reload wired the way `aigw serve` wires it from the built JavaScript —
 * its compiles on the real compile worker thread (the TypeScript sources
 * through ts-hooks.mjs), reports crossing the thread as JSON. The policy is
 * two files given as two paths: `gateway.route` (the admin token, never
 * mutated, so the admin endpoints outlive any mutant that goes live) and
 * `main.route`, which the fuzzer rewrites.
 */
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { startGateway } from "../../runtime/server/app.js";
import type { Logger } from "../../runtime/observe/log.js";
import { fsSource, Reloader, reloadRoutes, workerVerifier } from "../../runtime/server/reload/index.js";
import type { WorkerLike } from "../../runtime/server/reload/verifier.js";
import { WORKER_MARK } from "../../runtime/server/reload/verify-worker.js";
import { ENV, tempDir } from "../reload/helpers.js";

export const GATEWAY_ROUTE = 'gateway { auth none admin_token env("AIGW_ADMIN_TOKEN") }\n';

/**
 * The policy the gateway starts on: mock providers only (a mutant can only
 * reuse its tokens, so no mutant can reach the network or sleep), and a bit
 * of everything a mutation can break: prices, a guardrail, a budget, a
 * limit, conditions, a split, fallbacks, retries, tests of several kinds.
 */
export const MAIN_ROUTE = `// Two mock providers: nothing leaves the machine.
provider demo { api mock }
provider backup { api mock }

// Priced, so budgets can count.
model fast = demo/"upstream-fast" { input $1/Mtok output $2/Mtok }
model smart = demo/"upstream-smart" { input $3/Mtok output $15/Mtok context 128k }
model spare = backup/"upstream-spare" { input $0.50/Mtok output $1/Mtok }

guardrail pii { on input redact email, phone }
guardrail secrets { block when text matches /sk-[a-z0-9]{8}/i }
budget daily { per team limit $100 per day warn 80% exceeded downgrade fast }
limit per-user { per user requests 10000 per minute }

// Premium callers, by header.
route premium {
  when model == "chat" and header("x-tier") in ["premium", "gold"]
  guard pii, secrets
  to smart
  fallback spare on 429, 5xx, timeout
  timeout 10s
}

// Everyone else asking for chat.
route chat {
  when model == "chat" and not (team == "blocked")
  budget daily
  limit per-user
  split { 50% fast  50% spare }
  retry 1
}

route other { to fast fallback spare }

test "premium callers get the smart model" {
  request { model "chat" header "x-tier" "gold" }
  expect route premium
  expect target smart
}
test "chat splits" {
  request { model "chat" }
  given split picks spare
  expect route chat
  expect target spare
}
test "a failing smart model falls back" {
  request { model "chat" header "x-tier" "premium" }
  given smart fails 503
  expect attempts [smart, spare]
}
test "emails are redacted" {
  request { model "chat" header "x-tier" "premium" input "mail ana@example.com" }
  expect redacted input "mail [EMAIL]"
}
test "anything else" {
  request { model "other" }
  expect route other
}
`;

/**
 * The real compile worker on a thread, running the TypeScript sources
 * through ts-hooks.mjs (as test/reload/verifier.test.ts does).
 */
function tsWorker(): WorkerLike {
  const hooks = new URL("../support/ts-hooks.mjs", import.meta.url).href;
  const entry = new URL("../../runtime/server/reload/verify-worker.ts", import.meta.url).href;
  const code = `require("node:module").register(${JSON.stringify(hooks)}); import(${JSON.stringify(entry)}).catch((e) => { console.error(e); process.exit(1); });`;
  return new Worker(code, { eval: true, workerData: WORKER_MARK });
}

export interface FuzzGateway {
  base: string;
  /** The two paths the gateway serves, in order. */
  paths: readonly [gateway: string, main: string];
  reloader: Reloader;
  /** Log lines at error level (refusals and their diagnostics). */
  errors: string[];
  close(): Promise<void>;
}

/** Starts a gateway on `GATEWAY_ROUTE` + `main`, with reload on the compile worker. */
export async function startFuzzGateway(main: string): Promise<FuzzGateway> {
  const dir = tempDir({ "gateway.route": GATEWAY_ROUTE, "main.route": main });
  const paths = [join(dir, "gateway.route"), join(dir, "main.route")] as const;
  const errors: string[] = [];
  const log: Logger = { info: () => {}, warn: () => {}, error: (msg) => void errors.push(msg) };
  const reloader = new Reloader({ source: fsSource(paths), env: ENV, verifier: workerVerifier(tsWorker) });
  const first = await reloader.check();
  if (!first.report?.ok || !first.report.graph) {
    await reloader.close();
    throw new Error(`the first policy does not pass: ${first.error ?? JSON.stringify(first.report?.diagnostics.slice(0, 3))}`);
  }
  const gw = await startGateway({ graph: first.report.graph, host: "127.0.0.1", port: 0, world: { env: ENV }, log, routes: reloadRoutes(reloader, ENV) });
  await reloader.start(gw, first, { log });
  return {
    base: `http://127.0.0.1:${gw.port}`,
    paths,
    reloader,
    errors,
    close: async () => {
      await reloader.close();
      await gw.close(500);
    },
  };
}
