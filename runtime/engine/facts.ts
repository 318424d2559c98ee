/**
 * The facts a decision reads about one request: what a `when` condition, a
 * `split by` and a guardrail condition can see. Built once per request by the
 * server (`factsFromRequest`) or by a policy test (`factsFromTestRequest`)
 * and never mutated afterwards, except that the input token count is computed
 * on first read and cached: most requests never need the tokenizer.
 */
import type { Graph, TestRequest } from "../../compiler/graph.js";
import { normalizeText, type CanonicalRequest } from "../request/index.js";
import { openingOf, sessionOf } from "./session.js";
import { localTime, type LocalTime } from "./local-time.js";
import { DEFAULT_TIMEZONE } from "../../compiler/time.js";
import type { Tokenizer } from "./tokens.js";

/** A read-only record with no prototype surprises: only own string values are facts. */
export type StringMap = Readonly<Record<string, string>>;

/** Everything the engine may read about a request. */
export interface Facts {
  /** The `model` field of the request, as the caller wrote it. */
  readonly model: string | undefined;
  /** The request path, e.g. `/v1/chat/completions`. */
  readonly endpoint: string;
  readonly stream: boolean;
  /** Request headers with lower-case names. */
  readonly headers: StringMap;
  /** The caller's key hash (`sha256:…`) when authenticated. */
  readonly key: string | undefined;
  readonly team: string | undefined;
  readonly user: string | undefined;
  /** Every label of the caller's `keys` entry (team and user included). */
  readonly labels: StringMap;
  /** The request's `metadata` (string to string). */
  readonly metadata: StringMap;
  /**
   * The input text: everything the model reads (runtime/request/text.ts:
   * message texts and names, tool calls, tool definitions, response
   * schemas), joined by a newline.
   */
  readonly text: string;
  /** The normal form of `text` (runtime/request/normalize.ts), what conditions on `text` read. Computed on first read. */
  readonly normalizedText: string;
  /** UTF-8 length of `text`. */
  readonly inputBytes: number;
  /**
   * An upper bound on `inputTokens` known without tokenizing: `inputBytes`
   * (a byte-level BPE token covers at least one byte), or the exact count
   * when it is already known.
   */
  readonly maxInputTokens: number;
  /** Tokens of `text` (o200k_base). Counted on first read, then cached. */
  readonly inputTokens: number;
  /** Whether `inputTokens` has been counted (or given); for tests and traces. */
  readonly tokensCounted: boolean;
  readonly tools: boolean;
  readonly images: boolean;
  /** The request asks for a `json_schema` response format (capabilities, engine/fit.ts). */
  readonly jsonSchema: boolean;
  /** The most output tokens per choice the request allows (`max_tokens`); undefined: not set. */
  readonly maxTokens: number | undefined;
  /**
   * The sampling the caller asked for; undefined when left to the
   * provider's default (which is not 0: a missing temperature never
   * equals 0).
   */
  readonly temperature: number | undefined;
  readonly topP: number | undefined;
  /** The conversation the request belongs to (session.ts); derived on first read. */
  readonly session: string | undefined;
  /** The wall-clock time the request arrived, in the gateway's zone (local-time.ts); read on first use. */
  readonly local: LocalTime;
  /**
   * `budget_used("B")`: percent of budget B spent and reserved for the
   * caller's scope value, by budget name; only the budgets the policy's
   * conditions name, read before the decision (`primeBudgetUse`). A budget
   * not here has nothing spent.
   */
  readonly budgetUsed: Readonly<Record<string, number>>;
  /**
   * The verdict of the `matches` pattern `key` (see {@link patternKey}) on
   * the normal form of `text`, when it was computed ahead (the guard pass,
   * runtime/offload/); undefined: evaluate it.
   */
  knownMatch(key: string): boolean | undefined;
}

/**
 * What the guard pass computed ahead about a request's text, off the event
 * loop for a large one: exactly what the lazy getters would compute.
 */
export interface TextAnalysis {
  /** Tokens of the text, when counted. */
  inputTokens?: number;
  /** The normal form; null when the text is its own. */
  normalizedText: string | null;
  /** Every `matches` pattern on `text` of the graph, by {@link patternKey}. */
  matches: Readonly<Record<string, boolean>>;
}

