/**
 * The `aigw` command: a thin dispatcher over the modules. Each command is a
 * function `(argv, io) => exit code`, so tests run them in-process.
 */
import { UsageError } from "./args.js";
import { checkCommand, checkUsage } from "./commands/check.js";
import { compileCommand, compileUsage } from "./commands/compile.js";
import { explainCommand, explainUsage } from "./commands/explain.js";
import { fmtCommand, fmtUsage } from "./commands/fmt.js";
import { keyCommand, keyUsage } from "./commands/key.js";
import { serveCommand, serveUsage } from "./commands/serve.js";
import { processIo, type Io } from "./io.js";

type Command = { run: (argv: readonly string[], io: Io) => Promise<number>; usage: string; about: string };

const COMMANDS: Record<string, Command> = {
  check: { run: checkCommand, usage: checkUsage, about: "compile, lint and run the policy's tests (the CI gate)" },
  compile: { run: compileCommand, usage: compileUsage, about: "write the decision graph as JSON" },
  explain: { run: explainCommand, usage: explainUsage, about: "decide one request and say why, in the policy's terms" },
  serve: { run: (argv, io) => serveCommand(argv, io), usage: serveUsage, about: "run the gateway on a policy" },
  key: { run: keyCommand, usage: keyUsage, about: "mint a caller key and print the keys line to paste" },
  fmt: { run: fmtCommand, usage: fmtUsage, about: "rewrite .route files in the canonical layout" },
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
