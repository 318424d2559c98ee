/**
 * The settings each block accepts — `gateway`, `provider`, `model` and the
 * labels of a `keys` entry — with their types, units and defaults. This table
 * is the single source for the settings check (passes/check-settings.ts), for
 * lowering's defaults (lower.ts) and for the reference in lang/SPEC.md.
 */
import { CAPABILITIES } from "./graph.js";
import {
  BOOL,
  BYTES,
  COUNT,
  FAILURE_REASONS,
  MONEY,
  DURATION,
  ENTRIES,
  NAME,
  WORD,
  SIMILARITY,
  POSITIVE_DURATION,
  PERCENT,
  PRICE,
  STATE,
  STATUS_CODE,
  STRING,
  STRING_OR_ENV,
  TOKENS,
  enumType,
  envType,
  wordListType,
  type ValueType,
} from "./value-types.js";
import { TIMEZONE } from "./time.js";

export interface SettingSpec {
  type: ValueType;
  /** A block without it gets E203. */
  required?: boolean;
  /** The default as a policy would write it, for the reference; absent means "not set". */
  default?: string;
  /** Only accepted by providers of this `api` (a mock's failure rate, an OpenAI upstream's Responses endpoint). */
  onlyApi?: (typeof PROVIDER_APIS)[number];
  doc: string;
}

/** Setting name → spec, for one kind of block. */
export type SettingsTable = Readonly<Record<string, SettingSpec>>;

/** The settings of a table, looked up without reaching the object prototype (`constructor` is not a setting). */
export function settingSpec(table: SettingsTable, name: string): SettingSpec | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

export const PROVIDER_APIS = ["openai", "anthropic", "mock", "gemini", "vertex", "azure", "bedrock"] as const;

/**
 * `gateway { … }`. Request bodies are logged only with `log_bodies true`
 * (one boolean setting rather than a `log` word list: there is one thing to
 * switch, and a boolean cannot be misspelt into silently meaning something else).
 */
export const GATEWAY_SETTINGS: SettingsTable = {
  listen: { type: STRING, doc: 'address to listen on, `"host:port"` or `":port"`; the CLI default when absent' },
  state: {
    type: STATE,
    default: 'sqlite(".aigw/state.db")',
    doc: 'where budgets and rate limits are counted: `memory`, `sqlite("path")` or `redis(env("REDIS_URL"))`',
  },
  auth: { type: enumType(["keys", "none"]), default: "keys", doc: "`keys`: callers need a key from `keys`; `none`: local development only" },
  admin_token: { type: envType("the admin token"), doc: "bearer token for the admin endpoints, from the environment" },
  log_bodies: { type: BOOL, default: "false", doc: "record request and response bodies in the access log" },
  max_body: { type: BYTES, default: "1MB", doc: "largest accepted request body" },
  deadline: { type: POSITIVE_DURATION, default: "60s", doc: "overall time for one request, all attempts included" },
  cache_memory: { type: BYTES, default: "64MB", doc: "bytes the in-memory response cache may hold; the least recently used entries are evicted beyond it" },
  max_latency: { type: POSITIVE_DURATION, doc: "the `max_latency` of every route that declares none" },
  max_cost: { type: MONEY, doc: "the `max_cost` of every route that declares none" },
  usage_retention: {
    type: POSITIVE_DURATION,
    default: "30d",
    doc: "how long the usage ledger keeps its per-minute records (`aigw usage`, `/admin/usage`, `/ui`); older minutes are swept",
  },
  revoked: {
    type: STRING,
    doc: "path of a file of revoked key hashes (`sha256:…`) and token ids (`jti:…`), one per line: `aigw serve` watches it, so revoking needs no policy change",
  },
  timezone: {
    type: TIMEZONE,
    default: '"UTC"',
    doc: "the IANA time zone the time facts `hour`, `weekday` and `date` are read in (`\"Europe/Berlin\"`); checked against the zones Intl knows",
  },
  reload_max_drop: {
    type: PERCENT,
    default: "50%",
    doc: "largest share of the serving policy's routes a hot reload may remove; `100%` also lets a reload drop every route or every key",
  },
};