/** The key of a `matches` pattern in {@link TextAnalysis.matches}. */
export function patternKey(source: string, flags: string): string {
  return `${flags}/${source}`;
}

/** Who is calling, as resolved by authentication. */
export interface Caller {
  key?: string;
  team?: string;
  user?: string;
  labels?: Readonly<Record<string, string>>;
}

/** The plain fields of `Facts`; `inputTokens` may be given to skip counting. */
export interface FactsInit {
  model?: string;
  endpoint?: string;
  stream?: boolean;
  headers?: Readonly<Record<string, string>>;
  key?: string;
  team?: string;
  user?: string;
  labels?: Readonly<Record<string, string>>;
  metadata?: Readonly<Record<string, string>>;
  text?: string;
  /**
   * The input's UTF-8 length when `text` is left out: the guard pass sends
   * output guardrails and the body log facts without the input text, which
   * they do not read (runtime/offload/pass.ts).
   */
  inputBytes?: number;
  inputTokens?: number;
  tools?: boolean;
  images?: boolean;
  jsonSchema?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  /** The session, or how to derive it on first read (session.ts). */
  session?: string | (() => string | undefined);
  /** `budget_used` by budget name, in percent. */
  budgetUsed?: Readonly<Record<string, number>>;
  /** When the request arrived, ms since the epoch (the World's clock); default 0, so facts never read a clock themselves. */
  atMs?: number;
  /** The zone the time facts are read in (the graph's `timezone`); default UTC. */
  timezone?: string;
}

const NO_USE: Readonly<Record<string, number>> = Object.freeze(Object.create(null) as Record<string, number>);

const EMPTY: StringMap = Object.freeze(Object.create(null) as Record<string, string>);

/** The endpoint assumed when none is given. */
export const CHAT_ENDPOINT = "/v1/chat/completions";

/**
 * The one `Facts` implementation. A class so every facts object has the same
 * shape (the evaluator's property reads stay monomorphic) and so the token
 * count can be a lazy getter.
 */
class RequestFacts implements Facts {
  readonly model: string | undefined;
  readonly endpoint: string;
  readonly stream: boolean;
  readonly headers: StringMap;
  readonly key: string | undefined;
  readonly team: string | undefined;
  readonly user: string | undefined;
  readonly labels: StringMap;
  readonly metadata: StringMap;
  readonly text: string;
  readonly inputBytes: number;
  readonly maxInputTokens: number;
  readonly tools: boolean;
  readonly images: boolean;
  readonly jsonSchema: boolean;
  readonly maxTokens: number | undefined;
  readonly temperature: number | undefined;
  readonly topP: number | undefined;
  budgetUsed: Readonly<Record<string, number>>;
  private tokens: number;
  private normalized: string | undefined;
  private matches: Readonly<Record<string, boolean>> | undefined;
  private readonly tokenizer: Tokenizer | undefined;
  private sessionValue: string | undefined | (() => string | undefined);
  private readonly atMs: number;
  private readonly timezone: string;
  private localValue: LocalTime | undefined;

  constructor(init: FactsInit, tokenizer: Tokenizer | undefined) {
    this.model = init.model;
    this.endpoint = init.endpoint ?? CHAT_ENDPOINT;
    this.stream = init.stream ?? false;
    this.headers = init.headers ?? EMPTY;
    this.key = init.key;
    this.team = init.team;
    this.user = init.user;
    this.labels = init.labels ?? EMPTY;
    this.metadata = init.metadata ?? EMPTY;
    this.text = init.text ?? "";
    this.inputBytes = init.inputBytes ?? utf8Length(this.text);
    this.tools = init.tools ?? false;
    this.images = init.images ?? false;
    this.jsonSchema = init.jsonSchema ?? false;
    this.maxTokens = init.maxTokens;
    this.temperature = init.temperature;
    this.topP = init.topP;
    this.budgetUsed = init.budgetUsed ?? NO_USE;
    this.tokenizer = tokenizer;
    this.sessionValue = init.session;
    this.atMs = init.atMs ?? 0;
    this.timezone = init.timezone ?? DEFAULT_TIMEZONE;
    const given = init.inputTokens;
    // An empty text has exactly zero tokens: no need to ever count it.
    this.tokens = given !== undefined ? given : this.inputBytes === 0 ? 0 : -1;
    this.maxInputTokens = this.tokens >= 0 ? this.tokens : this.inputBytes;
  }

