import { describe, expect, it } from "vitest";
import {
  ProviderRequestError,
  UpstreamAbortedError,
  UpstreamConnectionError,
  UpstreamProtocolError,
  UpstreamStatusError,
  UpstreamTimeoutError,
  isUpstreamError,
} from "../../runtime/providers/errors.js";
import { redact } from "../../runtime/providers/redact.js";
import { parseRetryAfter } from "../../runtime/providers/retry-after.js";

const origin = { provider: "openai", requestId: "r1" };

describe("typed upstream errors", () => {
  it("carry stable codes and the policy's failure reasons", () => {
    const cases: [Error, string, string][] = [
      [new UpstreamStatusError(origin, 429), "AIGW_UPSTREAM_STATUS", "429"],
      [new UpstreamTimeoutError(origin, 100, "waiting"), "AIGW_UPSTREAM_TIMEOUT", "timeout"],
      [new UpstreamConnectionError(origin, "refused"), "AIGW_UPSTREAM_CONNECTION", "connection"],
      [new UpstreamProtocolError(origin, "bad"), "AIGW_UPSTREAM_PROTOCOL", "502"],
      [new UpstreamAbortedError(origin), "AIGW_UPSTREAM_ABORTED", "aborted"],
      [new ProviderRequestError(origin, "n"), "AIGW_PROVIDER_REQUEST", "400"],
    ];
    for (const [err, code, reason] of cases) {
      expect(isUpstreamError(err)).toBe(true);
      expect(err).toMatchObject({ code, reason, provider: "openai", requestId: "r1", name: err.constructor.name });
    }
    expect(new UpstreamStatusError(origin, 503, { message: "busy" }).message).toBe("upstream `openai` returned 503: busy");
  });
});

describe("redact", () => {
  it("removes known secrets, bearer tokens, key headers and key-shaped strings", () => {
    expect(redact("key abcdef123456 here", ["abcdef123456"])).toBe("key [redacted] here");
    expect(redact("Authorization: Bearer tok.en-123")).toBe("Authorization: [redacted] [redacted]");
    expect(redact('{"x-api-key": "zzz"}')).toBe('{"x-api-key": "[redacted]"}');
    expect(redact("Incorrect API key provided: sk-proj-abcdefgh1234")).toBe("Incorrect API key provided: [redacted]");
    expect(redact("plain message")).toBe("plain message");
    // Google's API keys and OAuth access tokens, for keys this process was never told about.
    expect(redact("API key not valid: AIzaSyA1234567890abcdefghijklmnopqrstuv")).toBe("API key not valid: [redacted]");
    expect(redact("x-goog-api-key: abc123")).toBe("x-goog-api-key: [redacted]");
    expect(redact("token ya29.a0AfH6SMBx-y_z.1 expired")).toBe("token [redacted] expired");
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  it("reads retry-after-ms, seconds and HTTP dates", () => {
    expect(parseRetryAfter({ "retry-after-ms": "1500", "retry-after": "9" }, now)).toBe(1500);
    expect(parseRetryAfter({ "retry-after": "2" }, now)).toBe(2000);
    expect(parseRetryAfter({ "retry-after": "0.5" }, now)).toBe(500);
    expect(parseRetryAfter({ "retry-after": "Wed, 01 Jan 2025 00:00:30 GMT" }, now)).toBe(30_000);
    expect(parseRetryAfter({ "retry-after": "Tue, 31 Dec 2024 23:00:00 GMT" }, now)).toBe(0);
  });
  it("ignores absent and malformed values", () => {
    expect(parseRetryAfter({}, now)).toBeUndefined();
    expect(parseRetryAfter({ "retry-after": "soon" }, now)).toBeUndefined();
    expect(parseRetryAfter({ "retry-after": "-3" }, now)).toBeUndefined();
  });
});