/**
 * Bounds a route declares and `aigw check` proves (compiler/bounds.ts), as
 * route settings or, in `gateway`, as the default of every route.
 */
export const BOUND_SETTINGS: SettingsTable = {
  max_latency: { type: POSITIVE_DURATION, doc: "the longest a request may take on the route, every try, backoff and `Retry-After` wait included; `aigw check` fails (E308) when the worst case is longer" },
  max_cost: { type: MONEY, doc: "the most one request may cost on the route, every try billed at its largest; `aigw check` fails (E308) when the worst case costs more" },
};

/** Settings written inside a `route` body: its declared bounds. */
export const ROUTE_SETTINGS: SettingsTable = BOUND_SETTINGS;

/** `provider name { … }`. */
export const PROVIDER_SETTINGS: SettingsTable = {
  api: {
    type: enumType(PROVIDER_APIS),
    required: true,
    doc: "the wire protocol: `openai`, `anthropic`, `gemini` (Google AI Studio), `vertex` (Google Vertex AI), `azure` (Azure OpenAI), `bedrock` (Amazon Bedrock) or the built-in `mock`",
  },
  base_url: { type: STRING, doc: "the API's base URL; the provider's public endpoint when absent (`azure`: the resource's endpoint, required)" },
  key: { type: envType("a provider key"), doc: 'the API key, always `env("NAME")`; for `api vertex`, a service-account key\'s JSON' },
  timeout: { type: POSITIVE_DURATION, default: "30s", doc: "time allowed for one attempt" },
  residency: { type: WORD, doc: "where the provider keeps the data it is sent, a word such as `eu`: its models' `residency` unless they declare their own" },
  responses: {
    type: BOOL,
    default: "false",
    onlyApi: "openai",
    doc: "the upstream also serves OpenAI's Responses API: a `POST /v1/responses` request is passed through to `{base_url}/responses`",
  },
  project: { type: STRING, onlyApi: "vertex", doc: "vertex: the Google Cloud project id" },
  location: { type: STRING, onlyApi: "vertex", doc: 'vertex: the region of the endpoint (`"us-central1"`, `"europe-west4"`, `"global"`)' },
  key_file: { type: STRING, onlyApi: "vertex", doc: "vertex: path of a service-account key file (JSON), read when the first request needs a token; instead of `key`" },
  api_version: { type: STRING, default: '"2024-10-21"', onlyApi: "azure", doc: "azure: the `api-version` query parameter" },
  token: {
    type: envType("an Entra ID token"),
    onlyApi: "azure",
    doc: 'azure: an Entra ID bearer token, `env("NAME")`, sent as `Authorization: Bearer` instead of `key`\'s `api-key` header',
  },
  region: {
    type: STRING_OR_ENV,
    onlyApi: "bedrock",
    doc: 'bedrock: the AWS region signed for and called, `"us-east-1"` or `env("AWS_REGION")`',
  },
  access_key: { type: envType("an AWS access key"), default: 'env("AWS_ACCESS_KEY_ID")', onlyApi: "bedrock", doc: "bedrock: the access key id" },
  secret_key: { type: envType("an AWS secret key"), default: 'env("AWS_SECRET_ACCESS_KEY")', onlyApi: "bedrock", doc: "bedrock: the secret access key" },
  session_token: {
    type: envType("an AWS session token"),
    default: 'env("AWS_SESSION_TOKEN")',
    onlyApi: "bedrock",
    doc: "bedrock: the session token of temporary credentials; not sent when the variable is unset",
  },
  latency: { type: DURATION, default: "0ms", onlyApi: "mock", doc: "mock: delay before each reply" },
  fail_rate: { type: PERCENT, default: "0%", onlyApi: "mock", doc: "mock: share of requests that fail" },
  fail_status: { type: STATUS_CODE, default: "500", onlyApi: "mock", doc: "mock: the status of a failed request" },
};

export const CACHE_SCOPES = ["key", "team", "user", "global"] as const;

