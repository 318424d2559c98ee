/**
 * The `aigw` command: a thin dispatcher over the modules. Each command is a
 * function `(argv, io) => exit code`, so tests run them in-process.
 */
import { UsageError } from "./args.js";
import { processIo, type Io } from "./io.js";
import { checkUsage, compileUsage, explainUsage, fmtUsage, keyUsage, serveUsage } from "./usage.js";

type Command = { run: (argv: readonly string[], io: Io) => Promise<number>; usage: string; about: string };

// Commands are loaded when run: `serve` must not carry the compiler (chevrotain and all) into the request process.
const COMMANDS: Record<string, Command> = {
  check: { run: async (argv, io) => (await import("./commands/check.js")).checkCommand(argv, io), usage: checkUsage, about: "compile, lint and run the policy's tests (the CI gate)" },
  compile: { run: async (argv, io) => (await import("./commands/compile.js")).compileCommand(argv, io), usage: compileUsage, about: "write the decision graph as JSON" },
  explain: { run: async (argv, io) => (await import("./commands/explain.js")).explainCommand(argv, io), usage: explainUsage, about: "decide one request and say why, in the policy's terms" },
  serve: { run: async (argv, io) => (await import("./commands/serve.js")).serveCommand(argv, io), usage: serveUsage, about: "run the gateway on a policy" },
  key: { run: async (argv, io) => (await import("./commands/key.js")).keyCommand(argv, io), usage: keyUsage, about: "mint a caller key and print the keys line to paste" },
  fmt: { run: async (argv, io) => (await import("./commands/fmt.js")).fmtCommand(argv, io), usage: fmtUsage, about: "rewrite .route files in the canonical layout" },
};

function help(): string {
  const lines = ["usage: aigw <command> [options]", "", "commands:"];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)} ${c.about}`, `            ${c.usage}`);
  return lines.join("\n") + "\n";
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    io.out(help());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`aigw: unknown command \`${name}\`\n\n${help()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(`usage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`aigw ${name}: ${err.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    throw err;
  }
}
