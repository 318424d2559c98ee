/**
 * The slips newcomers make most, as small policies: docs/errors.md shows
 * each with the exact output of `aigw check` (test/lang/slips-golden.test.ts).
 * Each is a `main.route` that imports fixtures/slips-base.route at its end.
 */
export interface Slip {
  title: string;
  main: string;
}

const route = (body: string, name = "chat"): string => `route ${name} {\n  when model == "chat"\n${body}\n}\n`;

export const SLIPS: Slip[] = [
  // operators from other languages
  { title: "`&&` for `and`", main: 'route chat {\n  when model == "chat" && team == "search"\n  to gpt-4o\n}\n' },
  { title: "`||` for `or`", main: 'route chat {\n  when team == "search" || team == "ads"\n  to gpt-4o\n}\n' },
  { title: "`!` for `not`", main: "route chat {\n  when !stream\n  to gpt-4o\n}\n" },
  { title: "`=` for `==` in a condition", main: 'route chat {\n  when model = "chat"\n  to gpt-4o\n}\n' },
  { title: "`==` for `=` in a model declaration", main: 'model mini == openai/"gpt-4o-mini" { input $0.15/Mtok  output $0.60/Mtok }\n' + route("  to mini") },
  { title: "a YAML `:` after a setting", main: route("  to gpt-4o\n  timeout: 30s") },
  { title: "a `;` after a statement", main: route("  to gpt-4o;\n  timeout 30s;") },
  { title: "single quotes for a string", main: "route chat {\n  when model == 'chat'\n  to gpt-4o\n}\n" },
  // misspelt or foreign keywords
  { title: "a misspelt `import`", main: 'improt "extra.route"\n' },
  { title: "an import of a file whose name is misspelt", main: 'import "extras.route"\n' },
  { title: "`retries` for `retry`", main: route("  to gpt-4o\n  retries 2") },
  { title: "a misspelt `timeout`", main: route("  to gpt-4o\n  timout 30s") },
  { title: "`fallbacks` for `fallback`", main: route("  to gpt-4o\n  fallbacks gpt-4o-mini on 429") },
  { title: "`guardrails` for `guard` in a route", main: route("  guardrails pii\n  to gpt-4o") },
  { title: "`target` for `to`", main: route("  target gpt-4o") },
  { title: "`if` for `when`", main: 'route chat {\n  if model == "chat"\n  to gpt-4o\n}\n' },
  { title: "a misspelt declaration keyword", main: 'rout chat {\n  when model == "chat"\n  to gpt-4o\n}\n' },
  { title: "a misspelt budget clause", main: "budget b { per team  limt $50 per day }\n" + route("  budget b\n  to gpt-4o") },
  // lists
  { title: "a missing `,` between guardrails", main: "guardrail injection { on input  block when text matches /ignore (all )?previous instructions/i }\n" + route("  guard pii injection\n  to gpt-4o") },
  { title: "a missing `,` between fallbacks", main: route("  to gpt-4o\n  fallback gpt-4o-mini o3-mini") },
  { title: "a missing `,` between failure reasons", main: route("  to gpt-4o\n  fallback gpt-4o-mini on 429 5xx") },
  { title: "a missing `,` in a list", main: 'route chat {\n  when team in ["search" "ads"]\n  to gpt-4o\n}\n' },
  { title: "a list without brackets", main: 'route chat {\n  when team in "search", "ads"\n  to gpt-4o\n}\n' },
  { title: "two models after `to`", main: route("  to gpt-4o gpt-4o-mini") },
  // units
  { title: "`5XX` for `5xx`", main: route("  to gpt-4o\n  fallback gpt-4o-mini on 5XX") },
  { title: "`150K` for `150k`", main: "limit tpm { per key  tokens 150K per minute }\n" + route("  limit tpm\n  to gpt-4o") },
  { title: "`30sec` for `30s`", main: route("  to gpt-4o\n  timeout 30sec") },
  { title: "`/mtok` for `/Mtok`", main: 'model mini = openai/"gpt-4o-mini" { input $0.15/mtok  output $0.60/Mtok }\n' + route("  to mini") },
  { title: "a price without `$`", main: 'model mini = openai/"gpt-4o-mini" { input 0.15/Mtok  output $0.60/Mtok }\n' + route("  to mini") },
  { title: "an amount without `$`", main: "budget b { per team  limit 50 per day }\n" + route("  budget b\n  to gpt-4o") },
  { title: "a duration without a unit", main: route("  to gpt-4o\n  timeout 30") },
  { title: "an unknown unit", main: route("  to gpt-4o\n  timeout 3y") },
  { title: "a quoted number", main: 'route chat {\n  when input_tokens > "100k"\n  to gpt-4o\n}\n' },
  // blocks and comments
  { title: "a `{` never closed, before the next declaration", main: 'route chat {\n  when model == "chat"\n  to gpt-4o\n\nroute fast {\n  when model == "fast"\n  to gpt-4o-mini\n}\n' },
  { title: "a `{` never closed at the end of the file", main: 'import "base.route"\n\nroute chat {\n  when model == "chat"\n  to gpt-4o\n' },
  { title: "a `}` too many", main: route("  to gpt-4o") + "}\n" },
  { title: "a `/*` never closed", main: '/* the chat route\nroute chat {\n  when model == "chat"\n  to gpt-4o\n}\n' },
  { title: "a string never closed", main: 'route chat {\n  when model == "chat\n  to gpt-4o\n}\n' },
  { title: "a budget declared inside a route", main: 'route chat {\n  when model == "chat"\n  budget b { per team  limit $50 per day }\n  to gpt-4o\n}\n' },
  { title: "a guardrail declared inside a route", main: 'route chat {\n  when model == "chat"\n  guardrail g { on input  block when text matches /ignore previous/i }\n  to gpt-4o\n}\n' },
  // names and meaning
  { title: "a model name misspelt", main: route("  to gpt4o") },
  { title: "a budget that is not declared", main: route("  budget team-dialy\n  to gpt-4o") },
  { title: "a route declared twice", main: route("  to gpt-4o") + route("  to gpt-4o-mini") },
  { title: "a condition on an unknown fact", main: 'route chat {\n  when modle == "chat"\n  to gpt-4o\n}\n' },
  { title: "a header read without quotes", main: "route chat {\n  when header(x-tier) == \"gold\"\n  to gpt-4o\n}\n" },
  { title: "a regex in quotes", main: 'route chat {\n  when model matches "gpt-.*"\n  to gpt-4o\n}\n' },
  { title: "split weights that do not add up", main: route("  split { 70% gpt-4o  20% gpt-4o-mini }") },
  { title: "a route with no target", main: route("  timeout 30s") },
  { title: "a catch-all route above others", main: "route any {\n  to gpt-4o\n}\n\n" + route("  to gpt-4o-mini") },
];
