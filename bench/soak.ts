/**
 * bench/soak: the reliability soak (issue 9). `npm run soak` runs a real
 * `aigw serve --watch` for 10 minutes (`--quick`: 60 s) under mixed traffic —
 * streaming and not, upstreams that fail, throttle, hang and break streams,
 * guardrail redactions and blocks, budgets and rate limits running out, bad
 * requests — while the policy is rewritten every few seconds (valid and
 * invalid versions). It prints per window the requests, errors by class,
 * p50/p99 latency, RSS and live heap, then the totals and the checks.
 *
 * It exits 1 when any of these fails (bench/soak/run.ts):
 * - an outcome its request kind does not allow (a 500, a hang, a connection
 *   error, a stream without `[DONE]` or an error event, a 502 on a healthy
 *   route, a response from a policy version that was not serving);
 * - a reload step without its effect (a valid policy not applied, an invalid
 *   one not refused);
 * - memory that grows without bound (how it is decided: bench/soak/memory.ts);
 * - a budget reservation left after the traffic stopped, live or in SQLite;
 * - the gateway not exiting 0 on SIGTERM, or logging an error;
 * - the upstream receiving an email address the guardrail should redact.
 *
 * Run: `npm run build && node dist/bench/soak.js [--quick] [--seconds S]
 * [--rate R] [--concurrency N] [--seed N] [--workers N] [--json]`. Exit 0 pass, 1 fail,
 * 2 usage, 130 interrupted (Ctrl-C stops the traffic, checks what it can,
 * and stops the gateway).
 */
import { header, row, summary } from "./soak/report.js";
import { FULL, QUICK, runSoak, type SoakOptions } from "./soak/run.js";

function parse(argv: readonly string[]): SoakOptions & { json: boolean } {
  const has = (f: string): boolean => argv.includes(f);
  const value = (f: string): number | undefined => {
    const i = argv.indexOf(f);
    if (i < 0) return undefined;
    const n = Number(argv[i + 1]);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${f} needs a positive number, not \`${argv[i + 1] ?? ""}\``);
    return n;
  };
  const known = new Set(["--quick", "--json", "--seconds", "--rate", "--concurrency", "--seed", "--workers"]);
  for (let i = 0; i < argv.length; i++) {
    if (!known.has(argv[i]!)) throw new Error(`unknown option \`${argv[i]}\``);
    if (!["--quick", "--json"].includes(argv[i]!)) i++;
  }
  const base = has("--quick") ? QUICK : FULL;
  return {
    ...base,
    seconds: value("--seconds") ?? base.seconds,
    rate: value("--rate") ?? base.rate,
    concurrency: value("--concurrency") ?? base.concurrency,
    seed: value("--seed") ?? base.seed,
    // The gateway's `--workers`; default 1, the one-thread gateway the soak was written against.
    workers: value("--workers") ?? 1,
    json: has("--json"),
  };
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`soak: ${(err as Error).message}\nusage: node dist/bench/soak.js [--quick] [--seconds S] [--rate R] [--concurrency N] [--seed N] [--workers N] [--json]\n`);
    return 2;
  }
  const stop = new AbortController();
  const onSignal = (): void => {
    process.stderr.write("soak: interrupted; stopping the traffic and the gateway\n");
    stop.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const { json, ...run } = options;
  if (!json) console.log(header(run));
  const result = await runSoak({
    ...run,
    signal: stop.signal,
    ...(json ? {} : { onRow: (r) => console.log(row(r)), log: (l: string) => process.stderr.write(`soak: ${l}\n`) }),
  });
  console.log(json ? JSON.stringify(result, null, 2) : summary(result));
  return result.interrupted ? 130 : result.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
