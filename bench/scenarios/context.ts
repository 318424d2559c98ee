/**
 * bench/scenarios/context: what every scenario of `npm run bench` shares:
 * the processes (mock upstream, load generator, contenders), the core
 * layout, the phase lengths of a full or `--quick` run, and the two
 * measurements the proxy scenarios are made of: a closed-loop run (wrk, or
 * the in-repo generator when wrk is missing) with the CPU time of the
 * processes involved and the busy share of both cores, and an open-loop run
 * with the same CPU accounting.
 */
import { join } from "node:path";
import { ask, type ProcessGroup, type Spawned } from "../children.js";
import type { OpenLoopResult, OpenLoopSpec } from "../load/open-loop.js";
import { runWrk, type WrkAvailability } from "../load/wrk.js";
import type { ChildMsg } from "../roles/protocol.js";
import { busyShare, cpuTimes, processCpuUs } from "../system.js";

/** The core the gateway under test runs on (alone). */
export const GATEWAY_CPU = 1;
/** The core the load generator and the mock upstream share. */
export const LOAD_CPU = 0;
/** Concurrent connections of the throughput scenarios. */
export const CONNECTIONS = 50;
/** The fixed request rate of the latency scenario, requests/s. */
export const RATE = 1_000;
/** The request rate of the streaming scenario, streams/s. */
export const STREAM_RATE = 100;
/** Open streams in the memory scenario. */
export const OPEN_STREAMS = 1_000;
export const CHAT_PATH = "/v1/chat/completions";

/** Phase lengths in seconds (and rounds), for a full run or `--quick`. */
export interface Durations {
  /** Closed-loop warm-up and measured run (wrk counts whole seconds). */
  warmMax: number;
  max: number;
  /** Open-loop warm-up and measured run. */
  warmRate: number;
  rate: number;
  /** Streaming scenario run. */
  streams: number;
  /** decide CPU-seconds per size; compile repeats; reload rounds and warm-up compiles. */
  decideSeconds: number;
  compileRepeats: number;
  reloadRounds: number;
  reloadWarmup: number;
}

/** Full run: about five minutes. */
export const FULL: Durations = { warmMax: 3, max: 10, warmRate: 2, rate: 10, streams: 6, decideSeconds: 1.5, compileRepeats: 3, reloadRounds: 8, reloadWarmup: 6 };
/** `--quick`: every scenario briefly, under a minute in all. */
export const QUICK: Durations = { warmMax: 1, max: 1, warmRate: 0.3, rate: 1, streams: 1, decideSeconds: 0.2, compileRepeats: 1, reloadRounds: 2, reloadWarmup: 1 };

/** Something the load is aimed at: the upstream itself, or a gateway in front of it. */
export interface Contender {
  name: string;
  /** Origin, `http://127.0.0.1:PORT`. */
  url: string;
  /** Headers this contender needs on top of the common ones (Portkey's routing headers). */
  headers: Record<string, string>;
  /** The process whose CPU and memory are measured (undefined for the direct path). */
  pid?: number;
  /** The aigw gateway child behind it, which can take a V8 CPU profile on request (bench/roles/gateway.ts). */
  profilable?: Spawned;
}

/** The shared state of one `npm run bench`. */
export interface Bench {
  group: ProcessGroup;
  durations: Durations;
  quick: boolean;
  upstream: { spawned: Spawned; base: string; holdBase: string };
  load: Spawned;
  wrk: WrkAvailability;
  /** Headers every request carries (content type, API key). */
  commonHeaders: Record<string, string>;
  /** The ~1 KB non-streaming and streaming request bodies. */
  body: string;
  streamBody: string;
  /** Extra options for aigw gateway children (`--access-log`). */
  gatewayArgs: string[];
  /** With `--profile DIR`: where the V8 CPU profiles of aigw's measured closed-loop runs go. */
  profileDir?: string;
  /** The profiles written so far. */
  profiles: string[];
}

/** A closed-loop run with what it cost. */
export interface MaxRun {
  rps: number;
  requests: number;
  errors: number;
  seconds: number;
  /** CPU µs of the contender's process per successful request (undefined for the direct path). */
  cpuUsPerRequest?: number;
  /** Share of one core the contender's process used. */
  processBusy?: number;
  /** Share of the mock upstream's process over the run (of one core). */
  upstreamBusy?: number;
  /** Share of one core the load generator used (wrk: read while it ran, so slightly low). */
  generatorBusy?: number;
  /** Busy share of the gateway's core and of the load core, counting every process on them. */
  gatewayCoreBusy?: number;
  loadCoreBusy?: number;
  generator: "wrk" | "undici closed loop";
}

const cpuOf = (pid: number | undefined): number | undefined => (pid === undefined ? undefined : processCpuUs(pid));
const perSecond = (a: number | undefined, b: number | undefined, seconds: number): number | undefined => (a === undefined || b === undefined ? undefined : (b - a) / 1e6 / seconds);

