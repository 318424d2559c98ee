/**
 * Checks the settings of `gateway`, `provider` and `model` blocks and the
 * labels of `keys` entries against the table in settings.ts: unknown setting
 * (E202, with "did you mean"), missing required setting (E203), wrong unit or
 * type (E201), value out of range (E204), setting given twice (E208). Also a
 * key hash that is not `sha256:<64 hex digits>` (E201) or is listed twice (E102).
 */
import type { CacheStmt, JwtDecl, KeyEntry, ModelDecl, ProviderDecl, Setting } from "../../lang/ast.js";
import { WILDCARD_UPSTREAM } from "../graph.js";
import type { Span } from "../../lang/span.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import {
  CACHE_SETTINGS,
  GATEWAY_SETTINGS,
  HEALTH_SETTINGS,
  JWT_SETTINGS,
  KEY_LABEL,
  MODEL_SETTINGS,
  PRICE_ROW_SETTINGS,
  WILDCARD_MODEL_SETTINGS,
  PROVIDER_NEEDS,
  PROVIDER_SETTINGS,
  SEMANTIC_ONLY,
  settingSpec,
  type SettingSpec,
  type SettingsTable,
} from "../settings.js";
import { didYouMean } from "../suggest.js";
import type { CompileContext } from "../symbols.js";
import { checkValue } from "../value-types.js";
import type { Rule } from "../rules/rule.js";
import { firstOfEach, isMissing } from "./common.js";

export interface BlockInfo {
  /** "the gateway", "provider `openai`": who owns the settings, for messages. */
  owner: string;
  /** "gateway", "provider": the kind of block, for "did you mean the … setting". */
  kind: string;
  span: Span;
}

/**
 * Checks one block's settings against `table`. `specFor` can narrow the
 * table (a mock-only setting on a real provider, `responses` on a non-OpenAI one); it returns a reason string
 * to reject a known setting.
 */
export function checkBlock(
  settings: readonly Setting[],
  table: SettingsTable,
  block: BlockInfo,
  out: Diagnostic[],
  rejectKnown: (name: string, spec: SettingSpec) => string | undefined = () => undefined,
): void {
  const firsts = firstOfEach(settings, (s) => (s.name.name === "" ? undefined : s.name.name), (k) => `setting \`${k}\``, out);
  const given = new Set<string>();
  for (const s of firsts) {
    const name = s.name.name;
    given.add(name);
    const spec = settingSpec(table, name);
    if (!spec) {
      const help = didYouMean(name, Object.keys(table), `${block.kind} setting`) ?? `${block.owner} accepts ${listNames(table)}`;
      out.push(diagnostic("E202", `unknown setting \`${name}\` in ${block.owner}`, s.name.span, { help }));
      continue;
    }
    const rejected = rejectKnown(name, spec);
    if (rejected !== undefined) {
      out.push(diagnostic("E202", rejected, s.name.span));
      continue;
    }
    if (isMissing(s.value)) continue;
    const d = checkValue(spec.type, s.value, name);
    if (d) out.push(d);
  }
  for (const [name, spec] of Object.entries(table)) {
    if (spec.required && !given.has(name)) {
      out.push(
        diagnostic("E203", `${block.owner} needs the setting \`${name}\``, block.span, {
          help: `add \`${name}\` followed by ${spec.type.expected}`,
        }),
      );
    }
  }
}

function listNames(table: SettingsTable): string {
  const names = Object.keys(table).map((n) => `\`${n}\``);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : names.join("");
}

const KEY_HASH = /^sha256:[0-9a-f]{64}$/;

function checkKeys(entries: readonly KeyEntry[], seen: Map<string, Span>, out: Diagnostic[]): void {
  for (const entry of entries) {
    const hash = entry.hash.value;
    if (hash !== "" && !KEY_HASH.test(hash)) {
      out.push(
        diagnostic("E201", `expected a key hash like \`sha256:<64 hex digits>\`, found \`${hash}\``, entry.hash.span, {
          help: "keys are stored as hashes; `aigw key` mints a key and prints the line to paste",
        }),
      );
    } else if (hash !== "") {
      const first = seen.get(hash);
      if (first) {
        out.push(
          diagnostic("E102", `the key \`${hash.slice(0, 15)}…\` is listed twice`, entry.hash.span, {
            related: { message: "first listed here", span: first },
          }),
        );
      } else seen.set(hash, entry.hash.span);
    }
    const labels = firstOfEach(entry.labels, (s) => (s.name.name === "" ? undefined : s.name.name), (k) => `label \`${k}\``, out);
    for (const label of labels) {
      if (isMissing(label.value)) continue;
      const d = checkValue(KEY_LABEL.type, label.value, label.name.name);
      if (d) out.push(d);
    }
  }
}

