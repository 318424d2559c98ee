/**
 * The OpenTelemetry SDK environment, read the way the OTel specification
 * ("Environment Variable Specification", OTLP exporter configuration) says,
 * so the settings a hosted collector's setup page gives work unchanged:
 *
 * - `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`: no export;
 * - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`: the traces URL, used as given;
 *   else `OTEL_EXPORTER_OTLP_ENDPOINT` with `/v1/traces` appended;
 * - `OTEL_EXPORTER_OTLP_HEADERS`, then `OTEL_EXPORTER_OTLP_TRACES_HEADERS`
 *   (which wins per key): `key=value` pairs separated by commas, each part
 *   percent-decoded;
 * - `OTEL_SERVICE_NAME`, else `service.name` of `OTEL_RESOURCE_ATTRIBUTES`
 *   (same pair format), else `aigw`.
 *
 * Header values are credentials: no warning here ever quotes one. Pure:
 * reads only its arguments.
 */
import { tracesUrl } from "./otlp.js";

/** What the exporter needs, resolved. */
export interface OtelExport {
  /** The full traces URL. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Resource attributes, `service.name` included. */
  readonly resource: Readonly<Record<string, string>>;
}

export interface OtelEnvResult {
  /** Undefined when no endpoint is configured or export is disabled. */
  readonly export?: OtelExport;
  /** Problems worth a start-up warning (values never quoted). */
  readonly warnings: readonly string[];
}

/**
 * Reads the OTel environment; `flag` is `aigw serve --otlp URL` (a base
 * endpoint like `OTEL_EXPORTER_OTLP_ENDPOINT`), which takes precedence
 * over the endpoint variables but not over `OTEL_SDK_DISABLED`.
 */
export function otelFromEnv(env: Readonly<Record<string, string | undefined>>, flag?: string): OtelEnvResult {
  const warnings: string[] = [];
  const set = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  if (set("OTEL_SDK_DISABLED")?.toLowerCase() === "true" || set("OTEL_TRACES_EXPORTER")?.toLowerCase() === "none") return { warnings };
  const tracesEndpoint = set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const endpoint = set("OTEL_EXPORTER_OTLP_ENDPOINT");
  const url = flag !== undefined ? tracesUrl(flag) : tracesEndpoint ?? (endpoint !== undefined ? tracesUrl(endpoint) : undefined);
  if (url === undefined) return { warnings };
  if (!/^https?:\/\//i.test(url)) {
    warnings.push("the OTLP traces endpoint is not an http(s) URL: traces are not exported");
    return { warnings };
  }
  for (const name of ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"]) {
    const p = set(name);
    if (p !== undefined && p !== "http/json") warnings.push(`${name}=${p} is not supported: aigw exports OTLP/HTTP with JSON bodies`);
  }
  const headers = {
    ...pairs(set("OTEL_EXPORTER_OTLP_HEADERS"), "OTEL_EXPORTER_OTLP_HEADERS", warnings, (k) => k.toLowerCase()),
    ...pairs(set("OTEL_EXPORTER_OTLP_TRACES_HEADERS"), "OTEL_EXPORTER_OTLP_TRACES_HEADERS", warnings, (k) => k.toLowerCase()),
  };
  const resource = pairs(set("OTEL_RESOURCE_ATTRIBUTES"), "OTEL_RESOURCE_ATTRIBUTES", warnings, (k) => k);
  resource["service.name"] = set("OTEL_SERVICE_NAME") ?? resource["service.name"] ?? "aigw";
  return { export: { url, headers, resource }, warnings };
}

/** `k1=v1,k2=v2`, each side trimmed and percent-decoded; a malformed entry is skipped with a warning naming its position only. */
function pairs(text: string | undefined, variable: string, warnings: string[], key: (k: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined) return out;
  text.split(",").forEach((entry, i) => {
    if (entry.trim() === "") return;
    const eq = entry.indexOf("=");
    const k = eq < 0 ? undefined : decode(entry.slice(0, eq).trim());
    const v = eq < 0 ? undefined : decode(entry.slice(eq + 1).trim());
    if (k === undefined || v === undefined || k === "" || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(k) || /[\r\n]/.test(v)) {
      warnings.push(`${variable}: entry ${i + 1} is not a valid key=value pair; it is ignored`);
      return;
    }
    out[key(k)] = v;
  });
  return out;
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
