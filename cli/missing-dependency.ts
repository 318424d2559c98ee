/**
 * Turns "an optional dependency is not installed" into one clear line.
 * The server's packages (uWebSockets.js, better-sqlite3, ioredis) are
 * optionalDependencies so that `aigw check` installs without native builds
 * (the GitHub Action uses `npm ci --omit=optional`); a command that needs
 * one of them where it is missing should say what to install, not print an
 * internal error with a stack.
 */

/** The optional packages, by the name a failed import or require reports. */
const OPTIONAL = ["uWebSockets.js", "uws-legacy", "better-sqlite3", "ioredis"] as const;

/** The message for `err` when it is a missing optional package; undefined for any other error. */
export function missingDependency(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") return undefined;
  const name = /Cannot find (?:package|module) '([^']+)'/.exec(err.message)?.[1];
  const pkg = OPTIONAL.find((p) => name === p || name?.startsWith(`${p}/`));
  if (pkg === undefined) return undefined;
  return `aigw: this command needs the optional dependency \`${pkg}\`, which is not installed (it was left out, e.g. by \`npm install --omit=optional\`, or failed to build); install aigw's dependencies with \`npm install\`\n`;
}
