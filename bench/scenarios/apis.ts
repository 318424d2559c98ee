/**
 * bench/scenarios/apis: scenario 7, the inbound APIs side by side in one
 * aigw (bench/proxy-apis.ts): chat in (the baseline), Messages in passed
 * through to Anthropic and translated to OpenAI chat, Responses in passed
 * through to OpenAI Responses and translated to chat. Each pair runs the
 * same closed loop as scenario 1 (the ~1 KB prompt, 50 connections),
 * non-streaming and streaming (the mock's 50-event streams in each wire),
 * warmed first; the figures are req/s and aigw's CPU µs per request, with
 * ratios to chat in. The mock upstream's per-path counters show each pair
 * reached the wire it is named for.
 */
import { ask } from "../children.js";
import { apiPairs, CHAT_IN, type ApiPair } from "../proxy-apis.js";
import type { ChildMsg } from "../roles/protocol.js";
import { num, table } from "../table.js";
import { closedRun, CONNECTIONS, type Bench, type MaxRun } from "./context.js";
import { startAigw, stop, type Running } from "./gateways.js";
import { slug } from "./throughput.js";

export interface ApiRow {
  name: string;
  stream: boolean;
  run: MaxRun;
  /** Upstream requests during the measured run that reached the pair's upstream path, of all it received. */
  reachedWire: number;
  upstreamRequests: number;
  /** CPU µs per request over chat in's, same mode. */
  cpuOverChat?: number;
  rpsOverChat?: number;
}

export interface ApisResult {
  rows: ApiRow[];
}

const upstreamPaths = async (bench: Bench): Promise<{ total: number; byPath: Record<string, number> }> => {
  const s = (await ask<ChildMsg, "stats">(bench.upstream.spawned, { type: "stats" }, "stats")).stats;
  return { total: s.requests, byPath: s.byPath };
};

/** Measures every pair, non-streaming then streaming, through one aigw. */
export async function apis(bench: Bench): Promise<ApisResult> {
  const d = bench.durations;
  const gw = await startAigw(bench, "aigw", bench.upstream.base, ["--apis"]);
  const rows: ApiRow[] = [];
  try {
    for (const stream of [false, true]) {
      for (const pair of apiPairs()) rows.push(await measure(bench, gw, pair, stream, d.warmMax, d.max));
    }
  } finally {
    await stop(bench, gw);
  }
  for (const r of rows) {
    const chat = rows.find((x) => x.name === CHAT_IN && x.stream === r.stream)?.run;
    if (chat?.cpuUsPerRequest !== undefined && r.run.cpuUsPerRequest !== undefined) r.cpuOverChat = r.run.cpuUsPerRequest / chat.cpuUsPerRequest;
    if (chat !== undefined && chat.rps > 0) r.rpsOverChat = r.run.rps / chat.rps;
  }
  return { rows };
}

async function measure(bench: Bench, gw: Running, pair: ApiPair, stream: boolean, warm: number, seconds: number): Promise<ApiRow> {
  const request = { path: pair.path, body: stream ? pair.streamBody : pair.body };
  await closedRun(bench, gw.contender, warm, undefined, request);
  const before = await upstreamPaths(bench);
  const run = await closedRun(bench, gw.contender, seconds, `apis-${slug(pair.name)}${stream ? "-stream" : ""}`, request);
  const after = await upstreamPaths(bench);
  const reached = (after.byPath[pair.upstreamPath] ?? 0) - (before.byPath[pair.upstreamPath] ?? 0);
  return { name: pair.name, stream, run, reachedWire: reached, upstreamRequests: after.total - before.total };
}

/** The scenario's table. */
export function printApis(r: ApisResult): void {
  console.log(`\n7. inbound APIs: ${CONNECTIONS} connections, closed loop, the same ~1 KB prompt in each API's body; one aigw with a bare route per pair`);
  console.log(
    table(
      ["", "mode", "req/s", "vs chat in", "CPU µs/req", "CPU vs chat in", "errors", "reached its wire"],
      r.rows.map((x) => [
        x.name,
        x.stream ? "stream" : "json",
        num(x.run.rps),
        x.rpsOverChat === undefined ? "-" : `${x.rpsOverChat.toFixed(2)}×`,
        num(x.run.cpuUsPerRequest, 1),
        x.cpuOverChat === undefined ? "-" : `${x.cpuOverChat.toFixed(2)}×`,
        String(x.run.errors),
        `${x.reachedWire}/${x.upstreamRequests}`,
      ]),
    ),
  );
  console.log("  stream: the mock's 50-event stream in the upstream's wire, re-encoded in the caller's API when translated, relayed as it came when passed through");
}
