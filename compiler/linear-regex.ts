/**
 * Policy regexes (`matches /…/` in guardrails and conditions) compiled for a
 * linear-time engine, RE2 (the `re2js` port), instead of V8's backtracking
 * one: a policy author's `(\w+\s?)+;` met by a long run of words without the
 * `;` would otherwise take exponential time on the event loop, and even an
 * innocent `a.*b` is quadratic on a long text without `b`. RE2 matches in
 * time linear in the text for every pattern, so no request text can make a
 * policy regex slow.
 *
 * RE2 is 10–50× slower than V8 per byte (a case-insensitive search: ~55 ms
 * per MB against ~7, plus ~10 µs per call), so a pattern whose backtracking
 * is bounded by its shape keeps V8: no repetition (`*`, `+`, `{…}`) and at
 * most MAX_CHOICES choice points (`?`, `|`), so at most 2^MAX_CHOICES paths
 * are tried from each position, each no longer than the pattern: linear in
 * the text. The guardrail patterns people write (`ignore (all |any )?(the
 * )?(previous|prior|above) instructions`) are of that kind.
 *
 * The syntax is JavaScript's minus what RE2 cannot do in linear time:
 * lookaround (`(?=…)`, `(?<!…)`) and backreferences (`\1`) are refused at
 * compile time (E207) for every pattern, whichever engine runs it, so a
 * policy never depends on the choice. Matches are leftmost-first on both.
 * Flags: `i`, `m`, `s`; `u` is accepted (RE2 always matches by code point).
 */
import { RE2JS } from "re2js";

/** A compiled policy regex. */
export interface LinearRegex {
  readonly source: string;
  readonly flags: string;
  /** Whether the pattern matches anywhere in `text`. */
  test(text: string): boolean;
  /** The first match at or after `from`: `[start, end)` in UTF-16 offsets, or undefined. */
  find(text: string, from: number): [number, number] | undefined;
}

/** Most choice points (`?`, `|`) a pattern without repetition may have to run on V8. */
export const MAX_CHOICES = 6;

/** RE2 flag bits for the flags a policy regex may carry (`g` and `y` are the scanner's business, ignored). */
function re2Flags(flags: string): number {
  let bits = 0;
  if (flags.includes("i")) bits |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes("m")) bits |= RE2JS.MULTILINE;
  if (flags.includes("s")) bits |= RE2JS.DOTALL;
  return bits;
}

/**
 * Compiles a policy regex for RE2. Throws a SyntaxError saying what is not
 * supported (or what is wrong) when it cannot be compiled.
 */
export function compileLinear(source: string, flags: string): LinearRegex {
  // JavaScript's own check first, so a malformed pattern gets V8's usual message.
  new RegExp(source, flags.replace(/[gy]/g, ""));
  const unsupported = unsupportedFeature(source);
  if (unsupported !== undefined) throw new SyntaxError(`${unsupported} cannot be matched in linear time`);
  let pattern: ReturnType<typeof RE2JS.compile>;
  try {
    pattern = RE2JS.compile(RE2JS.translateRegExp(source), re2Flags(flags));
  } catch (err) {
    throw new SyntaxError(`not supported by the linear-time engine: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (boundedBacktracking(source)) {
    const scan = new RegExp(source, flags.replace(/[gy]/g, "") + "g");
    return {
      source,
      flags,
      test(text) {
        scan.lastIndex = 0;
        const found = scan.test(text);
        scan.lastIndex = 0;
        return found;
      },
      find(text, from) {
        scan.lastIndex = from;
        const m = scan.exec(text);
        scan.lastIndex = 0;
        return m === null ? undefined : [m.index, m.index + m[0].length];
      },
    };
  }
  return {
    source,
    flags,
    // `test` runs RE2's DFA; `find` needs positions (its slower NFA), so it first asks the DFA whether there is any match at all.
    test: (text) => pattern.test(text),
    find(text, from) {
      if (from === 0 && !pattern.test(text)) return undefined;
      const m = pattern.matcher(text);
      if (!m.find(from)) return undefined;
      return [m.start(), m.end()];
    },
  };
}

/**
 * Walks a pattern's syntax: `visit` sees each character outside character
 * classes, with its index, and each escape once (as `\` at the backslash,
 * its escaped character skipped), so `\(?=` or `[(?=]` are never mistaken
 * for syntax. A visit that returns a value stops the walk with it.
 */
function walkPattern<T>(source: string, visit: (c: string, i: number) => T | undefined): T | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") {
      const stop = inClass ? undefined : visit(c, i);
      if (stop !== undefined) return stop;
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") inClass = true;
    else {
      const stop = visit(c, i);
      if (stop !== undefined) return stop;
    }
  }
  return undefined;
}

/**
 * Whether a pattern's backtracking is bounded by its shape: no repetition
 * and at most MAX_CHOICES `?` or `|` (escapes and character classes skipped).
 */
export function boundedBacktracking(source: string): boolean {
  let choices = 0;
  const repeats = walkPattern(source, (c, i) => {
    if (c === "*" || c === "+" || c === "{") return true;
    if (c === "|" || (c === "?" && source[i - 1] !== "(")) choices++;
    return undefined;
  });
  return repeats === undefined && choices <= MAX_CHOICES;
}

/** Why RE2 refuses a pattern JavaScript accepts (and that has no lookaround or backreference), or undefined. */
export function linearProblem(source: string, flags: string): string | undefined {
  try {
    RE2JS.compile(RE2JS.translateRegExp(source), re2Flags(flags));
    return undefined;
  } catch (err) {
    return `the linear-time engine refuses it: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The first feature of a JavaScript pattern that RE2 does not have, named for the diagnostic, or undefined. */
export function unsupportedFeature(source: string): string | undefined {
  return walkPattern(source, (c, i) => {
    if (c === "\\") {
      const next = source[i + 1] ?? "";
      if (/[1-9]/.test(next)) return `the backreference \`\\${next}\``;
      if (next === "k" && source[i + 2] === "<") return "a named backreference `\\k<…>`";
      return undefined;
    }
    if (c === "(" && source[i + 1] === "?") {
      const look = source.slice(i + 2, i + 4);
      if (look.startsWith("=") || look.startsWith("!")) return `the lookahead \`(?${look[0]}…)\``;
      if (look === "<=" || look === "<!") return `the lookbehind \`(?${look}…)\``;
    }
    return undefined;
  });
}
