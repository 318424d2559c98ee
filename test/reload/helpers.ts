/**
 * Helpers for the hot-reload tests: policy versions that route `chat`
 * differently (so every response says which version served it), temp
 * policy directories and git repositories, and a gateway wired to a
 * `Reloader` the way `aigw serve` wires it. `stopAll` (in `afterEach`)
 * closes every reloader and gateway and removes every temp directory.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { startGateway, type Gateway } from "../../runtime/server/app.js";
import type { Logger } from "../../runtime/observe/log.js";
import { commit, git } from "../support/git.js";
import { inlineVerifier, Reloader, reloadRoutes, type PolicySource } from "../../runtime/server/reload/index.js";

export const TOKEN = "reload-admin-token-0123456789";
export const ENV: Record<string, string> = { AIGW_ADMIN_TOKEN: TOKEN };

export type Version = "a" | "b" | "c";
export const VERSIONS: readonly Version[] = ["a", "b", "c"];

/** The upstream model name the mock answers with for a version's target. */
export const upstreamOf = (v: Version): string => `upstream-${v}`;

/**
 * A valid policy whose `chat` route goes to model `v`, with a test saying
 * so. `testExpects` makes the test expect another target (so it fails);
 * `latency` slows the mock provider so requests overlap reloads.
 */
export function versionText(v: Version, options: { testExpects?: Version; latency?: string } = {}): string {
  return [
    'gateway { auth none admin_token env("AIGW_ADMIN_TOKEN") }',
    `provider demo { api mock${options.latency ? ` latency ${options.latency}` : ""} }`,
    ...VERSIONS.map((m) => `model ${m} = demo/"${upstreamOf(m)}"`),
    `route chat { when model == "chat" to ${v} }`,
    `route other { to ${VERSIONS.find((m) => m !== v)} }`,
    `test "chat goes to ${v}" {`,
    `  request { model "chat" }`,
    `  expect target ${options.testExpects ?? v}`,
    `}`,
    "",
  ].join("\n");
}

/** A policy that does not parse. */
export const SYNTAX_ERROR = 'provider demo { api mock }\nroute chat { when model == "chat" to a ) }\n';

const tempDirs: string[] = [];

/** A new temp directory holding `files` (relative path → text). */
export function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "aigw-reload-"));
  tempDirs.push(dir);
  for (const [rel, text] of Object.entries(files)) writeFile(join(dir, rel), text);
  return dir;
}

export function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** How editors save: write a temp file beside the target, then rename it over the target. */
export function atomicSave(path: string, text: string): void {
  const tmp = join(dirname(path), `.${Date.now()}.${Math.random().toString(16).slice(2)}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export { commit, git };

/** A temp git repository on branch `main` with `files` committed; returns its directory. */
export function gitRepo(files: Record<string, string>): string {
  const dir = tempDir({});
  git(dir, "init", "-q", "-b", "main");
  commit(dir, files, "initial");
  return dir;
}

export interface LogLine {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

export interface Running {
  gw: Gateway;
  base: string;
  reloader: Reloader;
  logs: LogLine[];
}

const running: Running[] = [];

/** Starts a gateway serving `source` with a reloader (compiles in-process), as `aigw serve` does. */
export async function startReloading(source: PolicySource, options: { watch?: boolean } = {}): Promise<Running> {
  const logs: LogLine[] = [];
  const log: Logger = {
    info: (msg, fields) => logs.push({ level: "info", msg, fields }),
    warn: (msg, fields) => logs.push({ level: "warn", msg, fields }),
    error: (msg, fields) => logs.push({ level: "error", msg, fields }),
  };
  const reloader = new Reloader({ source, env: ENV, verifier: inlineVerifier() });
  const first = await reloader.check();
  if (!first.report?.ok || !first.report.graph) {
    await reloader.close();
    throw new Error(`the first policy does not pass: ${first.error ?? JSON.stringify(first.report?.diagnostics.slice(0, 3))}`);
  }
  const gw = await startGateway({ graph: first.report.graph, host: "127.0.0.1", port: 0, world: { env: ENV }, log, routes: reloadRoutes(reloader, ENV) });
  const r: Running = { gw, base: `http://127.0.0.1:${gw.port}`, reloader, logs };
  running.push(r);
  await reloader.start(gw, first, { log, watch: options.watch ?? false });
  return r;
}

/** Closes every reloader and gateway started here and removes the temp directories. */
export async function stopAll(): Promise<void> {
  const all = running.splice(0);
  await Promise.all(all.map((r) => r.reloader.close()));
  await Promise.all(all.map((r) => r.gw.close(500)));
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A chat request; resolves with the version headers and the upstream model named in the body. */
export async function chat(base: string, stream = false): Promise<{ status: number; policy: string | null; target: string | null; model: string | undefined }> {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hello" }], stream }),
  });
  const text = await res.text();
  const model = stream ? streamModels(text)[0] : (JSON.parse(text) as { model?: string }).model;
  return { status: res.status, policy: res.headers.get("x-aigw-policy"), target: res.headers.get("x-aigw-target"), model };
}

/** The distinct `model` values of a server-sent-events body's chunks. */
export function streamModels(body: string): string[] {
  const models = new Set<string>();
  for (const line of body.split("\n")) {
    if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
    const chunk = JSON.parse(line.slice(6)) as { model?: string };
    if (chunk.model) models.add(chunk.model);
  }
  return [...models];
}

/** An admin request with the token. */
export function admin(base: string, method: "GET" | "POST", path: string): Promise<Response> {
  return fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
}

/** Waits until `check` returns a value other than undefined (polling every 10 ms, at most `ms`). */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