/** `cache name { … }` and a route's `cache { … }`; `when CONDITION` is checked with the other conditions. */
export const CACHE_SETTINGS: SettingsTable = {
  ttl: { type: POSITIVE_DURATION, required: true, doc: "how long an entry answers, e.g. `10m`" },
  scope: { type: enumType(CACHE_SCOPES), default: "key", doc: "whose requests share entries: `key` (one caller), `team`, `user` or `global`" },
  max_entry: { type: BYTES, default: "256KB", doc: "largest reply stored" },
  bypass: { type: enumType(["allowed", "denied"]), default: "allowed", doc: "whether `cache-control: no-cache` or `x-aigw-cache: bypass` skips the cache" },
  charge: { type: enumType(["hits", "none"]), default: "none", doc: "`charge hits`: a hit counts against the route's budgets and limits like a miss" },
  semantic: { type: NAME, doc: "the embedding model (a declared model) of the semantic cache: a request whose last user text is close enough to a stored one's is answered with its reply" },
  similarity: { type: SIMILARITY, default: "0.95", doc: "semantic: the least cosine similarity of a hit" },
  max_vectors: { type: ENTRIES, default: "2000", doc: "semantic: the most vectors a gateway holds for the cache (least recently used evicted)" },
};

/** Cache settings that mean something only with `semantic`. */
export const SEMANTIC_ONLY = ["similarity", "max_vectors"] as const;

/**
 * What a provider of each `api` cannot do without (E203): each entry is a
 * list of settings of which one must be given.
 */
export const PROVIDER_NEEDS: Readonly<Partial<Record<(typeof PROVIDER_APIS)[number], readonly (readonly string[])[]>>> = {
  gemini: [["key"]],
  vertex: [["project"], ["location"], ["key", "key_file"]],
  // Azure has no public endpoint to default to; a Bedrock region is part of both the host and the signature.
  azure: [["base_url"]],
  bedrock: [["region"]],
};

/** `model name = provider/"upstream" { … }`. */
export const MODEL_SETTINGS: SettingsTable = {
  input: { type: PRICE, doc: "price of input tokens, e.g. `$2.50/Mtok`" },
  output: { type: PRICE, doc: "price of output tokens" },
  cache_read: { type: PRICE, doc: "price of input tokens read from the provider's prompt cache; absent: `input`" },
  cache_write: { type: PRICE, doc: "price of input tokens written to the provider's prompt cache; absent: `input`" },
  prompt_cache: {
    type: enumType(["auto", "off"]),
    default: "off",
    doc: "`auto`: on an Anthropic Messages upstream (api `anthropic`, or Claude on `vertex`), mark the system prompt and the last tool for the provider's prompt cache",
  },
  context: { type: TOKENS, doc: "context window in tokens, e.g. `128k`" },
  max_output: { type: TOKENS, doc: "largest completion; bounds a budget reservation when a request sets no max_tokens, and a request asking for more skips the model" },
  supports: {
    type: wordListType(CAPABILITIES, "capabilities"),
    doc: "what the model can take, of `tools`, `images`, `json_schema`, `stream`: a request needing another skips it; absent: not declared",
  },
  residency: { type: WORD, doc: "where the model keeps the data it is sent, a word such as `eu`, for invariants' `require residency`; absent: its provider's" },
};

/** A wildcard model's (`provider/"*"`) own settings: what holds for every name it sends; prices are per row. */
export const WILDCARD_MODEL_SETTINGS: SettingsTable = { prompt_cache: MODEL_SETTINGS["prompt_cache"]!, residency: MODEL_SETTINGS["residency"]! };

/** A row of a wildcard model's price table: what one upstream name costs and can take. */
export const PRICE_ROW_SETTINGS: SettingsTable = Object.fromEntries(Object.entries(MODEL_SETTINGS).filter(([name]) => !Object.hasOwn(WILDCARD_MODEL_SETTINGS, name)));

/**
 * `health name { … }`: when a target is ejected and for how long. Every
 * setting has a default, so `health h {}` is a working policy.
 */
