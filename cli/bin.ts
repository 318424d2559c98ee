#!/usr/bin/env node
/** The executable behind `npx aigw`: runs the dispatcher and sets the exit code. */
import { main } from "./aigw.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`aigw: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
