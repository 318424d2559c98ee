/**
 * The HTTP engine choice (runtime/server/uws-load.ts): the uWebSockets.js
 * packages carry native bindings for every supported Node version, the
 * loader serves on one whenever one can load on this machine (its Node ABI
 * and glibc; on Linux x64 with glibc 2.36 or 2.37, from the glibc-compat
 * copy), and the fallback says why it runs, at start and in /metrics.
 * `.ci/run` runs this on each supported Node version.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadEngine } from "../../runtime/server/uws-load.js";
import { policyDir } from "../support/cli.js";
import { hello, KEY_HASH, postChat } from "./helpers.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "../../dist/cli/bin.js");
const require = createRequire(import.meta.url);
const current = dirname(require.resolve("uWebSockets.js"));
const legacy = join(dirname(require.resolve("uws-legacy/package.json")), "binaries");

/** Node majors aigw supports and their module ABI versions. */
const SUPPORTED = { "20": "115", "22": "127", "24": "137" } as const;

/** The glibc this process runs on, as [major, minor]; undefined off glibc Linux. */
function glibc(): [number, number] | undefined {
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  const v = header?.glibcVersionRuntime?.split(".").map(Number);
  return v && v.length >= 2 ? [v[0]!, v[1]!] : undefined;
}
const atLeast = (v: [number, number] | undefined, major: number, minor: number): boolean => v !== undefined && (v[0] > major || (v[0] === major && v[1] >= minor));

/** The engine this machine can run, from its platform, Node ABI and glibc alone. */
function expectedEngine(): { kind: "native" | "fallback"; build?: "glibc-compat" } {
  const name = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  if (process.platform !== "linux") return { kind: readdirSync(current).includes(name) ? "native" : "fallback" };
  const libc = glibc();
  // v20.57 needs glibc 2.38 as built, v20.30 (Node 20) 2.27, and v20.57 patched 2.36 (x64 only).
  if (readdirSync(current).includes(name) && atLeast(libc, 2, 38)) return { kind: "native" };
  if (readdirSync(legacy).includes(name) && atLeast(libc, 2, 27)) return { kind: "native" };
  if (readdirSync(current).includes(name) && process.arch === "x64" && atLeast(libc, 2, 36)) return { kind: "native", build: "glibc-compat" };
  return { kind: "fallback" };
}

describe("the uWebSockets.js native binding", () => {
  it("is carried for Node 20, 22 and 24 on Linux, macOS and Windows", () => {
    const files = readdirSync(current);
    for (const abi of Object.values(SUPPORTED)) {
      for (const target of ["linux_x64", "linux_arm64", "darwin_arm64", "darwin_x64", "win32_x64"]) expect(files).toContain(`uws_${target}_${abi}.node`);
    }
    // For glibc older than 2.38 (which the bindings above need on Linux), Node 20's comes from uws-legacy.
    expect(readdirSync(legacy)).toContain("uws_linux_x64_115.node");
  });

  it("is what this process serves on whenever one can load here", () => {
    const { info } = loadEngine({});
    const want = expectedEngine();
    expect(info.kind, info.detail).toBe(want.kind);
    expect(info.build, info.detail).toBe(want.build);
    expect(info.detail).toContain(`node ${process.versions.node}`);
    if (want.build) expect(info.detail).toMatch(/v20\.57, .*glibc-compat copy .*__isoc23_sscanf -> sscanf, __isoc23_strtol -> strtol, __isoc23_strtoul -> strtoul/);
  });

  it("gives way to the node:http fallback when UWS_USE_FALLBACK asks, and says why", () => {
    const { module, info } = loadEngine({ UWS_USE_FALLBACK: "1" });
    expect(info.kind).toBe("fallback");
    expect(info.detail).toContain("UWS_USE_FALLBACK is set");
    expect(typeof module.App).toBe("function");
  });
});

/** Starts `aigw serve` on a mock-provider policy; resolves with its port, its stderr so far and a stop function. */
async function startServe(env: NodeJS.ProcessEnv): Promise<{ port: number; stderr: () => string; stop: () => Promise<void> }> {
  const dir = policyDir({ "main.route": `provider demo { api mock }\nkeys { "${KEY_HASH}" team "search" }\nmodel fast = demo/"mock-fast"\nroute chat { when model == "chat"  to fast }\n` });
  const child = spawn(process.execPath, [BIN, "serve", dir, "--port", "0", "--host", "127.0.0.1", "--no-access-log"], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`aigw serve exited with ${code}:\n${stderr}`)));
  });
  const stop = async () => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  };
  return { port, stderr: () => stderr, stop };
}

describe("aigw serve on the native engine", () => {
  it("says which binding serves, exports it in /metrics and serves requests on it", async () => {
    const info = expectedEngine();
    const { port, stderr, stop } = await startServe({ ...process.env, UWS_USE_FALLBACK: "" });
    try {
      if (info.kind === "native") expect(stderr()).toMatch(/^aigw serve: http engine: uWebSockets\.js native binding \(/m);
      if (info.build === "glibc-compat") expect(stderr()).toMatch(/^aigw serve: http engine: uWebSockets\.js native binding \(v20\.57, .*glibc-compat copy /m);
      const r = await postChat(`http://127.0.0.1:${port}`, hello());
      expect(r.status).toBe(200);
      expect(((await r.json()) as { object: string }).object).toBe("chat.completion");
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const label = info.kind === "fallback" ? "node" : info.build === "glibc-compat" ? "uws-glibc-compat" : "uws";
      expect(metrics).toContain(`aigw_http_engine_info{engine="${label}"} 1`);
    } finally {
      await stop();
    }
  }, 60_000); // a real process compiling its policy on a loaded machine
});

describe("aigw serve on the node:http fallback", () => {
  it("warns at start with the reason and exports engine=node in /metrics", async () => {
    const { port, stderr, stop } = await startServe({ ...process.env, UWS_USE_FALLBACK: "1" });
    try {
      expect(stderr()).toMatch(/^aigw serve: warning: http engine: uWebSockets\.js node:http fallback, about 0\.6x the native throughput \(.*UWS_USE_FALLBACK is set\)$/m);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain(`aigw_http_engine_info{engine="node"} 1`);
    } finally {
      await stop();
    }
  }, 60_000); // a real process compiling its policy on a loaded machine
});