/**
 * Settings that one `api` cannot take (what each cannot do without is
 * PROVIDER_NEEDS): Bedrock signs with AWS credentials, so a `key` would
 * never be sent; an Azure provider authenticates with one of `key` and
 * `token`, never both; Bedrock's `access_key` and `secret_key` come as a pair.
 */
function apiRefusals(p: ProviderDecl, api: string | undefined, owner: string, out: Diagnostic[]): void {
  const given = new Map(p.settings.map((s) => [s.name.name, s] as const));
  const key = given.get("key");
  if (api === "bedrock" && key) {
    out.push(
      diagnostic("E202", `${owner} signs its requests with AWS credentials and takes no \`key\``, key.name.span, {
        help: 'use `access_key env("…")` and `secret_key env("…")`, or leave them out to read `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`',
      }),
    );
  }
  const token = given.get("token");
  if (api === "azure" && key && token) {
    out.push(diagnostic("E202", `${owner} takes \`key\` (an \`api-key\`) or \`token\` (an Entra ID bearer token), not both`, token.name.span));
  }
  const access = given.get("access_key");
  const secret = given.get("secret_key");
  if ((access === undefined) !== (secret === undefined)) {
    const [has, lacks] = access ? ["access_key", "secret_key"] : ["secret_key", "access_key"];
    out.push(
      diagnostic("E203", `${owner} sets \`${has}\` but not \`${lacks}\``, (access ?? secret)!.name.span, {
        help: `add \`${lacks} env("…")\`: one credential read from the policy and the other from the default variable would be a mismatched pair`,
      }),
    );
  }
}

function providerCheck(p: ProviderDecl, out: Diagnostic[]): void {
  const value = p.settings.find((s) => s.name.name === "api")?.value;
  const api = value?.kind === "ident" ? value.name : undefined;
  const owner = `provider \`${p.name.name}\``;
  checkBlock(p.settings, PROVIDER_SETTINGS, { owner, kind: "provider", span: p.name.span }, out, (name, spec) =>
    spec.onlyApi !== undefined && spec.onlyApi !== api ? `\`${name}\` is a setting of \`api ${spec.onlyApi}\` providers only, and ${owner} is not one` : undefined,
  );
  apiRefusals(p, api, owner, out);
  if (api === "vertex") checkVertexNames(p.settings, out);
  const given = new Set(p.settings.map((s) => s.name.name));
  for (const oneOf of (api !== undefined && Object.hasOwn(PROVIDER_NEEDS, api) ? PROVIDER_NEEDS[api as keyof typeof PROVIDER_NEEDS] : undefined) ?? []) {
    if (oneOf.some((name) => given.has(name))) continue;
    const names = oneOf.map((n) => `\`${n}\``).join(" or ");
    const examples = oneOf.map((n) => `\`${n}\` followed by ${settingSpec(PROVIDER_SETTINGS, n)!.type.expected}`).join(", or ");
    out.push(diagnostic("E203", `${owner} (\`api ${api}\`) needs the setting ${names}`, p.name.span, { help: `add ${examples}` }));
  }
}

/**
 * Google Cloud's own rules for a project id and a location: they become
 * part of the endpoint's host name and path, so anything else is a typo
 * found now rather than a failed request.
 */
const VERTEX_NAMES: Readonly<Record<string, { pattern: RegExp; rule: string }>> = {
  project: { pattern: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, rule: "6 to 30 lowercase letters, digits or hyphens, starting with a letter" },
  location: { pattern: /^[a-z][a-z0-9-]*[a-z0-9]$/, rule: 'a region like "us-central1", or "global"' },
};

function checkVertexNames(settings: readonly Setting[], out: Diagnostic[]): void {
  for (const s of settings) {
    const spec = Object.hasOwn(VERTEX_NAMES, s.name.name) ? VERTEX_NAMES[s.name.name] : undefined;
    if (spec === undefined || s.value.kind !== "string" || spec.pattern.test(s.value.value)) continue;
    out.push(diagnostic("E204", `\`${s.name.name}\` must be ${spec.rule}, found \`${s.value.value}\``, s.value.span));
  }
}

/** A cache body: its settings against the table, and at most one `when` (E208). */
function checkCache(body: readonly CacheStmt[], owner: string, span: Span, out: Diagnostic[]): void {
  const settings: Setting[] = [];
  const whens: CacheStmt[] = [];
  for (const s of body) (s.kind === "setting" ? settings : whens).push(s);
  checkBlock(settings, CACHE_SETTINGS, { owner, kind: "cache", span }, out);
  firstOfEach(whens, () => "when", () => "`when`", out);
  if (!settings.some((s) => s.name.name === "semantic")) {
    for (const s of settings) {
      if ((SEMANTIC_ONLY as readonly string[]).includes(s.name.name)) {
        out.push(diagnostic("E202", `\`${s.name.name}\` belongs to a semantic cache, and ${owner} has no \`semantic\``, s.name.span, { help: "name its embedding model with `semantic MODEL`, or remove this setting" }));
      }
    }
  }
}

