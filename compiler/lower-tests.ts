/**
 * Lowering of `test` blocks to `TestCase`s: the request as plain data
 * (header names in lower case, as the runtime sees them), the givens with
 * amounts in base units, and each expectation with its span so a failing
 * test points at the line that failed.
 */
import type { RequestFact, TestDecl, Value } from "../lang/ast.js";
import type { TestCase, TestExpect, TestGiven, TestRequest } from "./graph.js";
import { setOwn, sourceRef } from "./lower-expr.js";
import { failureReason } from "./lower-routes.js";
import { instantMs } from "./time.js";

function str(v: Value | undefined): string {
  return v?.kind === "string" ? v.value : "";
}

function num(v: Value | undefined): number {
  return v?.kind === "quantity" ? v.value : 0;
}

/** A flag fact written alone (`stream`) is true. */
function flag(v: Value | undefined): boolean {
  return v?.kind === "bool" ? v.value : true;
}

function applyFact(request: TestRequest, f: RequestFact): void {
  const [a, b] = f.args;
  switch (f.name.name) {
    case "model":
      request.model = str(a);
      break;
    case "endpoint":
      request.endpoint = str(a);
      break;
    case "stream":
      request.stream = flag(a);
      break;
    case "header":
      setOwn(request.headers, str(a).toLowerCase(), str(b));
      break;
    case "metadata":
      setOwn(request.metadata, str(a), str(b));
      break;
    case "label":
      setOwn((request.labels ??= {}), str(a), str(b));
      break;
    case "key":
      request.key = str(a);
      break;
    case "team":
      request.team = str(a);
      break;
    case "user":
      request.user = str(a);
      break;
    case "session":
      request.session = str(a);
      break;
    case "input":
      request.input = str(a);
      break;
    case "input_tokens":
      request.inputTokens = num(a);
      break;
    case "tools":
      request.tools = flag(a);
      break;
    case "images":
      request.images = flag(a);
      break;
    case "json_schema":
      request.jsonSchema = flag(a);
      break;
    case "max_tokens":
      request.maxTokens = num(a);
      break;
    case "temperature":
      request.temperature = num(a);
      break;
    case "top_p":
      request.topP = num(a);
      break;
    case "at": {
      const ms = a?.kind === "string" ? instantMs(a.value) : undefined;
      if (ms !== undefined) request.atMs = ms;
      break;
    }
  }
}

export function lowerTest(t: TestDecl): TestCase {
  const request: TestRequest = { headers: {}, metadata: {} };
  const given: TestGiven[] = [];
  const expect: TestCase["expect"] = [];
  for (const s of t.body) {
    if (s.kind === "request") {
      for (const f of s.facts) applyFact(request, f);
    } else if (s.kind === "given") {
      const g = s.given;
      switch (g.kind) {
        case "split-picks":
          given.push({ kind: "split-picks", target: g.target.name });
          break;
        case "fails":
          given.push({
            kind: "fails",
            target: g.target.name,
            reason: failureReason(g.reason),
            ...(g.once ? { times: 1 } : {}),
            ...(g.retryAfter ? { retryAfterMs: num(g.retryAfter) } : {}),
          });
          break;
        case "latency":
          given.push({ kind: "latency", target: g.target.name, ms: num(g.latency) });
          break;
        case "ejected":
          given.push({ kind: "ejected", target: g.target.name });
          break;
        case "failures":
          given.push({ kind: "failures", target: g.target.name, failures: num(g.failures), of: num(g.of) });
          break;
        case "answers":
          given.push(g.chunks ? { kind: "answers", target: g.target.name, text: g.text.value, chunks: num(g.chunks) } : { kind: "answers", target: g.target.name, text: g.text.value });
          break;
        case "budget-spent":
          given.push({ kind: "budget-spent", budget: g.budget.name, amount: num(g.amount) });
          break;
        case "limit-used":
          given.push({ kind: "limit-used", limit: g.limit.name, amount: num(g.amount) });
          break;
        case "cache-hit":
          given.push({ kind: "cache-hit" });
          break;
      }
    } else {
      expect.push({ ...lowerExpect(s.expect), span: sourceRef(s.span) });
    }
  }
  return { name: t.name.value, span: sourceRef(t.span), request, given, expect };
}

function lowerExpect(x: TestDeclExpect): TestExpect {
  switch (x.kind) {
    case "route":
      return { kind: "route", route: x.route.name };
    case "no-route":
      return { kind: "no-route" };
    case "target":
      return { kind: "target", target: x.target.name };
    case "target-in":
      return { kind: "target-in", targets: x.targets.map((t) => t.name) };
    case "attempts":
      return { kind: "attempts", targets: x.targets.map((t) => t.name) };
    case "retries":
      return { kind: "retries", count: num(x.count) };
    case "blocked":
      return { kind: "blocked", guardrail: x.guardrail.name };
    case "flagged":
      return { kind: "flagged", guardrail: x.guardrail.name };
    case "output-redacted":
      return { kind: "output-redacted", text: x.text.value };
    case "output-blocked":
    case "output-flagged":
      return { kind: x.kind, guardrail: x.guardrail.name };
    case "rejected":
      return x.by ? { kind: "rejected", by: x.by.name } : { kind: "rejected" };
    case "warned":
      return { kind: "warned", budget: x.budget.name };
    case "status":
      return { kind: "status", status: num(x.status) };
    case "cost":
      return { kind: "cost", op: x.op ?? "==", dollars: num(x.amount) };
    case "redacted":
      return { kind: "redacted", text: x.text.value };
    case "shaped":
      return { kind: "shaped", param: x.param.name, value: num(x.value) };
    case "cache":
      return { kind: "cache", result: x.result.name as "hit" | "miss" | "bypass" };
    case "header":
      return { kind: "header", name: x.name.value.toLowerCase(), value: x.value.value };
  }
}

type TestDeclExpect = Extract<TestDecl["body"][number], { kind: "expect" }>["expect"];
