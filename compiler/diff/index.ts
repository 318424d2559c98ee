/**
 * `aigw diff`, the pure part: the semantic difference between two compiled
 * policies, said in traffic terms. For each region of request space whose
 * outcome changes (regions.ts), which route took it and which takes it now,
 * every aspect that changes for it (outcome.ts) with its old and new value,
 * the highest price its targets can bill and its worst case per request
 * (compiler/bounds), and a witness request; then what
 * changes for every request (the gateway's deadline, body limit, auth, the
 * callers' keys) and what was only renamed. The CLI reads the two policies
 * (paths or git refs) and renders this (cli/report/diff-report.ts).
 */
import { DEFAULT_TIMEZONE } from "../time.js";
import { routeBound } from "../bounds/worst-case.js";
import { describe, testRequest } from "../conditions/index.js";
import { isWildcard, pricesRequired, tableRows, type Graph, type JwtNode, type KeyNode, type RouteNode, type SourceRef, type TestRequest } from "../graph.js";
import { ASPECTS, aspectFp, aspectText, type Aspect, type Outcome } from "./outcome.js";
import { changedRegions, prepareSide, type Side } from "./regions.js";
import { renames, type Rename } from "./renames.js";
import { dollarText, durationText } from "../units-text.js";

export type { Rename } from "./renames.js";

/** A route as a report names it. */
export interface RouteRef {
  name: string;
  span: SourceRef;
}

/** One thing that changes for a region, in words: `fallback: sonnet, mini → mini, sonnet`. */
export interface AspectChange {
  aspect: Aspect | "route" | "price" | "worst case";
  was: string;
  now: string;
}

export interface Change {
  /** The route that took these requests before (absent: none did, they were answered 404). */
  old?: RouteRef;
  /** The route that takes them now (absent: none, 404). */
  new?: RouteRef;
  aspects: AspectChange[];
  /** A request in the region, as a test would write it. */
  witness: string;
  /** The witness as a test's request, when a test can state it (no key label, no input size, no opaque test). */
  request?: TestRequest;
  /** False when a condition involved was approximated: the witness shows the region, and may be taken by another route. */
  exact: boolean;
  /** The analysis ran out of work before deciding: the region may be empty. */
  undecided?: true;
  /** For a split whose weights change: the share of this traffic that moves to another model, in percent. */
  moves?: number;
}

/** A change that applies to every request. */
export interface GlobalChange {
  what: string;
  was: string;
  now: string;
}

export interface PolicyDiff {
  /** Old and new policy versions (`x-aigw-policy`). */
  versions: { old: string; new: string };
  changes: Change[];
  global: GlobalChange[];
  renames: Rename[];
  /** Nothing any request sees changes (renames aside). */
  equivalent: boolean;
}

const ref = (r: RouteNode | undefined): RouteRef | undefined => (r ? { name: r.name, span: r.span } : undefined);

/** The highest input and output prices the outcome's targets (fallbacks and downgrades included) can bill. */
function priceText(g: Graph, o: Outcome): string {
  const r = o.route;
  if (!r) return "none";
  const t = r.target;
  const names = [...(t.kind === "to" ? [t.model] : t.kind === "reject" ? [] : t.arms.map((a) => a.model)), ...r.fallback];
  for (const b of r.budgets) {
    const x = g.budgets[b]?.exceeded;
    if (x?.action === "downgrade") names.push(x.model);
  }
  let input = 0;
  let output = 0;
  let unpriced = false;
  // A wildcard bills at most its dearest row, on a route that sends only listed names; elsewhere it may send an unpriced one.
  for (const n of names.flatMap((x) => (g.models[x] !== undefined && isWildcard(g.models[x]!) ? [x, ...tableRows(g.models, x).map(([row]) => row)] : [x]))) {
    const m = g.models[n];
    if (m !== undefined && isWildcard(m) && pricesRequired(r, g.gateway)) continue;
    if (m?.inputPrice === undefined && m?.outputPrice === undefined) unpriced = true;
    input = Math.max(input, m?.inputPrice ?? 0);
    output = Math.max(output, m?.outputPrice ?? 0);
  }
  return `${dollarText(input)}/${dollarText(output)} per Mtok${unpriced ? " (a target has no price)" : ""}`;
}

/** The share of a split's traffic that lands on another model after a weight change, in percent. */
function moved(a: Outcome, b: Outcome): number | undefined {
  const ta = a.route?.target;
  const tb = b.route?.target;
  if (ta?.kind !== "split" || tb?.kind !== "split") return undefined;
  const share = (arms: readonly { model: string; weight: number }[], fp: (m: string) => string): Map<string, number> => {
    const total = arms.reduce((s, x) => s + x.weight, 0) || 1;
    const out = new Map<string, number>();
    for (const x of arms) out.set(fp(x.model), (out.get(fp(x.model)) ?? 0) + (100 * x.weight) / total);
    return out;
  };
  const fpA = (m: string): string => a.aspects.targets.items.find((i) => i.name.endsWith(` ${m}`))?.fp.replace(/^[^:]*:/, "") ?? m;
  const fpB = (m: string): string => b.aspects.targets.items.find((i) => i.name.endsWith(` ${m}`))?.fp.replace(/^[^:]*:/, "") ?? m;
  const sa = share(ta.arms, fpA);
  const sb = share(tb.arms, fpB);
  let sum = 0;
  for (const k of new Set([...sa.keys(), ...sb.keys()])) sum += Math.abs((sa.get(k) ?? 0) - (sb.get(k) ?? 0));
  const m = Math.round(sum * 50) / 100;
  return m > 0 ? m : undefined;
}

