/**
 * Builds the AST from chevrotain's CST. The CST may have holes where the
 * parser recovered from errors (already reported); every accessor here is
 * total, so a broken file still yields an AST with everything that could be
 * read. Literal meaning (escapes, units) is decoded here, with diagnostics.
 *
 * This runs once per CST node of every file, so it computes each node's span
 * once, reads children in place instead of copying them into arrays, and
 * decodes literals in source order (their diagnostics come out in that
 * order).
 */
import type { CstElement, CstNode, IToken } from "chevrotain";
import type * as A from "./ast.js";
import type { Diagnostic } from "./diagnostics.js";
import { decodeQuantity, decodeString } from "./literals.js";
import type { LineMap } from "./line-map.js";
import type { Span } from "./span.js";
import { And } from "./tokens.js";

type Children = Record<string, CstElement[] | undefined>;

function isNode(e: CstElement | undefined): e is CstNode {
  return e !== undefined && "children" in e;
}

/**
 * The name of a node's first child: for the rules that choose between
 * alternatives (`declaration`, `routeStmt`, `clause`, `testStmt`) it is the
 * sub-rule or leading keyword that says which one was taken. chevrotain adds
 * children in parse order and property order is insertion order.
 */
function firstKey(c: Children): string | undefined {
  for (const key in c) return key;
  return undefined;
}

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  /** Quantities decoded without a diagnostic, by their text. */
  private readonly quantities = new Map<string, { unit: A.Unit; value: number }>();
  constructor(private readonly lines: LineMap) {}

  // ---------------------------------------------------------------- helpers

  private span(node: CstNode): Span {
    const loc = node.location;
    if (loc && Number.isFinite(loc.startOffset) && Number.isFinite(loc.endOffset)) return this.lines.span(loc.startOffset, (loc.endOffset ?? loc.startOffset) + 1);
    return this.lines.end();
  }

  private tokSpan(t: IToken): Span {
    return Number.isFinite(t.startOffset) && !t.isInsertedInRecovery ? this.lines.tokenSpan(t) : this.lines.end();
  }

  /** The first token under `key` that is in the text (not invented by recovery). */
  private token(c: Children, key: string): IToken | undefined {
    const list = c[key];
    if (!list) return undefined;
    for (const e of list) if (!isNode(e) && !e.isInsertedInRecovery) return e;
    return undefined;
  }

  /** The first node under `key`. */
  private node(c: Children, key: string): CstNode | undefined {
    const list = c[key];
    if (!list) return undefined;
    for (const e of list) if (isNode(e)) return e;
    return undefined;
  }

  /** The nodes under `key`, in order: the list itself, or an empty one. */
  private nodes(c: Children, key: string): readonly CstElement[] {
    return c[key] ?? NONE;
  }

  private ident(t: IToken | undefined, fallback: Span): A.Ident {
    return t ? { kind: "ident", name: t.image, span: this.tokSpan(t) } : { kind: "ident", name: "", span: fallback };
  }

  /** Identifiers for the tokens under `key` that are in the text. */
  private idents(c: Children, key: string, fallback: Span): A.Ident[] {
    const out: A.Ident[] = [];
    for (const e of this.nodes(c, key)) if (!isNode(e) && !e.isInsertedInRecovery) out.push(this.ident(e, fallback));
    return out;
  }

  private string(t: IToken | undefined, fallback: Span): A.StringLit {
    if (!t) return { kind: "string", value: "", span: fallback };
    const span = this.tokSpan(t);
    return { kind: "string", value: decodeString(t.image, span, this.diagnostics), span };
  }

  private quantity(t: IToken): A.Quantity {
    const span = this.tokSpan(t);
    const raw = t.image;
    // a policy writes the same few quantities over and over (`30s`, `429`, `5xx`): decode each once
    let decoded = this.quantities.get(raw);
    if (!decoded) {
      const before = this.diagnostics.length;
      decoded = decodeQuantity(raw, span, this.diagnostics);
      // one that needs a diagnostic is decoded again where it recurs, for that diagnostic's span
      if (this.diagnostics.length === before) this.quantities.set(raw, decoded);
    }
    return { kind: "quantity", unit: decoded.unit, value: decoded.value, raw, span };
  }

  private regex(t: IToken | undefined, fallback: Span): A.RegexLit {
    if (!t) return { kind: "regex", pattern: "", flags: "", span: fallback };
    const end = t.image.lastIndexOf("/");
    return { kind: "regex", pattern: t.image.slice(1, end), flags: t.image.slice(end + 1), span: this.tokSpan(t) };
  }

  // ---------------------------------------------------------------- file

  file(cst: CstNode): A.SourceFile {
    const declarations: A.Declaration[] = [];
    for (const d of this.nodes(cst.children, "declaration")) {
      const decl = isNode(d) ? this.declaration(d) : undefined;
      if (decl) declarations.push(decl);
    }
    return { kind: "file", path: this.lines.file, declarations, comments: [], span: this.lines.span(0, this.lines.text.length) };
  }

  private declaration(node: CstNode): A.Declaration | undefined {
    const key = firstKey(node.children);
    const inner = key === undefined ? undefined : this.node(node.children, key);
    if (!inner) return undefined;
    const c = inner.children;
    const span = this.span(inner);
    switch (inner.name) {
      case "importDecl":
        return { kind: "import", path: this.string(this.token(c, "StringLiteral"), span), span };
      case "gatewayDecl":
        return { kind: "gateway", settings: this.settingsBlock(this.node(c, "settingsBlock")), span };
      case "providerDecl":
        return { kind: "provider", name: this.ident(this.token(c, "Name"), span), settings: this.settingsBlock(this.node(c, "settingsBlock")), span };
      case "healthDecl":
        return { kind: "health", name: this.ident(this.token(c, "Name"), span), settings: this.settingsBlock(this.node(c, "settingsBlock")), span };
      case "jwtDecl":
        return { kind: "jwt", name: this.ident(this.token(c, "Name"), span), settings: this.settingsBlock(this.node(c, "settingsBlock")), span };
      case "modelDecl":
        return this.model(c, span);
      case "keysDecl": {
        const entries: A.KeyEntry[] = [];
        for (const e of this.nodes(c, "keyEntry")) {
          if (!isNode(e)) continue;
          const es = this.span(e);
          entries.push({ kind: "key", hash: this.string(this.token(e.children, "StringLiteral"), es), labels: this.settings(e.children), span: es });
        }
        return { kind: "keys", entries, span };
      }
      case "budgetDecl":
      case "limitDecl":
        return {
          kind: inner.name === "budgetDecl" ? "budget" : "limit",
          name: this.ident(this.token(c, "Name"), span),
          clauses: this.clauses(this.node(c, "clauseBlock")),
          span,
        };
      case "guardrailDecl": {
        const name = this.ident(this.token(c, "Name"), span);
        const body: A.GuardrailStmt[] = [];
        for (const s of this.nodes(c, "guardStmt")) if (isNode(s)) body.push(this.guardStmt(s));
        return { kind: "guardrail", name, body, span };
      }
      case "cacheDecl":
        return { kind: "cache", name: this.ident(this.token(c, "Name"), span), body: this.cacheBody(this.node(c, "cacheBody")), span };
      case "routeDecl": {
        const name = this.ident(this.token(c, "Name"), span);
        const body: A.RouteStmt[] = [];
        for (const s of this.nodes(c, "routeStmt")) {
          const stmt = isNode(s) ? this.routeStmt(s) : undefined;
          if (stmt) body.push(stmt);
        }
        return { kind: "route", name, body, span };
      }
      case "defaultsDecl": {
        const name = this.ident(this.token(c, "Name"), span);
        const body: A.RouteStmt[] = [];
        for (const s of this.nodes(c, "routeStmt")) {
          const stmt = isNode(s) ? this.routeStmt(s) : undefined;
          if (stmt) body.push(stmt);
        }
        return { kind: "defaults", name, body, span };
      }
      case "invariantDecl": {
        const name = this.ident(this.token(c, "Name"), span);
        const body: A.InvariantStmt[] = [];
        for (const s of this.nodes(c, "invariantStmt")) {
          const stmt = isNode(s) ? this.invariantStmt(s) : undefined;
          if (stmt) body.push(stmt);
        }
        return { kind: "invariant", name, body, span };
      }
      case "testDecl": {
        const name = this.string(this.token(c, "StringLiteral"), span);
        const body: A.TestStmt[] = [];
        for (const s of this.nodes(c, "testStmt")) {
          const stmt = isNode(s) ? this.testStmt(s) : undefined;
          if (stmt) body.push(stmt);
        }
        return { kind: "test", name, body, span };
      }
      default:
        return undefined;
    }
  }

  private model(c: Children, span: Span): A.ModelDecl {
    const block = this.node(c, "modelBlock");
    const prices: A.PriceEntry[] = [];
    for (const e of block ? this.nodes(block.children, "priceEntry") : []) {
      if (!isNode(e)) continue;
      const es = this.span(e);
      prices.push({ kind: "price", name: this.string(this.token(e.children, "StringLiteral"), es), settings: this.settings(e.children), span: es });
    }
    return {
      kind: "model",
      name: this.ident(this.token(c, "name"), span),
      provider: this.ident(this.token(c, "provider"), span),
      upstream: this.string(this.token(c, "StringLiteral"), span),
      settings: block ? this.settings(block.children) : [],
      ...(prices.length > 0 ? { prices } : {}),
      span,
    };
  }

  private settingsBlock(node: CstNode | undefined): A.Setting[] {
    return node ? this.settings(node.children) : [];
  }

  private settings(c: Children): A.Setting[] {
    const out: A.Setting[] = [];
    for (const s of this.nodes(c, "setting")) if (isNode(s)) out.push(this.setting(s));
    return out;
  }

  private setting(node: CstNode): A.Setting {
    const span = this.span(node);
    return { kind: "setting", name: this.ident(this.token(node.children, "Name"), span), value: this.value(this.node(node.children, "value"), span), span };
  }

  // ---------------------------------------------------------------- budgets, limits

  private clauses(node: CstNode | undefined): A.BudgetClause[] {
    if (!node) return [];
    const out: A.BudgetClause[] = [];
    for (const clause of this.nodes(node.children, "clause")) {
      if (!isNode(clause)) continue;
      const c = clause.children;
      const kind = firstKey(c);
      if (kind === undefined) continue;
      const span = this.span(clause);
      switch (kind) {
        case "Kw_per": {
          const arg = this.token(c, "StringLiteral");
          const scope = this.ident(this.token(c, "Name"), span);
          out.push(arg === undefined ? { kind: "scope", scope, span } : { kind: "scope", scope, arg: this.string(arg, span), span });
          break;
        }
        case "measure": {
          const w = this.token(c, "window");
          // the window is decoded before the amount, as it always was: the order of their diagnostics
          const window: A.Window = w && w.tokenType.name === "QuantityLiteral" ? this.quantity(w) : this.ident(w, span);
          const measure = this.ident(this.token(c, "measure"), span);
          const table = this.node(c, "amountTable");
          if (table === undefined) {
            out.push({ kind: "amount", measure, amount: this.value(this.node(c, "value"), span), window, span });
            break;
          }
          const entries = this.amountEntries(table);
          const fallback = entries.find((e) => e.word?.name === "default");
          out.push({ kind: "amount", measure, amount: fallback?.amount ?? { kind: "ident", name: "", span }, window, table: entries, span });
          break;
        }
        case "Kw_when":
          out.push({ kind: "when", condition: this.expr(this.node(c, "expr"), span), span });
          break;
        case "Kw_warn":
          out.push({ kind: "warn", at: this.value(this.node(c, "value"), span), span });
          break;
        case "Kw_concurrent":
          out.push({ kind: "concurrent", count: this.value(this.node(c, "value"), span), span });
          break;
        case "Kw_exceeded": {
          const model = this.token(c, "model");
          const action = this.ident(this.token(c, "action"), span);
          out.push(model ? { kind: "exceeded", action, model: this.ident(model, span), span } : { kind: "exceeded", action, span });
          break;
        }
      }
    }
    return out;
  }

  private amountEntries(node: CstNode): A.AmountEntry[] {
    const out: A.AmountEntry[] = [];
    for (const e of this.nodes(node.children, "amountEntry")) {
      if (!isNode(e)) continue;
      const span = this.span(e);
      const entry = this.token(e.children, "entry");
      const amount = this.value(this.node(e.children, "value"), span);
      if (entry?.tokenType.name === "StringLiteral") out.push({ value: this.string(entry, span), amount, span });
      else out.push({ word: this.ident(entry, span), amount, span });
    }
    return out;
  }

  // ---------------------------------------------------------------- guardrails

  private guardStmt(node: CstNode): A.GuardrailStmt {
    const c = node.children;
    const span = this.span(node);
    const on = this.token(c, "Kw_on");
    if (on) return { kind: "on", target: this.ident(this.token(c, "Name"), span), span };
    if (this.token(c, "Kw_streams")) return { kind: "streams", value: this.ident(this.token(c, "streams"), span), span };
    if (this.token(c, "Kw_window")) return { kind: "window", size: this.value(this.node(c, "window"), span), span };
    const action = this.ident(this.token(c, "action"), span);
    if (this.token(c, "Kw_when")) return { kind: "when", action, condition: this.expr(this.node(c, "expr"), span), span };
    const detectors: A.Detector[] = [];
    for (const d of this.nodes(c, "detector")) if (isNode(d)) detectors.push(this.detector(d));
    return { kind: "detect", action, detectors, span };
  }

  private detector(node: CstNode): A.Detector {
    const c = node.children;
    const span = this.span(node);
    if (this.token(c, "Kw_matches")) return { kind: "pattern", regex: this.regex(this.token(c, "RegexLiteral"), span), span };
    const list = this.node(c, "list");
    if (this.token(c, "Kw_deny") && list) return { kind: "deny", words: this.list(list), span };
    return { kind: "builtin", name: this.ident(this.token(c, "Name") ?? this.token(c, "Kw_deny"), span), span };
  }

  // ---------------------------------------------------------------- caches

  private cacheBody(node: CstNode | undefined): A.CacheStmt[] {
    const out: A.CacheStmt[] = [];
    if (!node) return out;
    for (const s of this.nodes(node.children, "cacheStmt")) {
      if (!isNode(s)) continue;
      const span = this.span(s);
      const name = this.token(s.children, "setting");
      if (name) out.push({ kind: "setting", name: this.ident(name, span), value: this.value(this.node(s.children, "value"), span), span });
      else if (this.token(s.children, "Kw_when")) out.push({ kind: "when", condition: this.expr(this.node(s.children, "expr"), span), span });
    }
    return out;
  }

  // ---------------------------------------------------------------- routes

  /** A route statement: the leading keyword says which (parser.ts inlines the bodies). */
  private routeStmt(node: CstNode): A.RouteStmt | undefined {
    const c = node.children;
    const kind = firstKey(c);
    if (kind === undefined) return undefined;
    const span = this.span(node);
    switch (kind) {
      case "Kw_when":
        return { kind: "when", condition: this.expr(this.node(c, "expr"), span), span };
      case "Kw_to":
        return { kind: "to", target: this.ident(this.token(c, "Name"), span), span };
      case "Kw_split": {
        // arms before the fact: the order their literals were always decoded in
        const arms: A.SplitArm[] = [];
        for (const a of this.nodes(c, "splitArm")) {
          if (!isNode(a)) continue;
          const w = this.token(a.children, "QuantityLiteral");
          if (!w) continue;
          const as = this.span(a);
          arms.push({ weight: this.quantity(w), target: this.ident(this.token(a.children, "Name"), as), span: as });
        }
        const fact = this.node(c, "fact");
        if (this.token(c, "Kw_fastest")) return { kind: "split", fastest: true, arms, span };
        if (this.token(c, "Kw_cheapest")) return { kind: "split", cheapest: true, arms, span };
        return fact ? { kind: "split", by: this.fact(fact), arms, span } : { kind: "split", arms, span };
      }
      case "Kw_fallback": {
        const list = this.node(c, "nameList");
        const targets = list ? this.idents(list.children, "Name", span) : [];
        const on: A.Value[] = [];
        for (const v of this.nodes(c, "value")) if (isNode(v)) on.push(this.value(v, span));
        return { kind: "fallback", targets, on, span };
      }
      case "Kw_retry": {
        const count = this.value(this.node(c, "count"), span);
        const backoff = this.node(c, "backoff");
        return backoff ? { kind: "retry", count, backoff: this.value(backoff, span), span } : { kind: "retry", count, span };
      }
      case "Kw_timeout":
        return { kind: "timeout", duration: this.value(this.node(c, "value"), span), span };
      case "Kw_guard":
        return { kind: "guard", names: this.idents(c, "Name", span), span };
      case "Kw_budget":
        return { kind: "budget", names: this.idents(c, "Name", span), span };
      case "Kw_limit":
        return { kind: "limit", names: this.idents(c, "Name", span), span };
      case "Kw_cache": {
        const name = this.token(c, "cache");
        return name ? { kind: "cache", name: this.ident(name, span), span } : { kind: "cache", body: this.cacheBody(this.node(c, "cacheBody")), span };
      }
      case "Kw_health":
        return { kind: "health", name: this.ident(this.token(c, "Name"), span), span };
      case "Kw_reject": {
        const status = this.value(this.node(c, "status"), span);
        const message = this.token(c, "StringLiteral");
        return message ? { kind: "reject", status, message: this.string(message, span), span } : { kind: "reject", status, span };
      }
      case "Kw_set":
      case "Kw_default":
      case "Kw_cap": {
        const verb = kind === "Kw_set" ? "set" : kind === "Kw_default" ? "default" : "cap";
        return { kind: "shape", verb, param: this.ident(this.token(c, "param"), span), value: this.value(this.node(c, "shapeValue"), span), span };
      }
      case "Kw_upstream_header":
        return { kind: "upstream_header", name: this.string(this.token(c, "headerName"), span), value: this.string(this.token(c, "headerValue"), span), span };
      case "Kw_use":
        return { kind: "use", names: this.idents(c, "Name", span), span };
      case "Kw_max_latency":
      case "Kw_max_cost":
        return { kind: "setting", name: this.ident(this.token(c, kind), span), value: this.value(this.node(c, "value"), span), span };
      default:
        return undefined;
    }
  }

  /** `when …` or `require WHAT [names]`: the leading keyword says which. */
  private invariantStmt(node: CstNode): A.InvariantStmt | undefined {
    const c = node.children;
    const span = this.span(node);
    if (this.token(c, "Kw_when")) return { kind: "when", condition: this.expr(this.node(c, "expr"), span), span };
    if (!this.token(c, "Kw_require")) return undefined;
    const word = this.token(c, "Kw_guard") ?? this.token(c, "Kw_residency") ?? this.token(c, "what");
    const list = this.node(c, "nameList");
    return { kind: "require", what: this.ident(word, span), names: list ? this.idents(list.children, "Name", span) : [], span };
  }

  // ---------------------------------------------------------------- expressions

  /** A missing expression: an unnamed fact, so a broken file still has an AST. */
  private missingExpr(span: Span): A.Expr {
    return { kind: "truthy", fact: { kind: "fact", name: { kind: "ident", name: "", span }, span }, span };
  }

  /**
   * `a or b and c`: the parser reads operands and operators in one run
   * (parser.ts `expr`); `and` binds tighter, and both associate to the left.
   */
  private expr(node: CstNode | undefined, fallback: Span): A.Expr {
    if (!node) return this.missingExpr(fallback);
    const operands = this.nodes(node.children, "notExpr");
    const ops = this.nodes(node.children, "op");
    const first = operands[0];
    if (!isNode(first)) return this.missingExpr(fallback);
    let or: A.Expr | undefined;
    let and = this.notExpr(first, fallback);
    for (let i = 0; i < ops.length; i++) {
      const operand = operands[i + 1];
      if (!isNode(operand)) break;
      const right = this.notExpr(operand, fallback);
      const op = ops[i]!;
      if (!isNode(op) && op.tokenType === And) {
        and = { kind: "and", left: and, right, span: joinSpan(and.span, right.span) };
      } else {
        or = or ? { kind: "or", left: or, right: and, span: joinSpan(or.span, and.span) } : and;
        and = right;
      }
    }
    return or ? { kind: "or", left: or, right: and, span: joinSpan(or.span, and.span) } : and;
  }

  private notExpr(node: CstNode, fallback: Span): A.Expr {
    const c = node.children;
    if (this.token(c, "Kw_not")) {
      const span = this.span(node);
      const inner = this.node(c, "notExpr");
      return { kind: "not", operand: inner ? this.notExpr(inner, span) : this.missingExpr(span), span };
    }
    if (this.token(c, "LParen")) {
      const span = this.span(node);
      return { kind: "paren", inner: this.expr(this.node(c, "expr"), span), span };
    }
    const factNode = this.node(c, "fact");
    return factNode ? this.condition(node, factNode) : this.missingExpr(fallback);
  }

  /** A condition on a fact; parser.ts inlines it into `notExpr`. */
  private condition(node: CstNode, factNode: CstNode): A.Expr {
    const c = node.children;
    const span = this.span(node);
    const fact = this.fact(factNode);
    const op = this.token(c, "op");
    if (op) return { kind: "compare", op: op.image as A.CompareOp, fact, value: this.value(this.node(c, "value"), span), span };
    if (this.token(c, "Kw_in")) {
      const list = this.node(c, "list");
      return { kind: "in", fact, list: list ? this.list(list) : { kind: "list", items: [], span }, span };
    }
    if (this.token(c, "Kw_matches")) return { kind: "matches", fact, regex: this.regex(this.token(c, "RegexLiteral"), span), span };
    return { kind: "truthy", fact, span };
  }

  private fact(node: CstNode): A.FactRef {
    const span = this.span(node);
    const arg = this.token(node.children, "StringLiteral");
    const name = this.ident(this.token(node.children, "Name"), span);
    return arg ? { kind: "fact", name, arg: this.string(arg, span), span } : { kind: "fact", name, span };
  }

  // ---------------------------------------------------------------- values

  value(node: CstNode | undefined, fallback: Span): A.Value {
    if (!node) return { kind: "ident", name: "", span: fallback };
    const c = node.children;
    const str = this.token(c, "StringLiteral");
    if (str) return this.string(str, fallback);
    const q = this.token(c, "QuantityLiteral");
    if (q) return this.quantity(q);
    const t = this.token(c, "True") ?? this.token(c, "False");
    if (t) return { kind: "bool", value: t.image === "true", span: this.tokSpan(t) };
    const list = this.node(c, "list");
    if (list) return this.list(list);
    const span = this.span(node);
    const name = this.token(c, "Name");
    if (name) {
      // a name, or a call when it has parentheses (inlined into `value` by parser.ts)
      const callee = this.ident(name, span);
      if (!this.token(c, "LParen")) return callee;
      const args: A.Value[] = [];
      for (const v of this.nodes(c, "value")) if (isNode(v)) args.push(this.value(v, span));
      return { kind: "call", callee, args, span };
    }
    return { kind: "ident", name: "", span };
  }

  private list(node: CstNode): A.ListLit {
    const span = this.span(node);
    const items: A.Value[] = [];
    for (const v of this.nodes(node.children, "value")) if (isNode(v)) items.push(this.value(v, span));
    return { kind: "list", items, span };
  }

  // ---------------------------------------------------------------- tests

  /** A test statement: the leading keyword says which (parser.ts inlines the bodies). */
  private testStmt(node: CstNode): A.TestStmt | undefined {
    const c = node.children;
    const kind = firstKey(c);
    if (kind === undefined) return undefined;
    const span = this.span(node);
    if (kind === "Kw_request") {
      const facts: A.RequestFact[] = [];
      for (const f of this.nodes(c, "requestFact")) {
        if (!isNode(f)) continue;
        const fs = this.span(f);
        const name = this.ident(this.token(f.children, "Name"), fs);
        const args: A.Value[] = [];
        for (const l of this.nodes(f.children, "literal")) if (isNode(l)) args.push(this.value(l, fs));
        facts.push({ name, args, span: fs });
      }
      return { kind: "request", facts, span };
    }
    if (kind === "Kw_given") {
      const given = this.given(c, span);
      return given ? { kind: "given", given, span } : undefined;
    }
    if (kind === "Kw_expect") {
      const expect = this.expect(c, span);
      return expect ? { kind: "expect", expect, span } : undefined;
    }
    return undefined;
  }

  private given(c: Children, span: Span): A.Given | undefined {
    const value = this.node(c, "value");
    if (this.token(c, "Kw_hit")) return { kind: "cache-hit", span };
    if (this.token(c, "Kw_picks")) return { kind: "split-picks", target: this.ident(this.token(c, "target"), span), span };
    if (this.token(c, "Kw_spent")) return { kind: "budget-spent", budget: this.ident(this.token(c, "budget"), span), amount: this.value(value, span), span };
    if (this.token(c, "Kw_used")) return { kind: "limit-used", limit: this.ident(this.token(c, "limit"), span), amount: this.value(value, span), span };
    if (this.token(c, "Kw_fails")) {
      const retryAfter = this.node(c, "retryAfter");
      const g: A.Given = { kind: "fails", target: this.ident(this.token(c, "failing"), span), reason: this.value(value, span), span };
      if (this.token(c, "Kw_once")) g.once = true;
      if (retryAfter) g.retryAfter = this.value(retryAfter, span);
      return g;
    }
    if (this.token(c, "Kw_answers") ?? this.token(c, "Kw_replies")) {
      const g: A.Given = { kind: "answers", target: this.ident(this.token(c, "failing"), span), text: this.string(this.token(c, "answer"), span), span };
      const chunks = this.node(c, "chunkSize");
      if (chunks) g.chunks = this.value(chunks, span);
      return g;
    }
    if (this.token(c, "Kw_ejected")) return { kind: "ejected", target: this.ident(this.token(c, "failing"), span), span };
    if (this.token(c, "Kw_failures")) {
      const of = this.node(c, "of");
      return { kind: "failures", target: this.ident(this.token(c, "failing"), span), failures: this.value(this.node(c, "failures"), span), of: this.value(of, span), span };
    }
    if (this.token(c, "Kw_latency")) return { kind: "latency", target: this.ident(this.token(c, "failing"), span), latency: this.value(this.node(c, "latency"), span), span };
    return undefined;
  }

  /** The names in a `[a, b]` of an expectation. */
  private bracketNames(c: Children, key: string, span: Span): A.Ident[] {
    const n = this.node(c, key);
    return n ? this.idents(n.children, "Name", span) : [];
  }

  private expect(c: Children, span: Span): A.Expect | undefined {
    if (this.token(c, "Kw_output")) {
      if (this.token(c, "Kw_redacted")) return { kind: "output-redacted", text: this.string(this.token(c, "outputText"), span), span };
      if (this.token(c, "blocked")) return { kind: "output-blocked", guardrail: this.ident(this.token(c, "blocked"), span), span };
      if (this.token(c, "flagged")) return { kind: "output-flagged", guardrail: this.ident(this.token(c, "flagged"), span), span };
    }
    if (this.token(c, "noRoute")) return { kind: "no-route", span };
    if (this.token(c, "route")) return { kind: "route", route: this.ident(this.token(c, "route"), span), span };
    if (this.node(c, "targetIn")) return { kind: "target-in", targets: this.bracketNames(c, "targetIn", span), span };
    if (this.token(c, "target")) return { kind: "target", target: this.ident(this.token(c, "target"), span), span };
    if (this.node(c, "attempts")) return { kind: "attempts", targets: this.bracketNames(c, "attempts", span), span };
    if (this.node(c, "retries")) return { kind: "retries", count: this.value(this.node(c, "retries"), span), span };
    if (this.token(c, "blocked")) return { kind: "blocked", guardrail: this.ident(this.token(c, "blocked"), span), span };
    if (this.token(c, "flagged")) return { kind: "flagged", guardrail: this.ident(this.token(c, "flagged"), span), span };
    if (this.token(c, "Kw_rejected")) {
      const by = this.token(c, "by");
      return by ? { kind: "rejected", by: this.ident(by, span), span } : { kind: "rejected", span };
    }
    if (this.token(c, "Kw_warned")) return { kind: "warned", budget: this.ident(this.token(c, "by"), span), span };
    if (this.token(c, "cacheResult")) return { kind: "cache", result: this.ident(this.token(c, "cacheResult"), span), span };
    if (this.node(c, "status")) return { kind: "status", status: this.value(this.node(c, "status"), span), span };
    if (this.token(c, "Kw_cost")) {
      const op = this.token(c, "costOp")?.image as "==" | "<" | "<=" | ">" | ">=" | undefined;
      const amount = this.value(this.node(c, "cost"), span);
      return op ? { kind: "cost", op, amount, span } : { kind: "cost", amount, span };
    }
    if (this.token(c, "Kw_shaped")) return { kind: "shaped", param: this.ident(this.token(c, "shapedParam"), span), value: this.value(this.node(c, "shapedValue"), span), span };
    if (this.token(c, "Kw_redacted")) return { kind: "redacted", text: this.string(this.token(c, "StringLiteral"), span), span };
    if (this.token(c, "expectWord")) {
      return { kind: "header", word: this.ident(this.token(c, "expectWord"), span), name: this.string(this.token(c, "headerName"), span), value: this.string(this.token(c, "headerValue"), span), span };
    }
    return undefined;
  }
}

const NONE: readonly CstElement[] = [];

function joinSpan(a: Span, b: Span): Span {
  return { ...a, endLine: b.endLine, endColumn: b.endColumn, endOffset: b.endOffset };
}
