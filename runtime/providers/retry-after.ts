/**
 * Reads how long an upstream asked us to wait before trying again: OpenAI's
 * `retry-after-ms`, else the standard `Retry-After` (delay seconds, possibly
 * fractional, or an HTTP date). Pure: the current time is a parameter.
 */

type HeaderValue = string | string[] | undefined;

function first(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The wait in milliseconds (never negative), or `undefined` when the headers
 * carry no usable value. `headers` uses lower-case names, as undici gives them.
 */
export function parseRetryAfter(headers: Record<string, HeaderValue>, nowMs: number): number | undefined {
  const ms = first(headers["retry-after-ms"])?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));

  const value = first(headers["retry-after"])?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  // An HTTP date always names a month; Date.parse alone would take "-3" for a year.
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