function aspectChanges(a: Side, b: Side, oa: Outcome, ob: Outcome): AspectChange[] {
  const out: AspectChange[] = [];
  if (oa.route && ob.route && oa.route.name !== ob.route.name) out.push({ aspect: "route", was: oa.route.name, now: ob.route.name });
  for (const k of ASPECTS) {
    const x = oa.aspects[k];
    const y = ob.aspects[k];
    if (aspectFp(x) !== aspectFp(y)) out.push({ aspect: k, was: aspectText(x, y), now: aspectText(y, x) });
  }
  const pa = priceText(a.graph, oa);
  const pb = priceText(b.graph, ob);
  if (pa !== pb) out.push({ aspect: "price", was: pa, now: pb });
  const wa = worstText(a.graph, oa);
  const wb = worstText(b.graph, ob);
  if (wa !== wb) out.push({ aspect: "worst case", was: wa, now: wb });
  return out;
}

/** The route's worst case per request (compiler/bounds): tries, wall time, cost. */
function worstText(g: Graph, o: Outcome): string {
  if (!o.route) return "none";
  const b = routeBound(g, o.route);
  const deadline = b.uncappedMs > b.latencyMs ? " (the deadline)" : "";
  return `${b.tries} ${b.tries === 1 ? "try" : "tries"}, ${durationText(b.latencyMs)}${deadline}, ${b.cost === Infinity ? "no cost bound" : dollarText(b.cost)}`;
}

function keyText(k: KeyNode | undefined): string {
  if (!k) return "absent";
  const labels = Object.entries(k.labels).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return labels.length ? labels.map(([n, v]) => `${n} ${JSON.stringify(v)}`).join(", ") : "no labels";
}

function globalChanges(a: Graph, b: Graph): GlobalChange[] {
  const out: GlobalChange[] = [];
  const push = (what: string, was: string, now: string): void => void (was !== now && out.push({ what, was, now }));
  push("deadline", durationText(a.gateway.deadlineMs), durationText(b.gateway.deadlineMs));
  push("largest request body", `${a.gateway.maxBodyBytes} bytes`, `${b.gateway.maxBodyBytes} bytes`);
  push("auth", a.gateway.auth, b.gateway.auth);
  push("request bodies logged", String(a.gateway.logBodies), String(b.gateway.logBodies));
  push("time zone of hour, weekday and date", a.gateway.timezone ?? DEFAULT_TIMEZONE, b.gateway.timezone ?? DEFAULT_TIMEZONE);
  // Key hashes are public (they live in git); a caller's labels decide which routes its requests match.
  for (const hash of [...new Set([...Object.keys(a.keys), ...Object.keys(b.keys)])].sort()) {
    push(`caller key ${hash.slice(0, 19)}…`, keyText(a.keys[hash]), keyText(b.keys[hash]));
  }
  // Token issuers by issuer (a block's name is only a name): who can call, and which claims are the team and user.
  const issuers = (g: Graph): Map<string, JwtNode> => new Map(Object.values(g.jwt ?? {}).map((j) => [j.issuer, j]));
  const ia = issuers(a);
  const ib = issuers(b);
  for (const iss of [...new Set([...ia.keys(), ...ib.keys()])].sort()) push(`token issuer ${iss}`, jwtText(ia.get(iss)), jwtText(ib.get(iss)));
  push("revocation file", a.gateway.revoked ?? "none", b.gateway.revoked ?? "none");
  return out;
}

function jwtText(j: JwtNode | undefined): string {
  if (!j) return "absent";
  const keys = j.keys.kind === "url" ? `keys ${j.keys.url}` : `key file ${j.keys.path}`;
  return `audience ${JSON.stringify(j.audience)}, ${keys}, ${j.algorithms.join("/")}, team ${j.teamClaim ?? "none"}, user ${j.userClaim}, leeway ${durationText(j.leewayMs)}`;
}

/** The semantic difference between policy `a` (old) and `b` (new). Pure. */
export function diffGraphs(a: Graph, b: Graph): PolicyDiff {
  const sa = prepareSide(a);
  const sb = prepareSide(b);
  const changes: Change[] = [];
  for (const r of changedRegions(sa, sb)) {
    const oa = r.old < 0 ? undefined : sa.outcomes[r.old];
    const ob = r.new < 0 ? undefined : sb.outcomes[r.new];
    const change: Change = { aspects: [], witness: describe(r.witness), exact: r.exact };
    // A witness's time is stated in the zone both sides read it in; when the zone changed, no one instant says it.
    const zone = (a.gateway.timezone ?? DEFAULT_TIMEZONE) === (b.gateway.timezone ?? DEFAULT_TIMEZONE) ? (a.gateway.timezone ?? DEFAULT_TIMEZONE) : undefined;
    const request = testRequest(r.witness, zone);
    if (request) change.request = request;
    const o = ref(oa?.route);
    const n = ref(ob?.route);
    if (o) change.old = o;
    if (n) change.new = n;
    if (oa && ob) {
      change.aspects = aspectChanges(sa, sb, oa, ob);
      const m = moved(oa, ob);
      if (m !== undefined) change.moves = m;
    }
    if (r.undecided) change.undecided = true;
    changes.push(change);
  }
  const global = globalChanges(a, b);
  return { versions: { old: a.policy, new: b.policy }, changes, global, renames: renames(sa, sb), equivalent: changes.length === 0 && global.length === 0 };
}
