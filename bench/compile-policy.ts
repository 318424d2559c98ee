/**
 * The policy text the compile benchmark measures: `routes` routes in the
 * shape real policies have (a `when` on the model and a header, a `split` or
 * `to`, a fallback, a retry, guardrails, a budget or a limit), over 20 priced
 * models on three providers. Separate from bench/compile.ts so profilers and
 * tests can build the same text without running the benchmark.
 */

const MODELS = 20;

/** A policy with `routes` routes, as text. */
export function benchPolicy(routes: number): string {
  const out: string[] = [
    'gateway { listen ":8787" state memory }',
    'provider openai { api openai key env("OPENAI_API_KEY") timeout 30s }',
    'provider anthropic { api anthropic key env("ANTHROPIC_API_KEY") }',
    "provider demo { api mock latency 5ms }",
  ];
  const providers = ["openai", "anthropic", "demo"];
  for (let m = 0; m < MODELS; m++) {
    out.push(`model model-${m} = ${providers[m % 3]}/"upstream-${m}" { input $${(m % 7) + 0.5}/Mtok output $${(m % 5) + 1}/Mtok context 128k }`);
  }
  out.push("budget team-daily { per team limit $200 per day warn 80% exceeded downgrade model-0 }");
  out.push("limit per-key { per key tokens 200k per minute requests 600 per minute }");
  out.push("guardrail pii { on input redact email, phone }");
  out.push("guardrail size { block when input_tokens > 100k }");
  for (let i = 0; i < routes; i++) {
    const a = `model-${(i % (MODELS - 1)) + 1}`;
    const b = `model-${((i + 7) % (MODELS - 1)) + 1}`;
    const c = `model-${((i + 13) % (MODELS - 1)) + 1}`;
    const target = i % 2 === 0 ? `  split by key { 70% ${a}  30% ${b} }` : `  to ${a}`;
    const fallback = i % 2 === 0 ? c : `${b}, ${c}`;
    out.push(
      [
        `route r${i} {`,
        `  when model == "chat-${i}" and header("x-tier") == "${i % 3 === 0 ? "premium" : "standard"}"`,
        `  guard pii, size`,
        i % 4 === 0 ? `  budget team-daily` : `  limit per-key`,
        target,
        `  fallback ${fallback} on 429, 5xx, timeout`,
        `  retry ${i % 3} backoff 250ms`,
        `}`,
      ].join("\n"),
    );
  }
  out.push('test "first route" {\n  request { model "chat-0" header "x-tier" "premium" team "search" }\n  expect route r0\n}');
  return `${out.join("\n")}\n`;
}

const MIXED_MODELS = 200;

/**
 * A policy with `routes` routes whose conditions mix the facts real policies
 * read — the requested model with a team, a header and a token count,
 * metadata, key labels — and one route in five that accepts any model (a
 * team with a token cap), over 200 priced models. No route hides another:
 * routes for one model differ in a value of the same fact or in the fact they
 * read, so the hidden-route analysis has to compare each with its neighbours
 * rather than stop at the first cover.
 */
export function mixedBenchPolicy(routes: number): string {
  const out: string[] = [
    'gateway { listen ":8787" state memory }',
    'provider openai { api openai key env("OPENAI_API_KEY") timeout 30s }',
    "provider demo { api mock latency 5ms }",
  ];
  for (let m = 0; m < MIXED_MODELS; m++) {
    out.push(`model model-${m} = ${m % 2 === 0 ? "openai" : "demo"}/"upstream-${m}" { input $${(m % 7) + 0.5}/Mtok output $${(m % 5) + 1}/Mtok context 128k }`);
  }
  out.push("budget team-daily { per team limit $200 per day warn 80% exceeded downgrade model-0 }");
  out.push("limit per-key { per key tokens 200k per minute requests 600 per minute }");
  for (let i = 0; i < routes; i++) {
    const model = `"chat-${i % MIXED_MODELS}"`;
    const round = Math.floor(i / MIXED_MODELS);
    const when = [
      `model == ${model} and team == "team-${round}"`,
      `model == ${model} and header("x-tier") == "tier-${round % 4}" and input_tokens > ${100 - round}k`,
      `model == ${model} and metadata("app") == "app-${round}"`,
      `model == ${model} and label("tier") in ["gold-${round}", "silver-${round}"]`,
      `header("x-tier") == "tier-${round % 4}" and input_tokens > ${(round % 8) + 1}0k and team == "ops-${i}"`,
    ][i % 5]!;
    out.push(
      [
        `route r${i} {`,
        `  when ${when}`,
        i % 4 === 0 ? `  budget team-daily` : `  limit per-key`,
        `  to model-${((i * 7) % (MIXED_MODELS - 1)) + 1}`,
        `  fallback model-${((i * 7 + 1) % (MIXED_MODELS - 1)) + 1} on 429, 5xx, timeout`,
        `  retry ${i % 3}`,
        `}`,
      ].join("\n"),
    );
  }
  return `${out.join("\n")}\n`;
}

/**
 * The policy with invariants appended (`bench/compile --invariants`): every
 * provider EU-resident, and EU data, prices and contexts required — all
 * kept, so only the per-route judgement runs. `broken` adds one every route
 * breaks (a guardrail none uses), so each route also asks the region search
 * for a witness: the prover's worst case.
 */
export function withInvariants(text: string, broken: boolean): string {
  const resident = text.replace(/^(provider \S+ \{[^}\n]*)\}$/gm, "$1 residency eu }");
  const rules = [
    'invariant eu { when header("x-data-region") == "eu"  require residency eu }',
    "invariant priced { require price }",
    "invariant fits { require context }",
  ];
  if (broken) rules.push("guardrail pii { redact email }", "invariant guarded { require guard pii }");
  return `${resident}${rules.join("\n")}\n`;
}
