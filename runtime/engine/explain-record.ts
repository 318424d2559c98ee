/**
 * The shape of the decision record (explain-decision.ts builds it): plain,
 * deterministic JSON that `aigw explain` prints and the server logs.
 */
import type { BudgetNode, Scope } from "../../compiler/graph.js";

/** A request to explain: headers (any case) and an OpenAI chat completion body. */
export interface ExplainInput {
  /** Absent: no headers. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** How the caller was identified: a key listed in `keys`, a bearer key that is not listed, or no key. */
export type CallerAuth = "key" | "unknown-key" | "no-key";

/** The facts the decision read. Headers, metadata and labels only where some condition or `split by` of the policy reads them. */
export interface RequestRecord {
  readonly model?: string;
  readonly endpoint: string;
  readonly stream: boolean;
  readonly caller: {
    readonly auth: CallerAuth;
    /** The key's hash (`sha256:…`), never the key. */
    readonly key?: string;
    readonly team?: string;
    readonly user?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly headers?: Readonly<Record<string, string>>;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly inputBytes: number;
  /** Only when the tokenizer ran (a condition needed the exact count). */
  readonly inputTokens?: number;
  readonly tools: boolean;
  readonly images: boolean;
}

/** A declaration's name and where it is written. */
export interface Located {
  readonly name: string;
  readonly file: string;
  readonly line: number;
}

/** A route that was considered, in first-match order. */
export interface RouteRecord extends Located {
  readonly matched: boolean;
  /** Which part of the `when` decided, with the fact values involved. */
  readonly reason: string;
}

/** A `defaults` block a route includes, and the statements it gave the route, as written (`guard pii, injection`). */
export interface DefaultsRecord extends Located {
  readonly settings: readonly string[];
}

export interface BudgetRecord extends Located {
  readonly scope: Scope;
  readonly scopeKey: string;
  /** Dollars spent in the current window, as the state reported. */
  readonly spent: number;
  readonly limit: number;
  readonly state: "ok" | "warn" | "exceeded";
  readonly warnPercent?: number;
  /** See {@link windowText}: `day`, `24h`. */
  readonly window: string;
  readonly exceeded: BudgetNode["exceeded"];
}

/** One measure of a rate limit: used in the current window, of count. */
export interface LimitMeasure {
  readonly used: number;
  readonly count: number;
  readonly window: string;
}

export interface LimitRecord extends Located {
  readonly scope: Scope;
  readonly scopeKey: string;
  readonly requests?: LimitMeasure;
  readonly tokens?: LimitMeasure;
  /** Requests in flight and the most allowed. */
  readonly concurrent?: { readonly used: number; readonly count: number };
  /** The measure that is used up: the request is rejected. */
  readonly exhausted?: "requests" | "tokens" | "concurrent";
}

export interface SplitRecord {
  readonly arms: readonly { readonly model: string; readonly weight: number }[];
  /** The `split by` fact as written (`key`, `header("x-user")`). */
  readonly by?: string;
  /** The fact value that was hashed (absent when missing: the draw decided). */
  readonly value?: string;
  /** The random draw, when it decided. */
  readonly draw?: number;
  /** The arm picked; absent when no arm has a positive weight (fallbacks only). */
  readonly pick?: string;
  /** Picked by a test's `given split picks`. */
  readonly forced?: true;
  /** `split fastest`: the arms drawn and their latency estimates in ms (null: never measured). */
  readonly fastest?: { readonly drawn: readonly string[]; readonly estimates: readonly (number | null)[] };
  /** `split cheapest`: the arms compared and their worst-case dollars for this request (null: unpriced). */
  readonly cheapest?: { readonly arms: readonly string[]; readonly costs: readonly (number | null)[] };
  /** The arm the rule picked first, ejected by the health policy. */
  readonly instead?: string;
}

export interface PlanRecord {
  /** In the order tried. */
  readonly targets: readonly {
    readonly model: string;
    readonly provider?: string;
    readonly upstream?: string;
    readonly retries: number;
    readonly timeoutMs?: number;
  }[];
  /** Failures that move on to a retry or the next target. */
  readonly fallbackOn: readonly string[];
  readonly backoffMs: number;
  readonly maxAttempts: number;
}

/** A target the route's health policy skipped, and why. */
export interface SkippedRecord extends Located {
  /** The skipped model; `name` is the health policy, declared at `file:line`. */
  readonly model: string;
  /** `ejected 12 s ago after 5 consecutive 503s; 18 s to go`. */
  readonly reason: string;
  readonly probing: boolean;
}

/** A target left out because it cannot take the request (§7.8). */
export interface UnfitRecord {
  readonly model: string;
  /** What it lacks: capabilities (`images`), `context` or `max_output`. */
  readonly lacks: readonly string[];
  /** `gpt-35 skipped: no images`. */
  readonly reason: string;
}

/** What one of the route's guardrails does to this input. */
export interface GuardrailRecord extends Located {
  /** `skipped`: an earlier guardrail blocked, so this one never ran. */
  readonly input: "blocked" | "redacted" | "flagged" | "passed" | "skipped";
  /** Rules that fired, in order; `rule` is 1-based; `count` is the matches replaced by a redaction. */
  readonly hits: readonly { readonly rule: number; readonly action: "block" | "redact" | "flag"; readonly by: string; readonly count?: number }[];
  /** The guardrail also has `on output` rules, applied to the answer. */
  readonly output?: true;
}

/** How the request ends before anything is sent, or that it is sent. */
export type OutcomeRecord =
  | { readonly kind: "routed"; readonly route: string; readonly target?: string }
  | { readonly kind: "blocked"; readonly status: 400; readonly route: string; readonly guardrail: string; readonly by: string; readonly message: string }
  /** No target of the route can take the request (§7.8). */
  | { readonly kind: "unfit"; readonly status: 400; readonly route: string; readonly message: string }
  | { readonly kind: "rejected"; readonly status: 429; readonly route: string; readonly reason: "budget" | "limit"; readonly name: string; readonly message: string }
  /** The route rejects every request it takes (`reject 403 "…"`). */
  | { readonly kind: "refused"; readonly status: number; readonly route: string; readonly message: string }
  | { readonly kind: "no-route"; readonly status: 404; readonly accepted: readonly string[]; readonly message: string };

/** A budget or limit left out of a decision: its `when`, and what made it false. */
export interface NotAppliedRecord extends Located {
  readonly kind: "budget" | "limit";
  readonly reason: string;
}

/**
 * One decision, explained: the record `aigw explain --format json` prints
 * and the server logs. Absent parts are left out (never `undefined`), so
 * the JSON text of two equal records is equal.
 */
export interface Explanation {
  /** The policy version (`x-aigw-policy`). */
  readonly policy: string;
  readonly request: RequestRecord;
  /** How many routes the index made candidates: those for the requested model and those for any model. */
  readonly candidates: { readonly forModel: number; readonly anyModel: number };
  /** Every route considered, in order, up to and including the one that matched. */
  readonly routes: readonly RouteRecord[];
  /** The matched route. */
  readonly route?: Located;
  /** The `defaults` blocks the matched route includes (`use`), with the statements each gave it. */
  readonly defaults?: readonly DefaultsRecord[];
  /** What the route's shaping changes in the request's `max_tokens`, `temperature` and `top_p` (lang/SPEC.md §4.8.2): `max_tokens 20000 → 8000 (cap)`. */
  readonly shaped?: string;
  readonly budgets: readonly BudgetRecord[];
  readonly limits: readonly LimitRecord[];
  /** The route's budgets and limits whose `when` is false for this request: not counted, and why. */
  readonly notApplied?: readonly NotAppliedRecord[];
  /** An exceeded budget replaced the targets with its downgrade model. */
  readonly downgrade?: { readonly budget: string; readonly model: string };
  readonly split?: SplitRecord;
  readonly plan?: PlanRecord;
  /** Targets that cannot take the request, left out of the plan and the split's draw (§7.8). */
  readonly unfit?: readonly UnfitRecord[];
  /** Targets the route's health policy has ejected, moved to the end of the plan (§7.6). */
  readonly skipped?: readonly SkippedRecord[];
  /** The route's guardrails, in order, applied to the input. */
  readonly guardrails: readonly GuardrailRecord[];
  readonly outcome: OutcomeRecord;
  /** The route's response cache, as the server's cache step found it (absent from `aigw explain`, which looks nothing up). */
  readonly cache?: CacheRecord;
}

/** How the route's cache took part: `entry` is the first 16 hex digits of the key. */
export interface CacheRecord {
  readonly name: string;
  readonly result: "hit" | "miss" | "bypass" | "ineligible";
  readonly entry?: string;
}

// ---------------------------------------------------------------- building it
