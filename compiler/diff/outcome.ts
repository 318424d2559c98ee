/**
 * What a route does to a request it takes, aspect by aspect, with every name
 * resolved to what it stands for: the unit `aigw diff` compares. Two routes
 * of two policies behave the same when every aspect's fingerprint is equal,
 * whatever their names — so renaming a route, a model, a budget or a
 * guardrail, or moving it to another file, changes no fingerprint, and
 * changing what a name stands for (a price, a budget's limit, a provider's
 * timeout) changes every aspect that reaches it.
 */
import { stringify } from "safe-stable-stringify";
import { exprText, factText } from "../expr-text.js";
import { isWildcard, tableRows, type BudgetNode, type CacheNode, type ExprNode, type Graph, type GuardrailNode, type HealthNode, type LimitNode, type ModelNode, type RouteNode, type WindowNode } from "../graph.js";
import { dollarText, durationText, tokenText } from "../units-text.js";
import { shapingText } from "../shaping.js";

/** The aspects of a route's behaviour, in the order a report lists them. */
export const ASPECTS = ["targets", "fallback", "fallback on", "retry", "timeout", "guardrails", "budgets", "limits", "cache", "health", "shaping"] as const;
export type Aspect = (typeof ASPECTS)[number];

/** One named thing an aspect reaches: its name, a fingerprint of what it stands for, and that in words. */
export interface Item {
  name: string;
  fp: string;
  detail: string;
  /** What the declaration says, without its name, when the name itself is behaviour (see `makeBudget`): how renames.ts pairs it. */
  content?: string;
}

/** One aspect: a heading (`split by key`, `2 backoff 250ms`) and the things it lists. */
export interface AspectValue {
  head: string;
  items: readonly Item[];
  /** Whether the items' order matters (a fallback list, guardrails run in order) or they are a set (budgets). */
  ordered: boolean;
}

/** A route's behaviour; `route` is absent for "no route matches" (404). */
export interface Outcome {
  route?: RouteNode;
  aspects: Readonly<Record<Aspect, AspectValue>>;
  /** All aspects' fingerprints together: equal outcomes, equal behaviour. */
  fp: string;
}

/** A canonical text of plain data (keys sorted): equal content, equal text. */
export function fingerprint(x: unknown): string {
  return stringify(x) ?? "";
}

export function aspectFp(a: AspectValue): string {
  const fps = a.items.map((i) => i.fp);
  return `${a.head}|${(a.ordered ? fps : fps.sort()).join(",")}`;
}

/** The aspect in words; an item whose name `other` also lists for something else says what it stands for. */
export function aspectText(a: AspectValue, other?: AspectValue): string {
  const items = a.items.map((i) => {
    const there = other?.items.find((o) => o.name === i.name);
    return there && there.fp !== i.fp ? `${i.name} (${i.detail})` : i.name;
  });
  const parts = [a.head, items.join(", ")].filter((s) => s !== "");
  return parts.length ? parts.join(" ") : "none";
}

function windowText(w: WindowNode): string {
  return w.kind === "calendar" ? `per ${w.unit}` : `per ${durationText(w.ms)}`;
}

/**
 * A budget or limit: the state store keeps its counters under its name, so
 * a renamed one starts again from zero — what the callers it meters see
 * changes (a team that had spent its day's $200 can spend $200 more). The
 * name is part of its behaviour's fingerprint; `content` still lets
 * renames.ts say it was a rename.
 */
function counted(name: string, content: string, detail: string): Item {
  return { name, fp: fingerprint({ counters: name, content }), detail, content };
}

const NONE: AspectValue = { head: "", items: [], ordered: false };
const scalar = (head: string): AspectValue => ({ head, items: [], ordered: false });

/**
 * Fingerprints and words for one graph's declarations, built once per graph
 * (a route reaches the same models and budgets as many others).
 */
export class Resolver {
  private readonly models = new Map<string, Item>();
  private readonly items = new Map<string, Item>();

  constructor(private readonly graph: Graph) {}

  /** `make(name)`, once per kind and name. */
  private memo(kind: string, name: string, make: (name: string) => Item): Item {
    const key = `${kind}\0${name}`;
    let item = this.items.get(key);
    if (!item) this.items.set(key, (item = make(name)));
    return item;
  }

