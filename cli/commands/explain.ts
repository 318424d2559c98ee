/**
 * `aigw explain [PATHS] --request FILE|- [--format human|json] [--draw N]
 * [--ejected MODEL]… [--failures MODEL=F/N]… [--state FILE]`:
 * decides one request on the policy, without sending it anywhere, and says
 * why in the policy's own terms: the routes considered and why each did or
 * did not match (file:line), the split draw, the attempt order, guardrails,
 * budgets and limits. `--format json` prints the decision record the server
 * logs for the same request (runtime/engine/explain-decision.ts; the request side is runtime/policy/explain-request.ts).
 *
 * FILE is JSON `{ "headers": {...}, "body": { chat completion request } }`;
 * `-` reads it from stdin. A bearer key in it is hashed here and looked up in
 * the policy's `keys`; the key itself is never printed. The split draw is
 * fixed (0.5, or `--draw`), so the same request always explains the same way.
 * The live world (target health, lang/SPEC.md §7.6) is stated the way a
 * test's `given`s state it: `--ejected`, `--failures`, or a `--state` file.
 *
 * Exit 0 whatever the decision; 1 when the policy does not compile; 2 for
 * usage errors (missing `--request`, an unreadable file, invalid JSON, a
 * request without a `model`).
 */
import { instantMs } from "../../compiler/time.js";
import { routeBound, type RouteBound } from "../../compiler/bounds/worst-case.js";
import { dollarText, durationText } from "../../compiler/units-text.js";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { hasErrors } from "../../lang/diagnostics.js";
import { emptyState, loadTokenizer, prepare, type ExplainInput, type Explanation } from "../../runtime/engine/index.js";
import { DEFAULT_DRAW, explainInputProblem, explainRequest } from "../../runtime/policy/index.js";
import { givenHealth, type HealthGiven } from "../../runtime/health/index.js";
import type { BudgetRecord, LimitRecord, Located } from "../../runtime/policy/explain-request.js";
import { oneOf, parseArgs, UsageError } from "../args.js";
import { FsHost, type Io } from "../io.js";
import { loadAndCompile } from "../policy.js";
import { renderHuman, summary } from "../render.js";

/** The command's `Io`, plus a way to read stdin for `--request -` (tests pass their own). */
export interface ExplainIo extends Io {
  stdin?: () => Promise<string>;
}

export async function explainCommand(argv: readonly string[], io: ExplainIo): Promise<number> {
  const args = parseArgs(argv, { values: ["--request", "--format", "--draw", "--state", "--at"], lists: ["--ejected", "--failures", "--latency"] });
  const format = oneOf("--format", args.values.get("--format") ?? "human", ["human", "json"] as const);
  const draw = parseDraw(args.values.get("--draw"));
  const atMs = parseAt(args.values.get("--at"));
  const source = args.values.get("--request");
  if (source === undefined) throw new UsageError("missing --request FILE (or `-` for stdin): the request to explain");
  const paths = args.positional.length ? args.positional : ["."];
  const host = new FsHost();
  for (const p of paths) if (!host.exists(p)) throw new UsageError(`no such file or directory: ${p}`);
  const request = await readRequest(source, io);

  const policy = loadAndCompile(paths, io.env);
  if (hasErrors(policy.diagnostics) || !policy.graph) {
    for (const d of policy.diagnostics) io.err(renderHuman(d, policy.texts, false));
    io.err(`aigw explain: ${summary(policy.diagnostics)}: the policy does not compile\n`);
    return 1;
  }
  const graph = policy.graph;
  const tokenizer = prepare(graph).readsTokens ? await loadTokenizer() : undefined;
  const live = [...readLiveState(args.values.get("--state"), io), ...(args.lists.get("--ejected") ?? []).map(ejectedFlag), ...(args.lists.get("--failures") ?? []).map(failuresFlag)];
  for (const g of live) if (!Object.hasOwn(graph.models, g.target)) throw new UsageError(`\`${g.target}\` is not a model of the policy (in the live state)`);
  const health = givenHealth(graph, live);
  const latencies = new Map((args.lists.get("--latency") ?? []).map(latencyFlag));
  for (const m of latencies.keys()) if (!Object.hasOwn(graph.models, m)) throw new UsageError(`\`${m}\` is not a model of the policy (in --latency)`);
  const state = {
    ...emptyState(draw),
    ...(health === undefined ? {} : { health }),
    ...(latencies.size === 0 ? {} : { latency: (m: string) => latencies.get(m) }),
  };
  const explanation = explainRequest(graph, request, { state, hashKey, atMs, ...(tokenizer ? { tokenizer } : {}) });

  if (format === "json") io.out(JSON.stringify(explanation, null, 2) + "\n");
  else {
    const hit = explanation.routes.find((x) => x.matched);
    const route = hit && graph.routes.find((x) => x.name === hit.name);
    io.out(renderExplanation(explanation, graph.gateway.auth, route && routeBound(graph, route)));
  }
  return 0;
}