/**
 * A `jwt` block: its settings, exactly one of `jwks` and `jwks_file`, a
 * JWKS URL over https (plain http only to this machine: keys fetched in the
 * clear could be swapped), and one block per issuer (a token finds its
 * block by `iss`).
 */
function checkJwt(decl: JwtDecl, issuers: Map<string, Span>, out: Diagnostic[]): void {
  const owner = `jwt \`${decl.name.name}\``;
  checkBlock(decl.settings, JWT_SETTINGS, { owner, kind: "jwt", span: decl.name.span }, out);
  const byName = new Map(decl.settings.map((s) => [s.name.name, s] as const));
  const url = byName.get("jwks");
  const file = byName.get("jwks_file");
  if (url === undefined && file === undefined) {
    out.push(diagnostic("E203", `${owner} needs where its signing keys are: \`jwks "https://…"\` or \`jwks_file "path"\``, decl.name.span));
  } else if (url !== undefined && file !== undefined) {
    out.push(diagnostic("E208", `${owner} gives both \`jwks\` and \`jwks_file\`; keep one`, file.name.span));
  }
  if (url?.value.kind === "string" && !isKeySetUrl(url.value.value)) {
    out.push(
      diagnostic("E204", `\`jwks\` must be an https URL (http only to localhost or 127.0.0.1), found \`${url.value.value}\``, url.value.span, {
        help: "signing keys fetched over plain http could be replaced on the way",
      }),
    );
  }
  const issuer = byName.get("issuer");
  if (issuer?.value.kind === "string") {
    const first = issuers.get(issuer.value.value);
    if (first) out.push(diagnostic("E102", `two \`jwt\` blocks verify issuer \`${issuer.value.value}\`; a token finds its block by issuer, so keep one`, issuer.value.span, { related: { span: first, message: "first declared here" } }));
    else issuers.set(issuer.value.value, issuer.value.span);
  }
}

function isKeySetUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && (url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]");
}

/** A model's settings; a wildcard's (`provider/"*"`) own, which are not prices, and each price-table row's. */
function checkModel(m: ModelDecl, out: Diagnostic[]): void {
  const owner = `model \`${m.name.name}\``;
  if (m.upstream?.value !== WILDCARD_UPSTREAM) {
    checkBlock(m.settings, MODEL_SETTINGS, { owner, kind: "model", span: m.name.span }, out);
    return;
  }
  const own = m.settings.filter((s) => !Object.hasOwn(PRICE_ROW_SETTINGS, s.name.name));
  for (const s of m.settings) {
    if (own.includes(s)) continue;
    out.push(
      diagnostic("E311", `\`${s.name.name}\` of wildcard ${owner} belongs in a row of its price table`, s.name.span, {
        help: `a wildcard sends many upstream names: write \`"gpt-4o" ${s.name.name} …\` for each name instead`,
      }),
    );
  }
  checkBlock(own, WILDCARD_MODEL_SETTINGS, { owner, kind: "model", span: m.name.span }, out);
  for (const row of m.prices ?? []) checkBlock(row.settings, PRICE_ROW_SETTINGS, { owner: `the row \`${row.name.value}\` of ${owner}`, kind: "price row", span: row.name.span }, out);
}

/** Every declaration is checked, duplicates included: a duplicate's own mistakes are worth knowing too. */
function check(ctx: CompileContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const keyHashes = new Map<string, Span>();
  const issuers = new Map<string, Span>();
  for (const file of ctx.files) {
    for (const decl of file.declarations) {
      switch (decl.kind) {
        case "gateway":
          checkBlock(decl.settings, GATEWAY_SETTINGS, { owner: "the gateway", kind: "gateway", span: decl.span }, out);
          break;
        case "provider":
          providerCheck(decl, out);
          break;
        case "model":
          checkModel(decl, out);
          break;
        case "keys":
          checkKeys(decl.entries, keyHashes, out);
          break;
        case "cache":
          checkCache(decl.body, `cache \`${decl.name.name}\``, decl.name.span, out);
          break;
        case "route":
        case "defaults":
          for (const s of decl.body) if (s.kind === "cache" && s.body) checkCache(s.body, `the cache of ${decl.kind} \`${decl.name.name}\``, s.span, out);
          break;
        case "health":
          checkBlock(decl.settings, HEALTH_SETTINGS, { owner: `health \`${decl.name.name}\``, kind: "health", span: decl.name.span }, out);
          break;
        case "jwt":
          checkJwt(decl, issuers, out);
          break;
        default:
          break;
      }
    }
  }
  return out;
}

/** The settings check, in the shape of a rule so the compiler runs it like one. */
export const checkSettings: Rule = { name: "check-settings", codes: ["E201", "E202", "E203", "E204", "E208", "E102", "E311"], check };
