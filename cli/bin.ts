#!/usr/bin/env node
/** The executable behind `npx aigw`: runs the dispatcher and sets the exit code. */
import { main } from "./aigw.js";
import { missingDependency } from "./missing-dependency.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const missing = missingDependency(err);
    if (missing !== undefined) {
      process.stderr.write(missing);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`aigw: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
