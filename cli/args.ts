/**
 * A small argv parser for the aigw commands: known flags with or without a
 * value, the rest positional. Unknown flags are usage errors (exit 2).
 */

export interface FlagSpec {
  /** Flags that take a value, e.g. `--format json` or `--format=json`. */
  values?: readonly string[];
  /** Flags that are on or off. */
  switches?: readonly string[];
}

export interface ParsedArgs {
  positional: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const out: ParsedArgs = { positional: [], values: new Map(), switches: new Set() };
  const values = new Set(spec.values ?? []);
  const switches = new Set(spec.switches ?? []);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (values.has(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      out.values.set(name, value);
    } else if (switches.has(name) && eq < 0) {
      out.switches.add(name);
    } else {
      throw new UsageError(`unknown option \`${arg}\``);
    }
  }
  return out;
}

/** Checks that `value` is one of `allowed`, for flags like `--format`. */
export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, not \`${value}\``);
}
