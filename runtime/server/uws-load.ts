/**
 * Chooses the HTTP engine behind uws.ts, once per process: a native
 * uWebSockets.js binding when one loads for this Node and platform, the
 * node:http fallback otherwise. Candidates, in order:
 *
 * 1. `uWebSockets.js`, the `@btc-vision/uwebsockets.js` repack of uWS.js
 *    v20.57: bindings for Node 20, 22, 24 and 25 (ABIs 115/127/137/141) on
 *    Linux, macOS and Windows; the Linux ones need glibc 2.38 or newer
 *    (Debian 13, Ubuntu 24.04, RHEL 10).
 * 2. `uws-legacy`, the `@trufflesuite/uws-js-unofficial` repack of uWS.js
 *    v20.30: bindings up to Node 20 (ABI 115), built for glibc 2.27, so
 *    Node 20 stays on an unmodified binding on older distributions.
 * 3. On Linux x64 with an older glibc (Debian 12 has 2.36), when the loader
 *    said exactly that GLIBC_2.38 is missing: a copy of the v20.57 binding
 *    whose three C23 libc references are rebound to glibc 2.2.5's
 *    equivalents (uws-glibc-compat.ts says what changes, uws-compat-copy.ts
 *    where the copy goes); Node 22 and 24 on Debian 12 run on it. Its
 *    engine info says so, and the metric label is `uws-glibc-compat`.
 * 4. `uws-legacy`'s fallback: the same App API over node:http, at about
 *    0.6x the native throughput; the engine info says why it runs.
 *
 * v20.57 caps a request head at `UWS_HTTP_MAX_HEADERS_SIZE` bytes (request
 * line and headers), read once when its binding loads, and answers a larger
 * one itself with an HTML 431 and a close; its default, 4 KiB, would refuse
 * heads the edge promises to serve. Before loading, {@link UWS_HEAD_CAP} is
 * put in the environment unless the operator set the variable, so heads up to
 * the edge's 16 KiB limit are served and those between it and the cap get the
 * edge's JSON 431. v20.30 and the fallback do not read it.
 *
 * All are CommonJS and loaded with `require`: the first package's ESM
 * wrapper would turn a binding that does not load into a failed import, and
 * the second package's own entry would print to the console. Its `dist/`
 * fallback is pure JS. `UWS_USE_FALLBACK=1` forces the fallback (the test
 * suite runs the edge on both engines).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as uWSNamespace from "uWebSockets.js";
import type { HttpEngineInfo } from "./http.js";
import { glibcCompatCopy } from "./uws-compat-copy.js";
import { C23_VERSION } from "./uws-glibc-compat.js";

/** The API the edge uses; the fallback implements a subset of it. */
export type UwsModule = typeof uWSNamespace;

/** The engine chosen and the module that implements it. */
export interface LoadedEngine {
  readonly module: UwsModule;
  readonly info: HttpEngineInfo;
}

const requireCjs = createRequire(import.meta.url);

/**
 * The request-head cap v20.57 is loaded with unless `UWS_HTTP_MAX_HEADERS_SIZE` is set: twice the edge's
 * default limit (16 KiB), so a head somewhat over that limit still gets the edge's JSON 431 (only larger ones
 * get uWS's own HTML 431). uWS buffers up to this much per connection for a head that arrives in pieces, so
 * it is not larger.
 */
export const UWS_HEAD_CAP = 32 * 1024;

/** Sets v20.57's head cap in the process environment, where its binding reads it (getenv, at load), unless already set. */
function setHeadCap(env: NodeJS.ProcessEnv): void {
  if (env["UWS_HTTP_MAX_HEADERS_SIZE"] === undefined) env["UWS_HTTP_MAX_HEADERS_SIZE"] = String(UWS_HEAD_CAP);
}

/** True when `UWS_USE_FALLBACK` asks for the fallback (the values the fallback package itself accepts). */
function fallbackForced(env: NodeJS.ProcessEnv): boolean {
  return ["1", "true", "True", "TRUE"].includes(env["UWS_USE_FALLBACK"] ?? "");
}

/** The first line of why a candidate did not load (the native loader's messages are long). */
function why(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  // The v20.57 loader wraps the real cause (e.g. a missing GLIBC version) after a generic first line.
  const cause = /Error: (.*)$/m.exec(text.split("\n").slice(1).join("\n"));
  return (cause?.[1] ?? text.split("\n")[0] ?? "").trim();
}

/** True when a binding failed only for want of glibc 2.38 (the loader names the first missing version). */
function missingC23Glibc(e: unknown): boolean {
  const text = e instanceof Error ? e.message : String(e);
  return process.platform === "linux" && process.arch === "x64" && text.includes(`version \`${C23_VERSION}' not found`);
}

/** The v20.57 binding for this ABI from its glibc-compat copy, or why not. */
function loadGlibcCompat(target: string): LoadedEngine | { reason: string } {
  const binary = join(dirname(requireCjs.resolve("uWebSockets.js")), `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  const copy = glibcCompatCopy(binary, process.getuid?.() ?? 0);
  if (!copy.ok) return { reason: copy.reason };
  try {
    const module = requireCjs(copy.path) as UwsModule;
    const rebound = copy.edits.map((e) => `${e.symbol} -> ${e.becomes}`).join(", ");
    return { module, info: { kind: "native", build: "glibc-compat", detail: `uWebSockets.js native binding (v20.57, ${target}; glibc-compat copy ${copy.path}, for glibc older than 2.38: ${rebound})` } };
  } catch (e) {
    return { reason: `${copy.path} did not load: ${why(e)}` };
  }
}

/** Loads the best engine for this process; `env` decides only whether the fallback is forced. */
export function loadEngine(env: NodeJS.ProcessEnv = process.env): LoadedEngine {
  const target = `${process.platform}-${process.arch}, node ${process.versions.node}, abi ${process.versions.modules}`;
  const reasons: string[] = [];
  if (fallbackForced(env)) reasons.push("UWS_USE_FALLBACK is set");
  else {
    // process.env, not `env`: the native binding reads the real environment
    setHeadCap(process.env);
    let c23 = false;
    try {
      const module = requireCjs("uWebSockets.js") as UwsModule;
      return { module, info: { kind: "native", detail: `uWebSockets.js native binding (v20.57, ${target})` } };
    } catch (e) {
      reasons.push(`v20.57: ${why(e)}`);
      c23 = missingC23Glibc(e);
    }
    // Node 20 keeps the unmodified v20.30 binding where it loads, rather than a patched v20.57.
    try {
      const module = requireCjs(`uws-legacy/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`) as UwsModule;
      return { module, info: { kind: "native", detail: `uWebSockets.js native binding (v20.30, ${target}; ${reasons[0]})` } };
    } catch (e) {
      reasons.push(`v20.30: ${why(e)}`);
    }
    if (c23) {
      const compat = loadGlibcCompat(target);
      if ("module" in compat) return compat;
      reasons.push(`v20.57 glibc-compat: ${compat.reason}`);
    }
  }
  const module = requireCjs("uws-legacy/dist/index.js") as UwsModule;
  return { module, info: { kind: "fallback", detail: `uWebSockets.js node:http fallback, about 0.6x the native throughput (${target}; no native binding: ${reasons.join("; ")})` } };
}
