// Lets a plain `node` child process run the TypeScript sources directly:
// `node --import ./test/state/child/register.mjs file.ts`. Node 20 cannot strip
// types itself, and the tests must exercise the real stores, not copies.
import { register } from "node:module";

register("../../support/ts-hooks.mjs", import.meta.url);
