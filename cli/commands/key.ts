/**
 * `aigw key [--team T] [--user U] [--label name=value]…`: mints a caller key.
 * Prints the key once (hand it to the caller) and the `keys` line to paste
 * into the policy, which holds only the key's sha256 hash, so the policy
 * repository never contains a usable key.
 */
import { randomBytes } from "node:crypto";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { parseArgs, UsageError } from "../args.js";
import type { Io } from "../io.js";

/** `aigw_` and 32 random bytes in base64url: 256 bits, safe in headers and shells. */
export function mintKey(random: (n: number) => Uint8Array = randomBytes): string {
  return `aigw_${Buffer.from(random(32)).toString("base64url")}`;
}

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function keyCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { values: ["--team", "--user"], lists: ["--label"] });
  if (args.positional.length) throw new UsageError(`unexpected argument \`${args.positional[0]}\``);
  const labels: [string, string][] = [];
  for (const v of args.lists.get("--label") ?? []) {
    const eq = v.indexOf("=");
    if (eq <= 0 || !LABEL_NAME.test(v.slice(0, eq))) throw new UsageError("--label takes name=value, e.g. --label tier=premium");
    labels.push([v.slice(0, eq), v.slice(eq + 1)]);
  }
  const named: [string, string][] = [];
  for (const flag of ["--team", "--user"] as const) {
    const v = args.values.get(flag);
    if (v !== undefined) named.push([flag.slice(2), v]);
  }
  labels.unshift(...named);
  const key = mintKey();
  const entry = [JSON.stringify(hashKey(key)), ...labels.map(([k, v]) => `${k} ${JSON.stringify(v)}`)].join(" ");
  io.out(`key (give it to the caller; it is not stored anywhere):\n  ${key}\n\nadd this line to the policy's keys { … } block:\n  ${entry}\n`);
  return 0;
}