  get inputTokens(): number {
    if (this.tokens < 0) {
      if (this.tokenizer === undefined) {
        throw new Error("`input_tokens` was read but no tokenizer was given (await loadTokenizer() first)");
      }
      this.tokens = this.tokenizer.count(this.text);
    }
    return this.tokens;
  }

  get session(): string | undefined {
    const v = this.sessionValue;
    if (typeof v !== "function") return v;
    return (this.sessionValue = v());
  }

  get local(): LocalTime {
    return (this.localValue ??= localTime(this.atMs, this.timezone));
  }

  get normalizedText(): string {
    return (this.normalized ??= normalizeText(this.text).text);
  }

  get tokensCounted(): boolean {
    return this.tokens >= 0;
  }

  knownMatch(key: string): boolean | undefined {
    const m = this.matches;
    return m !== undefined && Object.hasOwn(m, key) ? m[key] : undefined;
  }

  /** Fills the caches the getters would fill, from the guard pass's analysis of this very text. */
  prime(a: TextAnalysis): void {
    if (a.inputTokens !== undefined) this.tokens = a.inputTokens;
    this.normalized = a.normalizedText ?? this.text;
    this.matches = a.matches;
  }
}

/**
 * Hands facts what the guard pass computed ahead about their text (it must
 * be an analysis of `f.text`): the token count, the normal form and the
 * `matches` verdicts are then read, not computed, so `decide` stays quick
 * on a large text. The values are the ones the lazy getters would compute.
 */
export function primeFacts(f: Facts, a: TextAnalysis): void {
  if (!(f instanceof RequestFacts)) throw new Error("primeFacts: facts not made by this module");
  f.prime(a);
}

/**
 * Hands facts the `budget_used` values read from the store for this caller
 * (runtime/budget/used.ts), before anything decides on them: `decide` is
 * synchronous and never reads the store itself.
 */
export function primeBudgetUse(f: Facts, used: Readonly<Record<string, number>>): void {
  if (!(f instanceof RequestFacts)) throw new Error("primeBudgetUse: facts not made by this module");
  f.budgetUsed = used;
}

/**
 * Facts from plain fields: the building block of the two builders below, and
 * what tests and benchmarks use directly. `tokenizer` is only called if a
 * policy reads `input_tokens` and the byte length does not decide it.
 */
export function makeFacts(init: FactsInit, tokenizer?: Tokenizer): Facts {
  return new RequestFacts(
    {
      ...init,
      headers: init.headers && lowerCaseKeys(init.headers),
      labels: init.labels && ownStrings(init.labels),
      metadata: init.metadata && ownStrings(init.metadata),
    },
    tokenizer,
  );
}

/**
 * Facts from a canonical request, the texts the model will read in it
 * (runtime/request/text.ts `requestTexts`, computed once by the caller and
 * joined here by newlines for `text`), its headers (lower-case names, as
 * uWebSockets.js and undici give them) and the authenticated caller. Pure:
 * reads its arguments only.
 */
export function factsFromRequest(
  req: CanonicalRequest,
  texts: readonly string[],
  headers: Readonly<Record<string, string>>,
  caller: Caller,
  tokenizer: Tokenizer | undefined,
  endpoint: string = CHAT_ENDPOINT,
  time: RequestTime = {},
): Facts {
  return new RequestFacts(
    {
      model: req.model,
      endpoint,
      stream: req.stream !== undefined,
      headers: lowerCaseKeys(headers),
      key: caller.key,
      team: caller.team,
      user: caller.user,
      labels: caller.labels ? ownStrings(caller.labels) : callerLabels(caller),
      metadata: req.metadata === undefined ? EMPTY : ownStrings(req.metadata),
      text: texts.length === 1 ? texts[0]! : texts.join("\n"),
      tools: req.tools.length > 0,
      images: hasImages(req),
      jsonSchema: req.output.format?.["type"] === "json_schema",
      maxTokens: req.output.maxTokens,
      temperature: req.sampling.temperature,
      topP: req.sampling.topP,
      session: () => sessionOf({ headers, ...sessionFields(req), opening: () => openingOf(req.messages) }),
      ...time,
    },
    tokenizer,
  );
}

