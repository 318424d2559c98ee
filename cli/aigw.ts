/**
 * The `aigw` command: a thin dispatcher over the modules. Each command is a
 * function `(argv, io) => exit code`, so tests run them in-process.
 */
import { UsageError } from "./args.js";
import { processIo, type Io } from "./io.js";
import { commandHelp, DOCS, type CommandDoc } from "./usage.js";
import { packageVersion } from "./version.js";

type Run = (argv: readonly string[], io: Io) => Promise<number>;

// Commands are loaded when run: `serve` must not carry the compiler (chevrotain and all) into the request process.
const RUN: Record<string, Run> = {
  check: async (argv, io) => (await import("./commands/check.js")).checkCommand(argv, io),
  compile: async (argv, io) => (await import("./commands/compile.js")).compileCommand(argv, io),
  explain: async (argv, io) => (await import("./commands/explain.js")).explainCommand(argv, io),
  diff: async (argv, io) => (await import("./commands/diff.js")).diffCommand(argv, io),
  serve: async (argv, io) => (await import("./commands/serve.js")).serveCommand(argv, io),
  key: async (argv, io) => (await import("./commands/key.js")).keyCommand(argv, io),
  fmt: async (argv, io) => (await import("./commands/fmt.js")).fmtCommand(argv, io),
  lsp: async (argv, io) => (await import("./commands/lsp.js")).lspCommand(argv, io),
  usage: async (argv, io) => (await import("./commands/usage.js")).usageCommand(argv, io),
};

const HELP = new Set(["help", "--help", "-h"]);
const VERSION = new Set(["version", "--version", "-V"]);

function help(): string {
  const lines = ["usage: aigw <command> [options]", "", "commands:"];
  for (const [name, doc] of Object.entries(DOCS)) lines.push(`  ${name.padEnd(9)} ${doc.about}`, `            ${doc.usage}`);
  lines.push("", "aigw <command> --help explains a command, with examples; aigw --version prints the version.");
  return lines.join("\n") + "\n";
}

function docOf(name: string): CommandDoc | undefined {
  return Object.hasOwn(DOCS, name) ? DOCS[name] : undefined;
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    io.err(help());
    return 2;
  }
  if (VERSION.has(name)) {
    io.out(`aigw ${packageVersion()}\n`);
    return 0;
  }
  if (HELP.has(name)) {
    // `aigw help check` is `aigw check --help`.
    const doc = rest[0] === undefined ? undefined : docOf(rest[0]);
    if (rest[0] !== undefined && !doc) {
      io.err(`aigw: unknown command \`${rest[0]}\`\n\n${help()}`);
      return 2;
    }
    io.out(doc ? commandHelp(doc) : help());
    return 0;
  }
  const doc = docOf(name);
  const run = doc && RUN[name];
  if (!doc || !run) {
    io.err(`aigw: unknown command \`${name}\`\n\n${help()}`);
    return 2;
  }
  // Before `--`, `-h`/`--help` anywhere asks for help rather than running the command.
  const options = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
  if (options.includes("--help") || options.includes("-h")) {
    io.out(commandHelp(doc));
    return 0;
  }
  try {
    return await run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`aigw ${name}: ${err.message}\nusage: ${doc.usage}\n(aigw ${name} --help for more)\n`);
      return 2;
    }
    throw err;
  }
}
