/**
 * A small TextMate grammar interpreter for tests: enough of the format
 * (match/captures, begin/end/contentName, includes, `$n` in scope names,
 * rules carried across lines) to tokenise .route text with the grammar in
 * editors/vscode/syntaxes. Regexes run as JavaScript regexes, which cover every
 * construct the grammar uses (lookahead, fixed-length lookbehind).
 */

interface Captures {
  [index: string]: { name?: string };
}

export interface Rule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  contentName?: string;
  captures?: Captures;
  beginCaptures?: Captures;
  endCaptures?: Captures;
  patterns?: Rule[];
  include?: string;
}

export interface Grammar {
  scopeName: string;
  patterns: Rule[];
  repository: Record<string, Rule>;
}

export interface Token {
  text: string;
  scopes: string[];
}

interface Frame {
  rule: Rule;
  end: RegExp;
  scopes: string[];
}

function expand(name: string, m: RegExpExecArray): string {
  return name.replace(/\$(\d+)/g, (_, i: string) => m[Number(i)] ?? "");
}

export class Tokenizer {
  private readonly cache = new Map<string, RegExp>();
  constructor(private readonly grammar: Grammar) {}

  private regex(source: string): RegExp {
    let r = this.cache.get(source);
    if (!r) {
      r = new RegExp(source, "g");
      this.cache.set(source, r);
    }
    return r;
  }

  /** The rules a pattern list stands for, includes resolved. */
  private flatten(rules: readonly Rule[]): Rule[] {
    return rules.flatMap((r) => {
      if (!r.include) return [r];
      const target = r.include === "$self" ? { patterns: this.grammar.patterns } : this.grammar.repository[r.include.slice(1)];
      if (!target) throw new Error(`unknown include ${r.include}`);
      return target.match || target.begin ? [target] : this.flatten(target.patterns ?? []);
    });
  }

  /** Tokenises `text` line by line; scopes start with the grammar's scope name. */
  tokenize(text: string): Token[][] {
    const stack: Frame[] = [];
    return text.split("\n").map((line) => this.line(line, stack));
  }

  private line(line: string, stack: Frame[]): Token[] {
    const tokens: Token[] = [];
    const base = () => [this.grammar.scopeName, ...stack.flatMap((f) => f.scopes)];
    const emit = (text: string, scopes: string[]) => {
      if (text) tokens.push({ text, scopes });
    };
    const withCaptures = (m: RegExpExecArray, captures: Captures | undefined, scopes: string[]) => {
      // captures are scoped by group; text outside any named group gets `scopes`
      if (!captures) return emit(m[0], scopes);
      let pos = m.index;
      const groups = (m as RegExpExecArray & { indices?: [number, number][] }).indices ?? [];
      if (captures["0"]?.name) scopes = [...scopes, expand(captures["0"].name, m)];
      for (let i = 1; i < m.length; i++) {
        const span = groups[i];
        const name = captures[String(i)]?.name;
        if (!span || !name || span[0] < pos) continue;
        emit(line.slice(pos, span[0]), scopes);
        emit(line.slice(span[0], span[1]), [...scopes, expand(name, m)]);
        pos = span[1];
      }
      emit(line.slice(pos, m.index + m[0].length), scopes);
    };
    let pos = 0;
    let steps = 0;
    while (pos <= line.length) {
      if (++steps > 4 * line.length + 16) throw new Error(`tokenizer stuck at ${pos} in ${JSON.stringify(line)}`);
      const frame = stack[stack.length - 1];
      const rules = this.flatten(frame ? (frame.rule.patterns ?? []) : this.grammar.patterns);
      let best: { m: RegExpExecArray; rule?: Rule } | undefined;
      if (frame) {
        frame.end.lastIndex = pos;
        const m = frame.end.exec(line);
        if (m) best = { m };
      }
      for (const rule of rules) {
        const r = this.regex(rule.match ?? rule.begin!);
        r.lastIndex = pos;
        const m = r.exec(line);
        if (m && (!best || m.index < best.m.index)) best = { m, rule };
      }
      if (!best) {
        emit(line.slice(pos), base());
        break;
      }
      if (pos === line.length && best.rule) break;
      const { m, rule } = best;
      emit(line.slice(pos, m.index), base());
      const indexed = new RegExp((rule ? (rule.match ?? rule.begin)! : frame!.end.source), "dg");
      indexed.lastIndex = m.index;
      const mi = indexed.exec(line)!;
      if (!rule) {
        // end of the innermost begin/end rule
        const popped = stack.pop()!;
        const outer = base();
        const scopes = popped.rule.name ? [...outer, popped.rule.name] : outer;
        withCaptures(mi, popped.rule.endCaptures ?? popped.rule.captures, scopes);
      } else if (rule.match) {
        withCaptures(mi, rule.captures, rule.name ? [...base(), expand(rule.name, mi)] : base());
      } else {
        const outer = rule.name ? [...base(), expand(rule.name, mi)] : base();
        withCaptures(mi, rule.beginCaptures ?? rule.captures, outer);
        const scopes = [...(rule.name ? [expand(rule.name, mi)] : []), ...(rule.contentName ? [rule.contentName] : [])];
        stack.push({ rule, end: new RegExp(rule.end!, "g"), scopes });
      }
      const next = m.index + m[0].length;
      if (rule?.match && next === m.index) {
        // a zero-width match would loop forever: step over one character
        emit(line.slice(m.index, m.index + 1), base());
        pos = m.index + 1;
        continue;
      }
      // a zero-width end (`$`) leaves `pos` as it is, so enclosing rules can end there too
      pos = next;
    }
    return tokens;
  }
}