export const HEALTH_SETTINGS: SettingsTable = {
  on: { type: FAILURE_REASONS, default: "[5xx, timeout, connection]", doc: "the failures that count against a target; a counted `429` with `Retry-After` ejects at once for that long" },
  consecutive: { type: COUNT, default: "5", doc: "eject after this many counted failures in a row (`0`: never for that alone)" },
  failure_rate: { type: PERCENT, doc: "also eject when at least this share of the tries in `interval` failed" },
  interval: { type: POSITIVE_DURATION, default: "1m", doc: "the window `failure_rate` is measured over" },
  minimum: { type: COUNT, default: "10", doc: "the fewest tries in `interval` for `failure_rate` to apply" },
  eject: { type: POSITIVE_DURATION, default: "30s", doc: "the first ejection; each ejection in a row doubles it" },
  max_eject: { type: POSITIVE_DURATION, default: "5m", doc: "the longest ejection" },
  shared: {
    type: POSITIVE_DURATION,
    doc: "share ejections and the half-open probe through the gateway's `state` store (SQLite or Redis), each instance reading it this often; absent: per instance",
  },
};

/** Signature algorithms a `jwt` block may accept: asymmetric only, so the gateway never holds a secret that could mint tokens. */
export const JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

/** `jwt name { … }`: callers identified by tokens an identity provider signed (§4.11). */
export const JWT_SETTINGS: SettingsTable = {
  issuer: { type: STRING, required: true, doc: "the `iss` a token must carry; a token is verified by the block of its issuer" },
  audience: { type: STRING, required: true, doc: "the `aud` a token must carry (one of them, when it carries several)" },
  jwks: { type: STRING, doc: "URL of the issuer's JSON Web Key Set: fetched on first use, cached for 10 minutes, fetched again for an unknown key id (at most every 30 s)" },
  jwks_file: { type: STRING, doc: "path of a JSON Web Key Set file, instead of `jwks`: read at start and on every reload" },
  algorithms: { type: wordListType(JWT_ALGORITHMS, "algorithms"), default: "[RS256, ES256]", doc: "the signature algorithms accepted (asymmetric only)" },
  team: { type: STRING, doc: "the claim read as the caller's `team`" },
  user: { type: STRING, default: '"sub"', doc: "the claim read as the caller's `user`" },
  leeway: { type: DURATION, default: "30s", doc: "clock skew allowed on `exp`, `nbf` and `iat`" },
};

/**
 * A `keys` entry accepts any label; every label is a string. `team` and
 * `user` are the labels auth reads into the `team` and `user` facts; the
 * others are read with `label("name")`.
 */
export const KEY_LABEL: SettingSpec = { type: STRING, doc: "a label of the caller" };

/** Defaults in the graph's units (milliseconds, bytes), used by lowering. */
export const DEFAULTS = {
  gateway: {
    state: { kind: "sqlite", path: ".aigw/state.db" },
    auth: "keys",
    logBodies: false,
    maxBodyBytes: 1024 * 1024,
    deadlineMs: 60_000,
    /** Percent; see `reload_max_drop`. */
    reloadMaxDrop: 50,
    cacheMemoryBytes: 64 * 1024 * 1024,
    usageRetentionMs: 30 * 86_400_000,
  },
  cache: { scope: "key", maxEntryBytes: 256 * 1024, bypass: "allowed", chargeHits: false, similarity: 0.95, maxVectors: 2_000 },
  provider: {
    timeoutMs: 30_000,
    mock: { latencyMs: 0, failRate: 0, failStatus: 500 },
    azure: { apiVersion: "2024-10-21" },
    bedrock: { accessKey: "AWS_ACCESS_KEY_ID", secretKey: "AWS_SECRET_ACCESS_KEY", sessionToken: "AWS_SESSION_TOKEN" },
  },
  /** `retry` absent: no retries; `retry N` without `backoff`: 250ms. */
  retry: { count: 0, backoffMs: 250 },
  /** `fallback …` without `on`. */
  fallbackOn: ["429", "5xx", "timeout", "connection"],
  /** `on input` is assumed until a guardrail says otherwise. */
  guardOn: "input",
  health: { on: ["5xx", "timeout", "connection"], consecutive: 5, intervalMs: 60_000, minimum: 10, ejectMs: 30_000, maxEjectMs: 300_000 },
  jwt: { algorithms: ["RS256", "ES256"], userClaim: "sub", leewayMs: 30_000 },
  /** A budget or limit without `per`. */
  scope: "global",
} as const;
