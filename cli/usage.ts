/**
 * Each command's help: a usage line, what it does, its options, examples
 * and exit codes. Kept apart from the commands themselves so that the
 * dispatcher can print help and still load only the command it runs
 * (`serve` never loads the compiler into the request process: it compiles
 * on a worker thread).
 */

export interface CommandDoc {
  usage: string;
  /** One line for the list of commands. */
  about: string;
  /** What the command does, a few lines. */
  description: string;
  options: readonly (readonly [flag: string, what: string])[];
  examples: readonly (readonly [command: string, what: string])[];
  exit: string;
}

const PATHS = "PATHS are `.route` files or policy directories (a directory stands for its `main.route`); default `.`.";

export const DOCS: Readonly<Record<string, CommandDoc>> = {
  check: {
    usage: "aigw check [PATHS] [--format human|json|github|sarif|junit] [--strict] [--test NAME] [--coverage] [--min-coverage N]",
    about: "compile, lint and run the policy's tests (the CI gate)",
    description: `Parses, compiles and lints the policy, then runs its \`test\` blocks through the gateway's own evaluator (timeouts, retries and the deadline on a virtual clock). ${PATHS}`,
    options: [
      ["--format human|json|github|sarif|junit", "human-readable (default), one JSON document, GitHub Actions annotations, SARIF 2.1.0 for code scanning, or JUnit XML"],
      ["--strict", "fail on warnings too"],
      ["--test NAME", "run only the test with this name"],
      ["--coverage", "say which routes, split arms, fallbacks, retries, budget outcomes and guardrail rules no test exercises"],
      ["--min-coverage N", "fail when the coverage is below N% (implies --coverage)"],
    ],
    examples: [
      ["aigw check examples/quickstart", "check a policy directory"],
      ["aigw check policy/ --format github --strict", "the CI gate: annotations on the pull request, warnings fail"],
      ['aigw check policy/ --test "a 429 falls back"', "run one test"],
      ["aigw check policy/ --coverage --min-coverage 90", "fail CI when tests leave more than 10% of the policy unexercised"],
      ["aigw check policy/ --format sarif > aigw.sarif", "for github/codeql-action/upload-sarif"],
    ],
    exit: "0 clean; 1 errors, failing tests (or warnings with --strict), or coverage below --min-coverage; 2 usage error (also: no test named NAME)",
  },
  compile: {
    usage: "aigw compile [PATHS] [-o graph.json]",
    about: "write the decision graph as JSON",
    description: `Compiles the policy and writes its decision graph (JSON, valid against compiler/graph.schema.json) to stdout, or to a file with -o. Diagnostics go to stderr. ${PATHS}`,
    options: [["-o, --output FILE", "write the graph to FILE instead of stdout"]],
    examples: [
      ["aigw compile examples/quickstart", "print the graph"],
      ["aigw compile policy/ -o graph.json", "write it to a file"],
    ],
    exit: "0 written; 1 the policy has errors (nothing written); 2 usage error",
  },
  explain: {
    usage: "aigw explain [PATHS] --request FILE|- [--format human|json] [--draw N] [--at INSTANT] [--ejected MODEL]... [--failures MODEL=F/N]... [--latency MODEL=D]... [--state FILE]",
    about: "decide one request and say why, in the policy's terms",
    description: `Decides one request without sending it anywhere: the routes considered and why each did or did not match (file:line), the split draw, the attempt order, guardrails, budgets and limits. FILE is JSON \`{ "headers": {...}, "body": { chat completion request } }\`; a bearer key in it is hashed and looked up in \`keys\`, never printed. ${PATHS}`,
    options: [
      ["--request FILE|-", "the request to explain (`-`: stdin); required"],
      ["--format human|json", "readable (default), or the decision record the server logs"],
      ["--draw N", "the split draw, from 0 up to 1 (default 0.5), so an explanation is repeatable"],
      ["--at INSTANT", "when the request arrives, for the time facts `hour`, `weekday` and `date` (2026-12-07T09:30:00+01:00); default now"],
      ["--ejected MODEL", "the route's health policy has just ejected MODEL (as a test's `given MODEL ejected`); repeatable"],
      ["--failures MODEL=F/N", "of MODEL's last N tries the latest F failed (as `given MODEL failures F of N`); repeatable"],
      ["--latency MODEL=D", "MODEL's latency estimate, e.g. `gpt-4o=900ms` (as `given MODEL latency D`), read by `split fastest`; repeatable"],
      ["--state FILE", 'the live state as JSON: `{ "ejected": ["gpt-4o"], "failures": { "sonnet": { "failures": 5, "of": 10 } } }`'],
    ],
    examples: [
      ["aigw explain examples/quickstart --request req.json", "explain the request in req.json"],
      [`echo '{"body":{"model":"chat","messages":[{"role":"user","content":"hi"}]}}' | aigw explain examples/quickstart --request -`, "from stdin"],
      ["aigw explain examples/production --request req.json --ejected gpt-4o", "the same request while gpt-4o is ejected"],
    ],
    exit: "0 whatever the decision; 1 the policy does not compile; 2 usage error (missing --request, unreadable or invalid request)",
  },
  diff: {
    usage: "aigw diff OLD NEW [--path P] [--format human|markdown|json] [--exit-code]",
    about: "what a policy change does to traffic, with an example request for each change",
    description:
      "Compares two versions of a policy by what they do, not how they are written: for each part of the request space whose outcome changes (the route, targets, split weights, fallback order, retries, timeouts, guardrails, budgets, limits, cache, health), the old and new values, the highest price its targets bill, and a request that shows it. Renames, file moves and reordering routes that share no request are no change. OLD and NEW are each a policy path, or a git ref whose committed tree is read at --path.",
    options: [
      ["--path P", "where the policy is inside the repository, for a side given as a git ref (default `.`)"],
      ["--format human|markdown|json", "readable (default), Markdown for a pull-request comment, or one JSON document"],
      ["--exit-code", "exit 1 when behaviour changes"],
    ],
    examples: [
      ["aigw diff main HEAD --path policy/", "what the commits on this branch change"],
      ["aigw diff origin/main HEAD --path policy/ --format markdown", "a pull-request comment"],
      ["aigw diff old-policy/ policy/", "two directories on disk"],
    ],
    exit: "0 compared (with --exit-code: no change in behaviour); 1 a side does not compile, or behaviour changes with --exit-code; 2 usage error (also: a side that is neither a path nor a git ref)",
  },
  serve: {
    usage:
      "aigw serve [PATHS] [--port N] [--host H] [--workers N] [--no-access-log] [--log-decisions] [--otlp URL] [--body-timeout D] [--compile-idle D] [--guard-workers N] [--guard-timeout D] [--watch | --git REF] [--shadow CANDIDATE]",
    about: "run the gateway on a policy",
    description: `Checks the policy as \`aigw check\` does (refusing to start on errors or failing tests) and serves its OpenAI-compatible API. Start-up lines go to stderr, the JSON access log to stdout. SIGHUP and POST /admin/reload reload the policy; SIGTERM/SIGINT drain requests in flight and exit 0. ${PATHS}`,
    options: [
      ["--port N, --host H", "where to listen (default: the policy's `listen`, else 127.0.0.1:8787)"],
      ["--workers N", "event loops on worker threads sharing the port (default: AIGW_WORKERS, else the CPUs this process may use; 1: one thread, no worker)"],
      ["--watch", "reload when the policy files change"],
      ["--git REF", "serve the tree committed at REF and follow the ref"],
      ["--shadow CANDIDATE", "also decide every request on a candidate policy (a path, or a git ref read at PATHS), sending nothing; differences on /metrics and GET /admin/shadow"],
      ["--no-access-log", "no access log lines"],
      ["--log-decisions", "add each request's decision record to its access log line"],
      ["--otlp URL", "export OpenTelemetry traces (default: OTEL_EXPORTER_OTLP_ENDPOINT)"],
      ["--body-timeout D", "how long a request body may take to arrive (default 30s)"],
      ["--compile-idle D", "keep the reload compile worker this long after a reload (default 30s)"],
      ["--guard-workers N", "threads that run guardrails, text conditions and body redaction on large texts (default: CPUs - 1, 1 to 4)"],
      ["--guard-timeout D", "how long such a pass may take before the request fails with 503 (default 30s)"],
    ],
    examples: [
      ["aigw serve examples/quickstart", "serve the quickstart on 127.0.0.1:8787"],
      ["aigw serve policy/ --port 9000 --watch", "serve and reload on every save"],
      ["aigw serve policy/ --workers 1", "serve on one thread (the gateway before --workers)"],
      ["aigw serve policy/ --git origin/main", "serve what is committed, following the branch"],
      ["aigw serve policy/ --shadow my-branch", "serve policy/ and report how the branch's policy would route the same traffic"],
    ],
    exit: "0 after a graceful shutdown; 1 the policy was refused or the server could not start; 2 usage error",
  },
  key: {
    usage: "aigw key [--team T] [--user U] [--label name=value]...",
    about: "mint a caller key and print the keys line to paste",
    description:
      "Mints a caller key (`aigw_` and 256 random bits). Prints the key once, to hand to the caller, and the line to paste into the policy's `keys` block, which holds only the key's sha256 hash.",
    options: [
      ["--team T, --user U", "the key's `team` and `user` labels"],
      ["--label name=value", "any other label; repeat for several"],
    ],
    examples: [
      ["aigw key --team search --user ana", "a key for ana of team search"],
      ["aigw key --team support --label tier=gold", "with a label routes can read as label(\"tier\")"],
    ],
    exit: "0; 2 usage error",
  },
  fmt: {
    usage: "aigw fmt [--check] [PATHS]",
    about: "rewrite .route files in the canonical layout",
    description:
      "Rewrites `.route` files (every one under a directory; default `.`) in the canonical layout, keeping comments. A file with syntax errors is never rewritten.",
    options: [["--check", "write nothing; name the files that would change"]],
    examples: [
      ["aigw fmt policy/", "format every .route file under policy/"],
      ["aigw fmt --check policy/", "in CI: fail if a file is not formatted"],
    ],
    exit: "0 done (with --check: nothing to change); 1 syntax errors, or files to change with --check; 2 usage error",
  },
  lsp: {
    usage: "aigw lsp [--stdio]",
    about: "the language server for editors (LSP over stdio)",
    description:
      "Speaks the Language Server Protocol on stdin and stdout, for editors: diagnostics as you type (the checks and `test` blocks of `aigw check`), go to definition, references, rename, hover, completion, outline, formatting as `aigw fmt` does, and code lenses that run a `test` block. A file's policy is the outermost directory up to the workspace folder whose `main.route` loads it, else the file alone. See editors/vscode/README.md for VS Code, Neovim, Helix and Zed.",
    options: [["--stdio", "accepted for editors' clients; stdio is the only transport"]],
    examples: [["aigw lsp", "started by the editor, not by hand"]],
    exit: "0 when the client shuts the server down; 2 usage error",
  },
  usage: {
    usage: "aigw usage [PATHS] [--since 7d] [--until D] [--by team|key|user|route|model|provider|api|outcome] [--step 1d] [--format table|json|csv] [--url URL --admin-token T]",
    about: "what the gateway served and spent, from its usage ledger",
    description: `Reads the usage ledger (per-minute requests, tokens, cost, errors, fallbacks, guardrail actions and latency, kept for \`usage_retention\`) and totals it over a time range, grouped by one dimension. Offline it reads the store of the policy's \`state\` (the SQLite file, or the Redis of its URL); with --url it asks a running gateway's \`GET /admin/usage\`, which answers the same JSON. Cost is in dollars, from the declared model prices. ${PATHS}`,
    options: [
      ["--since D", "start: a span back from now (30m, 24h, 7d, 2w) or an ISO date; default 24h"],
      ["--until D", "end: `now` (default), a span back from now, or an ISO date"],
      ["--by DIM", "group by team, key (the key id, never the key), user, route, model (the target), provider, api or outcome; default: all together"],
      ["--step S", "also a series by time step (1h, 1d; in --format json)"],
      ["--format table|json|csv", "an aligned table with a totals row (default), the /admin/usage JSON, or CSV"],
      ["--url URL", "ask the gateway at URL instead of reading the store"],
      ["--admin-token T", "the gateway's admin token (or AIGW_ADMIN_TOKEN)"],
    ],
    examples: [
      ["aigw usage policy/ --since 7d --by team", "what each team spent this week"],
      ["aigw usage policy/ --since 2026-12-01 --by model --format csv > models.csv", "per model since a date, for a spreadsheet"],
      ["AIGW_ADMIN_TOKEN=… aigw usage --url http://gw:8787 --by key", "ask a running gateway (state memory, or no access to the store)"],
    ],
    exit: "0 printed; 1 the policy has errors, the store cannot be read or the gateway refused; 2 usage error",
  },
};

/** `aigw <command> --help`. */
export function commandHelp(doc: CommandDoc): string {
  const width = Math.max(...doc.options.map(([f]) => f.length));
  const lines = [`usage: ${doc.usage}`, "", doc.description, "", "options:"];
  for (const [flag, what] of doc.options) lines.push(`  ${flag.padEnd(width)}  ${what}`);
  lines.push("  -h, --help".padEnd(width + 2) + "  this help", "", "examples:");
  for (const [command, what] of doc.examples) lines.push(`  ${command}`, `      ${what}`);
  lines.push("", `exit: ${doc.exit}`);
  return lines.join("\n") + "\n";
}
