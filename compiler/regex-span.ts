/**
 * The longest text a policy regex can match, read from its syntax, so an
 * output `matches` pattern can inspect a stream with a bounded hold-back
 * (lang/SPEC.md §7.5): `/launch codes/i` is bounded, `/BEGIN.*END/` is not
 * (its guardrail then states a `window`). Pure.
 *
 * Lengths are UTF-16 units of the text's normal form. A literal counts its
 * own units (twice under `i`: case folding may pair a one-unit character
 * with a two-unit one); any other atom (`.`, a class, `\w`, `\p{…}`) counts 2,
 * since it may match one code point outside the BMP. Lookaround and
 * backreferences are refused for every policy regex (linear-regex.ts), so
 * they are not modeled.
 */

/** The longest match of `source` in UTF-16 units, or undefined when a `*`, `+` or `{n,}` makes it unbounded. */
export function regexMaxLength(source: string, flags: string): number | undefined {
  const p = new SpanParser(source, flags.includes("i"));
  const n = p.alternation();
  return Number.isFinite(n) ? n : undefined;
}

class SpanParser {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly fold: boolean,
  ) {}

  alternation(): number {
    let best = this.sequence();
    while (this.s[this.i] === "|") {
      this.i++;
      best = Math.max(best, this.sequence());
    }
    return best;
  }

  private sequence(): number {
    let total = 0;
    while (this.i < this.s.length && this.s[this.i] !== "|" && this.s[this.i] !== ")") total += this.quantified(this.atom());
    return total;
  }

  private atom(): number {
    const c = this.s[this.i]!;
    if (c === "(") {
      this.i++;
      if (this.s[this.i] === "?") {
        // (?:…), (?<name>…), and flag groups (?i:…): only the group's contents count.
        this.i++;
        if (this.s[this.i] === "<" && this.s[this.i + 1] !== "=" && this.s[this.i + 1] !== "!") while (this.i < this.s.length && this.s[this.i] !== ">") this.i++;
        else while (this.i < this.s.length && this.s[this.i] !== ":" && this.s[this.i] !== ")") this.i++;
        this.i++;
      }
      const n = this.alternation();
      this.i++; // ")"
      return n;
    }
    if (c === "[") {
      this.i++;
      while (this.i < this.s.length && this.s[this.i] !== "]") this.i += this.s[this.i] === "\\" ? 2 : 1;
      this.i++;
      return 2;
    }
    if (c === "\\") return this.escape();
    if (c === "^" || c === "$") {
      this.i++;
      return 0;
    }
    if (c === ".") {
      this.i++;
      return 2;
    }
    const cp = this.s.codePointAt(this.i)!;
    const units = cp > 0xffff ? 2 : 1;
    this.i += units;
    return this.fold ? 2 : units;
  }

  private escape(): number {
    const e = this.s[this.i + 1] ?? "";
    this.i += 2;
    if (e === "b" || e === "B") return 0;
    if (e === "p" || e === "P" || (e === "u" && this.s[this.i] === "{")) {
      while (this.i < this.s.length && this.s[this.i] !== "}") this.i++;
      this.i++;
      return 2;
    }
    if (e === "u") this.i += 4;
    else if (e === "x") this.i += 2;
    else if (e === "c") this.i += 1;
    return 2;
  }

  private quantified(n: number): number {
    const q = this.s[this.i];
    let out = n;
    if (q === "*" || q === "+") {
      this.i++;
      out = n === 0 ? 0 : Infinity;
    } else if (q === "?") {
      this.i++;
    } else if (q === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
      if (m === null) return n; // a literal `{`, as JavaScript reads it without `u`
      this.i += m[0].length;
      const max = m[2] === undefined ? Number(m[1]) : m[3] === "" ? Infinity : Number(m[3]);
      out = n === 0 ? 0 : n * max;
    } else return n;
    if (this.s[this.i] === "?") this.i++; // lazy: the same lengths
    return out;
  }
}