/**
 * Runs a closed loop of {@link CONNECTIONS} connections against `c` for
 * `seconds`, posting `request` (default: the ~1 KB chat body). With
 * `profileAs` (a measured run, not a warm-up) and `--profile DIR`, an aigw
 * contender is profiled over the run into DIR/`profileAs`.cpuprofile.
 */
export async function closedRun(bench: Bench, c: Contender, seconds: number, profileAs?: string, request?: { path: string; body: string }): Promise<MaxRun> {
  const body = request?.body ?? bench.body;
  const path = request?.path ?? CHAT_PATH;
  const profile = profileAs !== undefined && bench.profileDir !== undefined && c.profilable ? { child: c.profilable, file: join(bench.profileDir, `${profileAs}.cpuprofile`) } : undefined;
  if (profile) await ask<ChildMsg, "profiled">(profile.child, { type: "profile-start" }, "profiled");
  const headers = { ...bench.commonHeaders, ...c.headers };
  const upPid = bench.upstream.spawned.pid;
  const cpu0 = cpuOf(c.pid);
  const up0 = processCpuUs(upPid);
  const t0 = cpuTimes();
  const wall0 = performance.now();
  let run: { rps: number; requests: number; errors: number; seconds: number };
  let generatorUs: number | undefined;
  if (bench.wrk.available) {
    const r = await runWrk(bench.group, { url: `${c.url}${path}`, headers, body, connections: CONNECTIONS, seconds, cpu: LOAD_CPU });
    run = { rps: r.rps, requests: r.ok, errors: r.errors, seconds: r.seconds };
    generatorUs = r.cpuUs;
  } else {
    // `stream: false`: a whole 200 reply is a success (the check for `[DONE]` is chat's, and the other APIs end otherwise).
    const spec = { url: c.url, path, headers, body, stream: false, connections: CONNECTIONS, seconds };
    const r = (await ask<ChildMsg, "closed-loop-result">(bench.load, { type: "closed-loop", spec }, "closed-loop-result")).result;
    run = { rps: r.rps, requests: r.requests, errors: r.errors, seconds: r.seconds };
    generatorUs = r.cpuUs;
  }
  const t1 = cpuTimes();
  const cpu1 = cpuOf(c.pid);
  const up1 = processCpuUs(upPid);
  // Busy shares over the same wall-clock window the CPU times span (the generator's start and end included).
  const wall = (performance.now() - wall0) / 1000;
  if (profile) {
    await ask<ChildMsg, "profiled">(profile.child, { type: "profile-stop", file: profile.file }, "profiled");
    bench.profiles.push(profile.file);
  }
  const out: MaxRun = { ...run, generator: bench.wrk.available ? "wrk" : "undici closed loop" };
  if (cpu0 !== undefined && cpu1 !== undefined && run.requests > 0) out.cpuUsPerRequest = (cpu1 - cpu0) / run.requests;
  const busy = perSecond(cpu0, cpu1, wall);
  if (busy !== undefined) out.processBusy = busy;
  const upBusy = perSecond(up0, up1, wall);
  if (upBusy !== undefined) out.upstreamBusy = upBusy;
  if (generatorUs !== undefined) out.generatorBusy = generatorUs / 1e6 / wall;
  const g = busyShare(t0, t1, GATEWAY_CPU);
  if (g !== undefined) out.gatewayCoreBusy = g;
  const l = busyShare(t0, t1, LOAD_CPU);
  if (l !== undefined) out.loadCoreBusy = l;
  return out;
}

/** An open-loop run with the contender's CPU per request. */
export interface RateRun extends OpenLoopResult {
  cpuUsPerRequest?: number;
}

/** Runs the in-repo open-loop generator against `c` at `rate` for `seconds`. */
export async function openRun(bench: Bench, c: Contender, opts: { rate: number; seconds: number; stream: boolean }): Promise<RateRun> {
  // A contender that falls half a second behind is saturated: stop there rather than grow its backlog for the whole run.
  const spec: OpenLoopSpec = {
    url: c.url,
    path: CHAT_PATH,
    headers: { ...bench.commonHeaders, ...c.headers },
    body: opts.stream ? bench.streamBody : bench.body,
    stream: opts.stream,
    rate: opts.rate,
    seconds: opts.seconds,
    connections: 256,
    maxInFlight: Math.max(50, opts.rate / 2),
    drainMs: 3_000,
  };
  const cpu0 = cpuOf(c.pid);
  const result: RateRun = (await ask<ChildMsg, "open-loop-result">(bench.load, { type: "open-loop", spec }, "open-loop-result")).result;
  const cpu1 = cpuOf(c.pid);
  if (cpu0 !== undefined && cpu1 !== undefined && result.sent > 0) result.cpuUsPerRequest = (cpu1 - cpu0) / result.sent;
  return result;
}