  model(name: string): Item {
    let item = this.models.get(name);
    if (!item) {
      const m: ModelNode | undefined = this.graph.models[name];
      const p = m && this.graph.providers[m.provider];
      const { span: _m, provider: _p, ...model } = m ?? ({} as Partial<ModelNode>);
      const { span: _s, ...provider } = p ?? {};
      const priceText = (x: Partial<ModelNode>): string => (x.inputPrice !== undefined || x.outputPrice !== undefined ? `${dollarText(x.inputPrice ?? 0)}/${dollarText(x.outputPrice ?? 0)} per Mtok` : "no price");
      // A wildcard is what its price table says: a changed row is a changed target.
      const rows = m && isWildcard(m) ? tableRows(this.graph.models, name).map(([, { span: _r, provider: _q, ...row }]) => row) : undefined;
      const prices = rows ? `, table ${rows.map((r) => `${r.upstream} ${priceText(r)}`).join(", ") || "empty"}` : `, ${priceText(m ?? {})}`;
      const detail = m ? `${m.provider}/${JSON.stringify(m.upstream)}${prices}${m.context !== undefined ? `, context ${tokenText(m.context)}` : ""}, timeout ${durationText(p?.timeoutMs ?? 0)}` : "undeclared";
      item = { name, fp: fingerprint({ model, provider, ...(rows ? { rows } : {}) }), detail };
      this.models.set(name, item);
    }
    return item;
  }

  budget(name: string): Item {
    return this.memo("budget", name, (n) => this.makeBudget(n));
  }

  private makeBudget(name: string): Item {
    const b: BudgetNode | undefined = this.graph.budgets[name];
    if (!b) return { name, fp: "?", detail: "undeclared" };
    const exceeded = b.exceeded.action === "reject" ? { action: "reject" } : { action: "downgrade", model: this.model(b.exceeded.model).fp };
    const content = fingerprint({ scope: b.scope, limit: b.limit, amounts: b.amounts, window: b.window, warn: b.warnPercent, exceeded, when: b.when });
    const then = b.exceeded.action === "reject" ? "reject" : `downgrade ${b.exceeded.model}`;
    const amount = b.amounts === undefined ? dollarText(b.limit) : tableText(b.amounts, b.limit, dollarText);
    const detail = `per ${b.scope} limit ${amount} ${windowText(b.window)}${b.warnPercent !== undefined ? ` warn ${b.warnPercent}%` : ""} exceeded ${then}${whenText(b.when)}`;
    return counted(name, content, detail);
  }

  limit(name: string): Item {
    return this.memo("limit", name, (n) => this.makeLimit(n));
  }

  private makeLimit(name: string): Item {
    const l: LimitNode | undefined = this.graph.limits[name];
    if (!l) return { name, fp: "?", detail: "undeclared" };
    const { span: _s, ...content } = l;
    const parts = [`per ${l.scope}`];
    if (l.tokens) parts.push(`tokens ${l.tokens.amounts === undefined ? tokenText(l.tokens.count) : tableText(l.tokens.amounts, l.tokens.count, tokenText)} ${windowText(l.tokens.window)}`);
    if (l.requests) parts.push(`requests ${l.requests.amounts === undefined ? l.requests.count : tableText(l.requests.amounts, l.requests.count, String)} ${windowText(l.requests.window)}`);
    return counted(name, fingerprint(content), parts.join(" ") + whenText(l.when));
  }

  guardrail(name: string): Item {
    return this.memo("guardrail", name, (n) => this.makeGuardrail(n));
  }

  private makeGuardrail(name: string): Item {
    const g: GuardrailNode | undefined = this.graph.guardrails[name];
    if (!g) return { name, fp: "?", detail: "undeclared" };
    const { span: _s, ...content } = g;
    const rules = g.rules.map((r) => {
      const what = r.detectors ? r.detectors.map((d) => (d.kind === "builtin" ? d.name : d.kind === "pattern" ? `/${d.source}/${d.flags}` : `deny [${d.words.length} words]`)).join(", ") : `when ${r.when ? exprText(r.when) : "?"}`;
      return `on ${r.on} ${r.action} ${what}`;
    });
    return { name, fp: fingerprint(content), detail: rules.join("; ") || "no rules" };
  }

  cache(name: string): Item {
    return this.memo("cache", name, (n) => this.makeCache(n));
  }

