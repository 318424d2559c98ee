/**
 * The aigw commands' argv parsing, on `node:util` `parseArgs` (strict: an
 * unknown option, a missing value, or a value given to a switch is a usage
 * error, exit 2). Flags are named as written on the command line
 * (`--format`), so commands read `values.get("--format")`; Node's error
 * messages are replaced by ours, which say what to type instead.
 */
import { parseArgs as nodeParseArgs, type ParseArgsConfig } from "node:util";

export interface FlagSpec {
  /** Flags that take a value, e.g. `--format json` or `--format=json`; the last one given wins. */
  values?: readonly string[];
  /** Flags that take a value and may be repeated, e.g. `--label a=1 --label b=2`. */
  lists?: readonly string[];
  /** Flags that are on or off. */
  switches?: readonly string[];
  /** One-letter aliases: `{ "-o": "--output" }`. */
  short?: Readonly<Record<string, string>>;
}

export interface ParsedArgs {
  positional: string[];
  values: Map<string, string>;
  lists: Map<string, string[]>;
  switches: Set<string>;
}

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

const bare = (flag: string): string => flag.replace(/^--?/, "");

export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const options: Options = {};
  for (const f of spec.values ?? []) options[bare(f)] = { type: "string" };
  for (const f of spec.lists ?? []) options[bare(f)] = { type: "string", multiple: true };
  for (const f of spec.switches ?? []) options[bare(f)] = { type: "boolean" };
  for (const [s, long] of Object.entries(spec.short ?? {})) {
    const option = options[bare(long)];
    if (option) option.short = bare(s);
  }
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (err) {
    throw usageErrorOf(err);
  }
  const out: ParsedArgs = { positional: parsed.positionals, values: new Map(), lists: new Map(), switches: new Set() };
  for (const [name, value] of Object.entries(parsed.values)) {
    const flag = `--${name}`;
    if (typeof value === "string") out.values.set(flag, value);
    else if (value === true) out.switches.add(flag);
    else if (Array.isArray(value)) out.lists.set(flag, value.filter((v): v is string => typeof v === "string"));
  }
  return out;
}

/** Node's parse errors in our words; anything else is rethrown as it is. */
function usageErrorOf(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /'([^']+)'/.exec(message)?.[1] ?? "";
    return new UsageError(`unknown option \`${option}\``);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    // Node names the option as `'-o, --output <value>'` or `'--format'`: the first name is what to show.
    const flag = /'(-{1,2}[\w-]+)/.exec(message)?.[1] ?? "the option";
    if (/does not take an argument/.test(message)) return new UsageError(`${flag} takes no value`);
    if (/ambiguous/.test(message)) return new UsageError(`${flag} needs a value (for a value starting with \`-\`, write ${flag}=VALUE)`);
    return new UsageError(`${flag} needs a value`);
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return new UsageError(message);
  return err;
}

/** Checks that `value` is one of `allowed`, for flags like `--format`. */
export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, not \`${value}\``);
}