/** `sha256:<hex>` of a bearer key: the form `keys` lists, and the way the server hashes. */
function hashKey(key: string): string {
  return "sha256:" + createHash("sha256").update(key).digest("hex");
}

/** `--at 2026-12-07T09:30:00+01:00`: when the request arrives, for the time facts; default now. */
function parseAt(text: string | undefined): number {
  if (text === undefined) return Date.now();
  const ms = instantMs(text);
  if (ms === undefined) throw new UsageError(`--at must be an instant with its offset, like 2026-12-07T09:30:00+01:00, not \`${text}\``);
  return ms;
}

function parseDraw(text: string | undefined): number {
  if (text === undefined) return DEFAULT_DRAW;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0 || n >= 1) throw new UsageError(`--draw must be a number from 0 up to (not including) 1, not \`${text}\``);
  return n;
}

/** `--ejected gpt-4o`: the route's health policy has just ejected it. */
function ejectedFlag(text: string): HealthGiven {
  if (text.trim() === "") throw new UsageError("--ejected takes a model name");
  return { kind: "ejected", target: text.trim() };
}

/** `--latency gpt-4o=900ms`: the target's latency estimate (as `given gpt-4o latency 900ms`). */
function latencyFlag(text: string): [string, number] {
  const m = /^([^=]+)=(\d+(?:\.\d+)?)(ms|s)$/.exec(text.trim());
  if (m === null) throw new UsageError(`--latency takes MODEL=DURATION (\`gpt-4o=900ms\`, \`sonnet=1.5s\`), not \`${text}\``);
  return [m[1]!, Number(m[2]) * (m[3] === "s" ? 1000 : 1)];
}

/** `--failures gpt-4o=5/10`: of its last 10 tries, the latest 5 failed. */
function failuresFlag(text: string): HealthGiven {
  const m = /^([^=]+)=(\d+)\/(\d+)$/.exec(text.trim());
  if (m === null || Number(m[2]) > Number(m[3])) throw new UsageError(`--failures takes MODEL=F/N with F ≤ N (\`gpt-4o=5/10\`), not \`${text}\``);
  return { kind: "failures", target: m[1]!, failures: Number(m[2]), of: Number(m[3]) };
}

/**
 * `--state FILE`: the live world as JSON, `{ "ejected": ["gpt-4o"],
 * "failures": { "sonnet": { "failures": 5, "of": 10 } } }`, the same
 * statements a test's `given`s make.
 */
function readLiveState(source: string | undefined, io: ExplainIo): HealthGiven[] {
  if (source === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(resolve(io.cwd, source), "utf8"));
  } catch (err) {
    throw new UsageError(`cannot read the state file \`${source}\`: ${(err as Error).message}`);
  }
  const bad = (what: string): never => {
    throw new UsageError(`the state file \`${source}\`: ${what}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return bad("expected a json object with `ejected` and `failures`");
  const out: HealthGiven[] = [];
  const { ejected, failures, ...rest } = value as Record<string, unknown>;
  for (const k of Object.keys(rest)) bad(`unknown field \`${k}\` (expected \`ejected\`, \`failures\`)`);
  if (ejected !== undefined) {
    if (!Array.isArray(ejected) || ejected.some((m) => typeof m !== "string")) bad("`ejected` must be a list of model names");
    for (const m of ejected as string[]) out.push({ kind: "ejected", target: m });
  }
  if (failures !== undefined) {
    if (typeof failures !== "object" || failures === null || Array.isArray(failures)) bad("`failures` must be an object of model → { failures, of }");
    for (const [m, v] of Object.entries(failures as Record<string, unknown>)) {
      const f = (v as { failures?: unknown } | null)?.failures;
      const of = (v as { of?: unknown } | null)?.of;
      if (!Number.isInteger(f) || !Number.isInteger(of) || (f as number) < 0 || (f as number) > (of as number)) bad(`\`failures.${m}\` must be { "failures": F, "of": N } with whole F ≤ N`);
      out.push({ kind: "failures", target: m, failures: f as number, of: of as number });
    }
  }
  return out;
}

