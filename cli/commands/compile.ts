/**
 * `aigw compile PATHS [-o graph.json]`: writes the decision graph as JSON
 * (to stdout without `-o`). Diagnostics go to stderr; exit 1 on errors.
 */
import { writeFileSync } from "node:fs";
import { hasErrors } from "../../lang/diagnostics.js";
import { parseArgs } from "../args.js";
import type { Io } from "../io.js";
import { loadAndCompile } from "../policy.js";
import { renderHuman, summary } from "../render.js";

export async function compileCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { values: ["--output"], short: { "-o": "--output" } });
  const paths = args.positional.length ? args.positional : ["."];
  const policy = loadAndCompile(paths, io.env);
  for (const d of policy.diagnostics) io.err(renderHuman(d, policy.texts, io.isTty) + "\n");
  if (hasErrors(policy.diagnostics) || !policy.graph) {
    io.err(`${summary(policy.diagnostics)}: no graph written\n`);
    return 1;
  }
  const json = JSON.stringify(policy.graph, null, 2) + "\n";
  const output = args.values.get("--output");
  if (output) {
    writeFileSync(output, json);
    const n = policy.graph.routes.length;
    io.err(`wrote ${output} (policy ${policy.graph.policy}, ${n} route${n === 1 ? "" : "s"})\n`);
  } else io.out(json);
  return 0;
}