/** When a request arrived and the zone its time facts are read in. */
export interface RequestTime {
  atMs?: number;
  timezone?: string;
}

/** The body fields the session may come from: `prompt_cache_key` (kept as passthrough) and the end-user id. */
function sessionFields(req: CanonicalRequest): { promptCacheKey?: string; user?: string } {
  const key = req.passthrough.fields["prompt_cache_key"];
  return { ...(typeof key === "string" ? { promptCacheKey: key } : {}), ...(req.user !== undefined ? { user: req.user } : {}) };
}

/** Whether a message holds an image (the `images` fact). */
function hasImages(req: CanonicalRequest): boolean {
  for (const m of req.messages) for (const b of m.content) if (b.kind === "image") return true;
  return false;
}

/**
 * Facts for a policy `test` block. A `key` that names an entry of the graph's
 * `keys` brings that entry's team, user and labels; an explicit `team` or
 * `user` in the request wins over the entry.
 */
export function factsFromTestRequest(request: TestRequest, graph: Pick<Graph, "keys"> & { gateway?: Pick<Graph["gateway"], "timezone"> }, tokenizer?: Tokenizer, budgetUsed?: Readonly<Record<string, number>>): Facts {
  const entry = request.key !== undefined && Object.hasOwn(graph.keys, request.key) ? graph.keys[request.key] : undefined;
  const team = request.team ?? entry?.team;
  const user = request.user ?? entry?.user;
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  if (entry) Object.assign(labels, ownStrings(entry.labels));
  if (request.labels) Object.assign(labels, ownStrings(request.labels));
  if (team !== undefined) labels.team = team;
  if (user !== undefined) labels.user = user;
  return new RequestFacts(
    {
      model: request.model,
      endpoint: request.endpoint ?? CHAT_ENDPOINT,
      stream: request.stream ?? false,
      headers: lowerCaseKeys(request.headers),
      key: request.key,
      team,
      user,
      labels,
      metadata: ownStrings(request.metadata),
      text: request.input ?? "",
      inputTokens: request.inputTokens,
      tools: request.tools ?? false,
      images: request.images ?? false,
      jsonSchema: request.jsonSchema ?? false,
      maxTokens: request.maxTokens,
      temperature: request.temperature,
      topP: request.topP,
      // A test's input is its one user message: the conversation's opening.
      session: request.session ?? (() => sessionOf({ headers: lowerCaseKeys(request.headers), opening: () => ({ system: "", user: request.input ?? "" }) })),
      budgetUsed,
      atMs: request.atMs ?? TEST_MOMENT_MS,
      ...(graph.gateway?.timezone !== undefined ? { timezone: graph.gateway.timezone } : {}),
    },
    tokenizer,
  );
}

/**
 * When a test request arrives unless it says `at`: a fixed moment, so a
 * test's verdict never depends on when it runs (Monday 2026-01-05 12:00 UTC).
 */
export const TEST_MOMENT_MS = Date.UTC(2026, 0, 5, 12, 0, 0);

/** UTF-8 byte length of a string without encoding it (lone surrogates count 3, as TextEncoder writes U+FFFD): V8's own count, a native loop. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

function callerLabels(caller: Caller): StringMap {
  if (caller.team === undefined && caller.user === undefined) return EMPTY;
  const labels = Object.create(null) as Record<string, string>;
  if (caller.team !== undefined) labels.team = caller.team;
  if (caller.user !== undefined) labels.user = caller.user;
  return labels;
}

/** Own string-valued entries only, in a prototype-free object. */
function ownStrings(src: Readonly<Record<string, unknown>>): StringMap {
  const out = Object.create(null) as Record<string, string>;
  for (const k of Object.keys(src)) {
    const v = src[k];
    if (typeof v === "string") out[k] = v;
  }
  return out;
}

function lowerCaseKeys(src: Readonly<Record<string, unknown>>): StringMap {
  const out = Object.create(null) as Record<string, string>;
  for (const k of Object.keys(src)) {
    const v = src[k];
    if (typeof v === "string") out[k.toLowerCase()] = v;
  }
  return out;
}