  private makeCache(name: string): Item {
    const c: CacheNode | undefined = this.graph.caches[name];
    if (!c) return { name, fp: "?", detail: "undeclared" };
    const { span: _s, ...content } = c;
    const detail = `ttl ${durationText(c.ttlMs)} per ${c.scope}${c.when ? ` when ${exprText(c.when)}` : ""}${c.chargeHits ? " charge hits" : ""}`;
    return { name: name.startsWith("route:") ? "inline cache" : name, fp: fingerprint(content), detail };
  }

  health(name: string): Item {
    return this.memo("health", name, (n) => this.makeHealth(n));
  }

  private makeHealth(name: string): Item {
    const h: HealthNode | undefined = this.graph.health?.[name];
    if (!h) return { name, fp: "?", detail: "undeclared" };
    const { span: _s, ...content } = h;
    const rate = h.failureRate !== undefined ? ` or ${h.failureRate}% of ${h.minimum}+ in ${durationText(h.intervalMs)}` : "";
    return { name, fp: fingerprint(content), detail: `on ${h.on.join(", ")}: ${h.consecutive} in a row${rate}, eject ${durationText(h.ejectMs)}` };
  }

  outcome(route: RouteNode): Outcome {
    const t = route.target;
    const targets: AspectValue =
      t.kind === "to"
        ? { head: "to", items: [this.model(t.model)], ordered: true }
        : t.kind === "reject"
          ? { head: `reject ${t.status}`, items: [{ name: JSON.stringify(t.message), fp: `${t.status}:${t.message}`, detail: "" }], ordered: true }
          : {
            head: `split${t.by ? ` by ${factText(t.by)}` : ""}${t.fastest ? " fastest" : ""}`,
            items: t.arms.map((a) => {
              const m = this.model(a.model);
              return { name: `${a.weight}% ${a.model}`, fp: `${a.weight}:${m.fp}`, detail: m.detail };
            }),
            ordered: false,
          };
    const fallback = route.fallback.length ? { head: "", items: route.fallback.map((m) => this.model(m)), ordered: true } : NONE;
    const aspects: Record<Aspect, AspectValue> = {
      targets,
      fallback,
      // Reasons only matter when there is a fallback to take.
      "fallback on": route.fallback.length ? scalar([...route.fallbackOn].sort().join(", ")) : NONE,
      retry: scalar(route.retry.count === 0 ? "none" : `${route.retry.count}${route.retry.backoffMs ? ` backoff ${durationText(route.retry.backoffMs)}` : ""}`),
      timeout: scalar(route.timeoutMs === undefined ? "the provider's" : durationText(route.timeoutMs)),
      guardrails: { head: "", items: route.guard.map((g) => this.guardrail(g)), ordered: true },
      budgets: { head: "", items: route.budgets.map((b) => this.budget(b)), ordered: false },
      limits: { head: "", items: route.limits.map((l) => this.limit(l)), ordered: false },
      cache: route.cache === undefined ? NONE : { head: "", items: [this.cache(route.cache)], ordered: true },
      health: route.health === undefined ? NONE : { head: "", items: [this.health(route.health)], ordered: true },
      shaping: route.shaping === undefined ? NONE : scalar(shapingText(route.shaping)),
    };
    return { route, aspects, fp: ASPECTS.map((a) => aspectFp(aspects[a])).join("\n") };
  }
}

/** No route matches: the request is answered 404. */
export const NO_ROUTE: Outcome = (() => {
  const aspects = Object.fromEntries(ASPECTS.map((a) => [a, a === "targets" ? scalar("no route (404)") : NONE])) as Record<Aspect, AspectValue>;
  return { aspects, fp: ASPECTS.map((a) => aspectFp(aspects[a])).join("\n") };
})();

/** An amount table as the diff shows it: `{ "research" $500  default $100 }`. */
function tableText(amounts: Readonly<Record<string, number>>, fallback: number, text: (n: number) => string): string {
  return `{ ${[...Object.entries(amounts).map(([k, v]) => `${JSON.stringify(k)} ${text(v)}`), `default ${text(fallback)}`].join("  ")} }`;
}

function whenText(when: ExprNode | undefined): string {
  return when === undefined ? "" : ` when ${exprText(when)}`;
}
