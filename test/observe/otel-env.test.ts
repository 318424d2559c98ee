/**
 * The OTel SDK environment as the specification reads it: which endpoint
 * wins, how headers and resource attributes are decoded, what turns export
 * off — and that no warning ever quotes a header value.
 */
import { describe, expect, it } from "vitest";
import { otelFromEnv } from "../../runtime/observe/otel-env.js";

describe("otelFromEnv", () => {
  it("exports nothing without an endpoint", () => {
    expect(otelFromEnv({}).export).toBeUndefined();
  });

  it("appends /v1/traces to the base endpoint but uses the traces endpoint as given, and the flag over both", () => {
    expect(otelFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }).export?.url).toBe("http://c:4318/v1/traces");
    expect(otelFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://x/otlp/traces" }).export?.url).toBe("https://x/otlp/traces");
    expect(otelFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://x/otlp/traces" }, "http://flag:4318").export?.url).toBe("http://flag:4318/v1/traces");
  });

  it("decodes headers, the traces headers winning per key, with lower-case names", () => {
    const r = otelFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
      OTEL_EXPORTER_OTLP_HEADERS: " Authorization = Basic%20dXNlcjpwYXNz%3D%3D , X-Tenant=a,,",
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-tenant=b%2Cc",
    });
    expect(r.export?.headers).toEqual({ authorization: "Basic dXNlcjpwYXNz==", "x-tenant": "b,c" });
    expect(r.warnings).toEqual([]);
  });

  it("skips malformed header entries with a warning that names the position, never the value", () => {
    const r = otelFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_HEADERS: "api-key=ok,secret-token-value-xyz,bad name=sekrit-2,x=%E0%A4%A" });
    expect(r.export?.headers).toEqual({ "api-key": "ok" });
    expect(r.warnings).toHaveLength(3);
    expect(r.warnings.join("\n")).not.toMatch(/secret-token-value-xyz|sekrit-2|%E0/);
  });

  it("names the service from OTEL_SERVICE_NAME over service.name of OTEL_RESOURCE_ATTRIBUTES, else aigw", () => {
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" };
    expect(otelFromEnv(base).export?.resource).toEqual({ "service.name": "aigw" });
    expect(otelFromEnv({ ...base, OTEL_RESOURCE_ATTRIBUTES: "service.name=from-attrs,deployment.environment=prod%20eu" }).export?.resource).toEqual({ "service.name": "from-attrs", "deployment.environment": "prod eu" });
    expect(otelFromEnv({ ...base, OTEL_SERVICE_NAME: "gw", OTEL_RESOURCE_ATTRIBUTES: "service.name=from-attrs" }).export?.resource["service.name"]).toBe("gw");
  });

  it("is turned off by OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, the flag included", () => {
    expect(otelFromEnv({ OTEL_SDK_DISABLED: "TRUE", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, "http://flag").export).toBeUndefined();
    expect(otelFromEnv({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }).export).toBeUndefined();
    expect(otelFromEnv({ OTEL_SDK_DISABLED: "false", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }).export).toBeDefined();
  });

  it("warns about a protocol other than http/json and an endpoint that is not http(s)", () => {
    expect(otelFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }).warnings).toEqual(["OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: aigw exports OTLP/HTTP with JSON bodies"]);
    const r = otelFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "c:4318" });
    expect(r.export).toBeUndefined();
    expect(r.warnings).toHaveLength(1);
  });
});
