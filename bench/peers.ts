/**
 * bench/peers: the gateways aigw is compared against, installed outside the
 * project's dependencies (`npm install` into bench/.peers/, git-ignored) on
 * first use, and started for a run.
 *
 * Portkey's open-source gateway (`@portkey-ai/gateway`, TypeScript on Node)
 * is pinned to one version. Its streaming fails with the `@hono/node-server`
 * npm resolves for it today (500 "TypeError: immutable"), so
 * bench/.peers/package.json pins `@hono/node-server` with an npm
 * `overrides` entry; the results say so. Portkey takes its target from
 * request headers (`x-portkey-provider`, `x-portkey-custom-host`) and
 * forwards the caller's `authorization`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { FatalProbeError, waitUntil, type ProcessGroup, type Spawned } from "./children.js";

/** The Portkey gateway version compared against. */
export const PORTKEY_VERSION = "1.15.2";
/** The `@hono/node-server` version forced with npm `overrides` (the one Portkey's streaming works with). */
export const HONO_NODE_SERVER_PIN = "1.13.8";

/** bench/.peers in the repository (this file runs from dist/bench/). */
export const PEERS_DIR = fileURLToPath(new URL("../../bench/.peers/", import.meta.url));

const MANIFEST = `${JSON.stringify(
  { private: true, description: "aigw bench peers (npm run bench installs these; not aigw dependencies)", dependencies: { "@portkey-ai/gateway": PORTKEY_VERSION }, overrides: { "@hono/node-server": HONO_NODE_SERVER_PIN } },
  null,
  2,
)}\n`;

/** Installed peer versions, and what was done to get them. */
export interface Peers {
  portkey: string;
  honoNodeServer: string;
  /** A line for the report: installed now or found, and the override. */
  note: string;
}

function installedVersion(pkg: string): string | undefined {
  const file = join(PEERS_DIR, "node_modules", pkg, "package.json");
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version;
}

/** Makes sure the pinned peers are installed in bench/.peers (runs `npm install` there when they are not). */
export function ensurePeers(): Peers {
  mkdirSync(PEERS_DIR, { recursive: true });
  const manifest = join(PEERS_DIR, "package.json");
  const current = existsSync(manifest) ? readFileSync(manifest, "utf8") : "";
  if (current !== MANIFEST) writeFileSync(manifest, MANIFEST);
  let installed = false;
  if (current !== MANIFEST || installedVersion("@portkey-ai/gateway") !== PORTKEY_VERSION || installedVersion("@hono/node-server") !== HONO_NODE_SERVER_PIN) {
    process.stderr.write(`bench: installing @portkey-ai/gateway@${PORTKEY_VERSION} into bench/.peers (npm install, first use only)\n`);
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    execFileSync(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: PEERS_DIR, stdio: ["ignore", "ignore", "inherit"] });
    installed = true;
  }
  const portkey = installedVersion("@portkey-ai/gateway");
  const hono = installedVersion("@hono/node-server");
  if (portkey !== PORTKEY_VERSION || hono !== HONO_NODE_SERVER_PIN) {
    throw new Error(`bench/.peers has @portkey-ai/gateway ${portkey ?? "missing"} and @hono/node-server ${hono ?? "missing"} after npm install (wanted ${PORTKEY_VERSION}, ${HONO_NODE_SERVER_PIN})`);
  }
  return {
    portkey,
    honoNodeServer: hono,
    note:
      `@portkey-ai/gateway ${portkey} ${installed ? "installed now" : "found"} in bench/.peers; ` +
      `@hono/node-server pinned to ${hono} with an npm \`overrides\` entry (the version npm resolves today breaks Portkey's streaming: 500 "TypeError: immutable")`,
  };
}

/** A free TCP port on 127.0.0.1 (for servers that want a port number up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

/** A running Portkey gateway. */
export interface RunningPortkey {
  spawned: Spawned;
  url: string;
}

/** The headers that make Portkey forward to `upstreamBase` (`http://127.0.0.1:PORT`) as an OpenAI provider. */
export function portkeyHeaders(upstreamBase: string): Record<string, string> {
  return { "x-portkey-provider": "openai", "x-portkey-custom-host": `${upstreamBase}/v1` };
}

/**
 * Starts Portkey (`NODE_ENV=production node build/start-server.js --port=N
 * --headless`) pinned to `cpu`, and waits until it answers a request
 * through `upstreamBase` (it prints a spinner, not a ready line).
 */
export async function startPortkey(group: ProcessGroup, cpu: number, upstreamBase: string, headers: Record<string, string>, body: string): Promise<RunningPortkey> {
  const port = await freePort();
  const entry = join(PEERS_DIR, "node_modules", "@portkey-ai", "gateway", "build", "start-server.js");
  const spawned = group.spawn("portkey", process.execPath, [entry, `--port=${port}`, "--headless"], { cpu, cwd: PEERS_DIR, env: { ...process.env, NODE_ENV: "production" } });
  const url = `http://127.0.0.1:${port}`;
  const probe = async (): Promise<boolean> => {
    const res = await request(`${url}/v1/chat/completions`, { method: "POST", headers: { ...headers, ...portkeyHeaders(upstreamBase) }, body });
    await res.body.dump();
    return res.statusCode === 200;
  };
  let gone: number | string | undefined;
  void spawned.exited.then((code) => (gone = code));
  await waitUntil(
    async () => {
      if (gone !== undefined) throw new FatalProbeError(`Portkey exited (${gone}) before answering: ${spawned.stderrTail()}`);
      return probe();
    },
    30_000,
    "Portkey to answer",
  );
  return { spawned, url };
}