/** Reads and checks the request file; every problem is a usage error naming the file. */
async function readRequest(source: string, io: ExplainIo): Promise<ExplainInput> {
  const name = source === "-" ? "stdin" : `\`${source}\``;
  let text: string;
  try {
    text = source === "-" ? await (io.stdin ?? readStdin)() : readFileSync(resolve(io.cwd, source), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read the request file ${name}${code ? ` (${code})` : ""}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the request in ${name} is not valid json: ${(err as Error).message}`);
  }
  const problem = explainInputProblem(value);
  if (problem !== undefined) throw new UsageError(`the request in ${name}: ${problem}`);
  return value as ExplainInput;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

// ---------------------------------------------------------------- human output

const at = (l: Located): string => `${l.file}:${l.line}`;
const money = (n: number): string => `$${Number.isInteger(n) ? n : n.toFixed(2)}`;
const duration = (ms: number): string => (ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * The decision in the policy's own terms: the matched route first, then the
 * routes before it that did not match and why, then what the route does
 * with the request. Built from the record alone, so it says nothing the
 * JSON does not.
 */
export function renderExplanation(e: Explanation, auth: "keys" | "none", bound?: RouteBound): string {
  const out: string[] = [];
  const r = e.request;
  const who = r.caller.auth === "key" ? `key ${r.caller.key}` : r.caller.auth === "unknown-key" ? "an unknown key" : "no key";
  const labels = [
    ...(r.caller.team !== undefined ? [`team \`${r.caller.team}\``] : []),
    ...(r.caller.user !== undefined ? [`user \`${r.caller.user}\``] : []),
    ...Object.entries(r.caller.labels ?? {}).map(([k, v]) => `${k} \`${v}\``),
  ];
  out.push(`policy ${e.policy}`);
  out.push(`request: model \`${r.model ?? ""}\` on ${r.endpoint}${r.stream ? " (stream)" : ""}, ${r.inputBytes} bytes of input${r.inputTokens !== undefined ? ` (${r.inputTokens} tokens)` : ""}`);
  out.push(`caller: ${who}${labels.length ? ` (${labels.join(", ")})` : ""}`);
  for (const [k, v] of Object.entries(r.headers ?? {})) out.push(`  header ${k}: ${JSON.stringify(v)}`);
  for (const [k, v] of Object.entries(r.metadata ?? {})) out.push(`  metadata ${k}: ${JSON.stringify(v)}`);
  if (auth === "keys" && r.caller.auth !== "key") {
    out.push(`note: the gateway requires a key (\`auth keys\`): the server would answer 401 (${who}); explained as a caller without a key`);
  }
  out.push("");

  const misses = e.routes.filter((x) => !x.matched);
  const hit = e.routes.find((x) => x.matched);
  if (hit !== undefined) out.push(`route ${hit.name} (${at(hit)}) matched: ${hit.reason}`);
  else out.push(`no route matched (${plural(e.routes.length, "route")} considered)`);
  for (const d of e.defaults ?? []) out.push(`  from defaults ${d.name} (${at(d)}): ${d.settings.join("; ")}`);
  if (e.shaped !== undefined) out.push(`  shaped: ${e.shaped}`);
  if (misses.length > 0) {
    out.push(hit !== undefined ? "  earlier routes that did not match:" : "  routes that did not match:");
    for (const m of misses) out.push(`  - route ${m.name} (${at(m)}): ${m.reason}`);
  }

  if (e.downgrade !== undefined) out.push(`budget ${e.downgrade.budget} is exceeded: downgraded to ${e.downgrade.model}`);
  if (e.split !== undefined) {
    const s = e.split;
    const arms = s.arms.map((a) => `${a.weight}% ${a.model}`).join("  ");
    const how = s.forced ? "forced" : s.value !== undefined ? `${s.by} is \`${s.value}\`` : `draw ${s.draw?.toFixed(4)}${s.by !== undefined ? `: ${s.by} is missing` : ""}`;
    const fast = s.fastest === undefined ? "" : `; fastest of ${s.fastest.drawn.map((m, i) => `${m} (${s.fastest!.estimates[i] === null ? "unmeasured" : `${s.fastest!.estimates[i]} ms`})`).join(" and ")}`;
    const instead = s.instead === undefined ? "" : `; instead of ejected ${s.instead}`;
    const cheap = s.cheapest === undefined ? "" : `; cheapest of ${s.cheapest.arms.map((m, i) => `${m} (${dollars(s.cheapest!.costs[i] ?? null)})`).join(", ")}`;
    const kind = s.by !== undefined ? ` by ${s.by}` : s.fastest !== undefined ? " fastest" : s.cheapest !== undefined ? " cheapest" : "";
    out.push(s.pick === undefined ? `split { ${arms} }: no arm has a positive weight, fallbacks only` : `split${kind} { ${arms} } picks ${s.pick} (${how}${fast}${cheap}${instead})`);
  }
  for (const u of e.unfit ?? []) out.push(u.reason);
  for (const s of e.skipped ?? []) out.push(`${s.model} skipped: ${s.reason}, health ${s.name} (${at(s)})`);
  if (e.plan !== undefined) {
    const p = e.plan;
    const targets = p.targets.map((t) => `${t.model}${t.retries > 0 ? ` (+${plural(t.retries, "retry", "retries")})` : ""}`);
    const unsent = e.outcome.kind === "blocked" ? " (none made: the input is blocked)" : "";
    out.push(`attempts${unsent}: ${targets.length ? targets.join(" → ") : "(none)"}`);
    out.push(`  fall back on ${p.fallbackOn.join(", ")}${p.backoffMs > 0 ? `; backoff ${duration(p.backoffMs)}` : ""}; at most ${plural(p.maxAttempts, "try", "tries")}`);
    const timeouts = [...new Set(p.targets.map((t) => t.timeoutMs))];
    if (timeouts.length === 1 && timeouts[0] !== undefined) out.push(`  timeout ${duration(timeouts[0])} per try`);
    else for (const t of p.targets) if (t.timeoutMs !== undefined) out.push(`  ${t.model}: timeout ${duration(t.timeoutMs)} per try`);
  }
  if (bound !== undefined) {
    const deadline = bound.uncappedMs > bound.latencyMs ? " (the deadline)" : "";
    const cost = bound.cost === Infinity ? "no cost bound" : `up to ${dollarText(bound.cost)}`;
    out.push(`worst case on route ${bound.route}: ${plural(bound.tries, "try", "tries")}, ${durationText(bound.latencyMs)}${deadline}, ${cost} (aigw check proves \`max_latency\` and \`max_cost\` against it)`);
  }

  if (e.guardrails.length > 0) {
    out.push("guardrails on the input:");
    for (const g of e.guardrails) {
      const hits = g.hits.map((h) => `rule ${h.rule} ${h.action}${h.count !== undefined ? ` ${h.count}×` : ""} (${h.by})`).join(", ");
      const what = g.input === "skipped" ? "not run (an earlier guardrail blocked)" : g.input === "passed" ? "passed" : `${g.input}: ${hits}`;
      out.push(`  - ${g.name} (${at(g)}): ${what}${g.output ? "; also checks the answer" : ""}`);
    }
  }
  if (e.budgets.length > 0) {
    out.push("budgets:");
    for (const b of e.budgets) out.push(`  - ${budgetLine(b)}`);
  }
  if (e.limits.length > 0) {
    out.push("limits:");
    for (const l of e.limits) out.push(`  - ${limitLine(l)}`);
  }
  if (e.notApplied !== undefined) {
    out.push("not applied:");
    for (const n of e.notApplied) out.push(`  - ${n.kind} ${n.name} (${at(n)}): ${n.reason}`);
  }

  out.push("");
  const o = e.outcome;
  switch (o.kind) {
    case "routed":
      out.push(o.target !== undefined ? `outcome: sent to ${o.target} (route ${o.route})` : `outcome: route ${o.route} has no target to try (502)`);
      break;
    case "blocked":
    case "unfit":
    case "rejected":
    case "refused":
    case "no-route":
      out.push(`outcome: ${o.status} ${o.message}`);
      break;
  }
  return out.join("\n") + "\n";
}

function budgetLine(b: BudgetRecord): string {
  const then = b.exceeded.action === "reject" ? "then reject" : `then downgrade to ${b.exceeded.model}`;
  return `${b.name} (${at(b)}) per ${b.scope} \`${b.scopeKey}\`: ${money(b.spent)} of ${money(b.limit)} per ${b.window} spent, ${b.state} (${then})`;
}

function limitLine(l: LimitRecord): string {
  const parts: string[] = [];
  if (l.requests !== undefined) parts.push(`${l.requests.used} of ${l.requests.count} requests per ${l.requests.window}`);
  if (l.tokens !== undefined) parts.push(`${l.tokens.used} of ${l.tokens.count} tokens per ${l.tokens.window}`);
  return `${l.name} (${at(l)}) per ${l.scope} \`${l.scopeKey}\`: ${parts.join(", ")} used${l.exhausted !== undefined ? `, ${l.exhausted} used up` : ""}`;
}

/** A worst case in dollars as explain prints it: `$0.0123`, or `unpriced`. */
function dollars(x: number | null): string {
  return x === null ? "unpriced" : `$${x < 0.01 ? x.toPrecision(3) : x.toFixed(4)}`;
}
