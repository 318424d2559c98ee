/**
 * Builds the AST from chevrotain's CST. The CST may have holes where the
 * parser recovered from errors (already reported); every accessor here is
 * total, so a broken file still yields an AST with everything that could be
 * read. Literal meaning (escapes, units) is decoded here, with diagnostics.
 */
import type { CstElement, CstNode, IToken } from "chevrotain";
import type * as A from "./ast.js";
import type { Diagnostic } from "./diagnostics.js";
import { decodeQuantity, decodeString } from "./literals.js";
import type { LineMap } from "./line-map.js";
import type { Span } from "./span.js";

type Children = Record<string, CstElement[] | undefined>;

function isNode(e: CstElement | undefined): e is CstNode {
  return !!e && "children" in e;
}

/** The single sub-rule node of an alternation rule such as `declaration` or `routeStmt`. */
function onlyChild(node: CstNode): CstNode | undefined {
  for (const key in node.children) {
    const first = node.children[key]?.[0];
    return isNode(first) ? first : undefined;
  }
  return undefined;
}

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
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

  // These run for every CST node, so they avoid allocating on the common paths.
  private tokens(c: Children, key: string): IToken[] {
    const list = c[key];
    if (!list) return [];
    const out: IToken[] = [];
    for (const e of list) if (!isNode(e) && !e.isInsertedInRecovery) out.push(e);
    return out;
  }

  private token(c: Children, key: string): IToken | undefined {
    const list = c[key];
    if (!list) return undefined;
    for (const e of list) if (!isNode(e) && !e.isInsertedInRecovery) return e;
    return undefined;
  }

  private nodes(c: Children, key: string): CstNode[] {
    const list = c[key];
    if (!list) return [];
    const out: CstNode[] = [];
    for (const e of list) if (isNode(e)) out.push(e);
    return out;
  }

  private node(c: Children, key: string): CstNode | undefined {
    const list = c[key];
    if (!list) return undefined;
    for (const e of list) if (isNode(e)) return e;
    return undefined;
  }

  private ident(t: IToken | undefined, fallback: Span): A.Ident {
    return t ? { kind: "ident", name: t.image, span: this.tokSpan(t) } : { kind: "ident", name: "", span: fallback };
  }

  private string(t: IToken | undefined, fallback: Span): A.StringLit {
    if (!t) return { kind: "string", value: "", span: fallback };
    const span = this.tokSpan(t);
    return { kind: "string", value: decodeString(t.image, span, this.diagnostics), span };
  }

  private quantity(t: IToken): A.Quantity {
    const span = this.tokSpan(t);
    const { unit, value } = decodeQuantity(t.image, span, this.diagnostics);
    return { kind: "quantity", unit, value, raw: t.image, span };
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
      const decl = this.declaration(d);
      if (decl) declarations.push(decl);
    }
    return { kind: "file", path: this.lines.file, declarations, comments: [], span: this.lines.span(0, this.lines.text.length) };
  }

  private declaration(node: CstNode): A.Declaration | undefined {
    const inner = onlyChild(node);
    if (!inner) return undefined;
    switch (inner.name) {
      case "importDecl":
        return { kind: "import", path: this.string(this.token(inner.children, "StringLiteral"), this.span(inner)), span: this.span(inner) };
      case "gatewayDecl":
        return { kind: "gateway", settings: this.settingsBlock(this.node(inner.children, "settingsBlock")), span: this.span(inner) };
      case "providerDecl":
        return {
          kind: "provider",
          name: this.ident(this.token(inner.children, "Name"), this.span(inner)),
          settings: this.settingsBlock(this.node(inner.children, "settingsBlock")),
          span: this.span(inner),
        };
      case "modelDecl":
        return this.model(inner);
      case "keysDecl":
        return {
          kind: "keys",
          entries: this.nodes(inner.children, "keyEntry").map((e) => ({
            kind: "key" as const,
            hash: this.string(this.token(e.children, "StringLiteral"), this.span(e)),
            labels: this.nodes(e.children, "setting").map((s) => this.setting(s)),
            span: this.span(e),
          })),
          span: this.span(inner),
        };
      case "budgetDecl":
      case "limitDecl":
        return {
          kind: inner.name === "budgetDecl" ? "budget" : "limit",
          name: this.ident(this.token(inner.children, "Name"), this.span(inner)),
          clauses: this.clauses(this.node(inner.children, "clauseBlock")),
          span: this.span(inner),
        };
      case "guardrailDecl":
        return {
          kind: "guardrail",
          name: this.ident(this.token(inner.children, "Name"), this.span(inner)),
          body: this.nodes(inner.children, "guardStmt").map((s) => this.guardStmt(s)),
          span: this.span(inner),
        };
      case "routeDecl":
        return {
          kind: "route",
          name: this.ident(this.token(inner.children, "Name"), this.span(inner)),
          body: this.nodes(inner.children, "routeStmt").flatMap((s) => this.routeStmt(s) ?? []),
          span: this.span(inner),
        };
      case "testDecl":
        return {
          kind: "test",
          name: this.string(this.token(inner.children, "StringLiteral"), this.span(inner)),
          body: this.nodes(inner.children, "testStmt").flatMap((s) => this.testStmt(s) ?? []),
          span: this.span(inner),
        };
      default:
        return undefined;
    }
  }

  private model(node: CstNode): A.ModelDecl {
    const span = this.span(node);
    const block = this.node(node.children, "settingsBlock");
    return {
      kind: "model",
      name: this.ident(this.token(node.children, "name"), span),
      provider: this.ident(this.token(node.children, "provider"), span),
      upstream: this.string(this.token(node.children, "StringLiteral"), span),
      settings: block ? this.settingsBlock(block) : [],
      span,
    };
  }

  private settingsBlock(node: CstNode | undefined): A.Setting[] {
    return node ? this.nodes(node.children, "setting").map((s) => this.setting(s)) : [];
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
      const c = onlyChild(clause);
      if (!c) continue;
      const span = this.span(c);
      switch (c.name) {
        case "scopeClause":
          out.push({ kind: "scope", scope: this.ident(this.token(c.children, "Name"), span), span });
          break;
        case "amountClause": {
          const w = this.token(c.children, "window");
          const window: A.Window = w && w.tokenType.name === "QuantityLiteral" ? this.quantity(w) : this.ident(w, span);
          out.push({
            kind: "amount",
            measure: this.ident(this.token(c.children, "measure"), span),
            amount: this.value(this.node(c.children, "value"), span),
            window,
            span,
          });
          break;
        }
        case "warnClause":
          out.push({ kind: "warn", at: this.value(this.node(c.children, "value"), span), span });
          break;
        case "exceededClause": {
          const model = this.token(c.children, "model");
          out.push({
            kind: "exceeded",
            action: this.ident(this.token(c.children, "action"), span),
            ...(model ? { model: this.ident(model, span) } : {}),
            span,
          });
          break;
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- guardrails

  private guardStmt(node: CstNode): A.GuardrailStmt {
    const c = node.children;
    const span = this.span(node);
    const on = this.token(c, "Kw_on");
    if (on) return { kind: "on", target: this.ident(this.token(c, "Name"), span), span };
    const actionNode = this.node(c, "guardAction");
    const actionTok = actionNode ? Object.values(actionNode.children).flat().find((e): e is IToken => !isNode(e)) : undefined;
    const action = this.ident(actionTok, span);
    if (this.token(c, "Kw_when")) return { kind: "when", action, condition: this.expr(this.node(c, "expr"), span), span };
    const detectors: A.Detector[] = this.nodes(c, "detector").map((d) => {
      const ds = this.span(d);
      if (this.token(d.children, "Kw_matches")) return { kind: "pattern", regex: this.regex(this.token(d.children, "RegexLiteral"), ds), span: ds };
      const list = this.node(d.children, "list");
      if (this.token(d.children, "Kw_deny") && list) return { kind: "deny", words: this.list(list), span: ds };
      return { kind: "builtin", name: this.ident(this.token(d.children, "Name") ?? this.token(d.children, "Kw_deny"), ds), span: ds };
    });
    return { kind: "detect", action, detectors, span };
  }

  // ---------------------------------------------------------------- routes

  private routeStmt(node: CstNode): A.RouteStmt | undefined {
    const s = onlyChild(node);
    if (!s) return undefined;
    const c = s.children;
    const span = this.span(s);
    switch (s.name) {
      case "whenStmt":
        return { kind: "when", condition: this.expr(this.node(c, "expr"), span), span };
      case "toStmt":
        return { kind: "to", target: this.ident(this.token(c, "Name"), span), span };
      case "splitStmt": {
        const fact = this.node(c, "fact");
        const arms: A.SplitArm[] = this.nodes(c, "splitArm").flatMap((a) => {
          const w = this.token(a.children, "QuantityLiteral");
          if (!w) return [];
          return [{ weight: this.quantity(w), target: this.ident(this.token(a.children, "Name"), this.span(a)), span: this.span(a) }];
        });
        return { kind: "split", ...(fact ? { by: this.fact(fact) } : {}), arms, span };
      }
      case "fallbackStmt":
        return {
          kind: "fallback",
          targets: this.nameList(this.node(c, "nameList"), span),
          on: this.nodes(c, "value").map((v) => this.value(v, span)),
          span,
        };
      case "retryStmt": {
        const backoff = this.node(c, "backoff");
        return { kind: "retry", count: this.value(this.node(c, "count"), span), ...(backoff ? { backoff: this.value(backoff, span) } : {}), span };
      }
      case "timeoutStmt":
        return { kind: "timeout", duration: this.value(this.node(c, "value"), span), span };
      case "guardStmtRef":
        return { kind: "guard", names: this.nameList(this.node(c, "nameList"), span), span };
      case "budgetStmtRef":
        return { kind: "budget", names: this.nameList(this.node(c, "nameList"), span), span };
      case "limitStmtRef":
        return { kind: "limit", names: this.nameList(this.node(c, "nameList"), span), span };
      default:
        return undefined;
    }
  }

  private nameList(node: CstNode | undefined, fallback: Span): A.Ident[] {
    return node ? this.tokens(node.children, "Name").map((t) => this.ident(t, fallback)) : [];
  }

  // ---------------------------------------------------------------- expressions

  private expr(node: CstNode | undefined, fallback: Span): A.Expr {
    if (!node) return { kind: "truthy", fact: { kind: "fact", name: { kind: "ident", name: "", span: fallback }, span: fallback }, span: fallback };
    const parts = this.nodes(node.children, "andExpr").map((a) => this.andExpr(a, fallback));
    return parts.reduce((left, right) => ({ kind: "or", left, right, span: joinSpan(left.span, right.span) }));
  }

  private andExpr(node: CstNode, fallback: Span): A.Expr {
    const parts = this.nodes(node.children, "notExpr").map((n) => this.notExpr(n, fallback));
    if (parts.length === 0) return this.expr(undefined, this.span(node));
    return parts.reduce((left, right) => ({ kind: "and", left, right, span: joinSpan(left.span, right.span) }));
  }

  private notExpr(node: CstNode, fallback: Span): A.Expr {
    const c = node.children;
    const span = this.span(node);
    if (this.token(c, "Kw_not")) {
      const inner = this.node(c, "notExpr");
      return { kind: "not", operand: inner ? this.notExpr(inner, span) : this.expr(undefined, span), span };
    }
    if (this.token(c, "LParen")) return { kind: "paren", inner: this.expr(this.node(c, "expr"), span), span };
    const cond = this.node(c, "condition");
    return cond ? this.condition(cond) : this.expr(undefined, fallback);
  }

  private condition(node: CstNode): A.Expr {
    const c = node.children;
    const span = this.span(node);
    const factNode = this.node(c, "fact");
    const fact: A.FactRef = factNode ? this.fact(factNode) : { kind: "fact", name: this.ident(undefined, span), span };
    const op = this.node(c, "compareOp");
    if (op) {
      const opTok = Object.values(op.children).flat().find((e): e is IToken => !isNode(e));
      return { kind: "compare", op: (opTok?.image ?? "==") as A.CompareOp, fact, value: this.value(this.node(c, "value"), span), span };
    }
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
    return { kind: "fact", name: this.ident(this.token(node.children, "Name"), span), ...(arg ? { arg: this.string(arg, span) } : {}), span };
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
    const call = this.node(c, "nameOrCall");
    if (call) {
      const span = this.span(call);
      const callee = this.ident(this.token(call.children, "Name"), span);
      if (!this.token(call.children, "LParen")) return callee;
      return { kind: "call", callee, args: this.nodes(call.children, "value").map((v) => this.value(v, span)), span };
    }
    return { kind: "ident", name: "", span: this.span(node) };
  }

  private list(node: CstNode): A.ListLit {
    const span = this.span(node);
    return { kind: "list", items: this.nodes(node.children, "value").map((v) => this.value(v, span)), span };
  }

  // ---------------------------------------------------------------- tests

  private testStmt(node: CstNode): A.TestStmt | undefined {
    const s = onlyChild(node);
    if (!s) return undefined;
    const c = s.children;
    const span = this.span(s);
    if (s.name === "requestBlock") {
      const facts: A.RequestFact[] = this.nodes(c, "requestFact").map((f) => ({
        name: this.ident(this.token(f.children, "Name"), this.span(f)),
        args: this.nodes(f.children, "literal").map((l) => this.value(l, this.span(f))),
        span: this.span(f),
      }));
      return { kind: "request", facts, span };
    }
    if (s.name === "givenStmt") {
      const given = this.given(s, span);
      return given ? { kind: "given", given, span } : undefined;
    }
    if (s.name === "expectStmt") {
      const expect = this.expect(s, span);
      return expect ? { kind: "expect", expect, span } : undefined;
    }
    return undefined;
  }

  private given(node: CstNode, span: Span): A.Given | undefined {
    const c = node.children;
    const value = this.node(c, "value");
    if (this.token(c, "Kw_picks")) return { kind: "split-picks", target: this.ident(this.token(c, "target"), span), span };
    if (this.token(c, "Kw_spent")) return { kind: "budget-spent", budget: this.ident(this.token(c, "budget"), span), amount: this.value(value, span), span };
    if (this.token(c, "Kw_used")) return { kind: "limit-used", limit: this.ident(this.token(c, "limit"), span), amount: this.value(value, span), span };
    if (this.token(c, "Kw_fails")) return { kind: "fails", target: this.ident(this.token(c, "failing"), span), reason: this.value(value, span), span };
    return undefined;
  }

  private expect(node: CstNode, span: Span): A.Expect | undefined {
    const c = node.children;
    const names = (key: string) => {
      const n = this.node(c, key);
      return n ? this.tokens(n.children, "Name").map((t) => this.ident(t, span)) : [];
    };
    if (this.token(c, "noRoute")) return { kind: "no-route", span };
    if (this.token(c, "route")) return { kind: "route", route: this.ident(this.token(c, "route"), span), span };
    if (this.node(c, "targetIn")) return { kind: "target-in", targets: names("targetIn"), span };
    if (this.token(c, "target")) return { kind: "target", target: this.ident(this.token(c, "target"), span), span };
    if (this.node(c, "attempts")) return { kind: "attempts", targets: names("attempts"), span };
    if (this.node(c, "retries")) return { kind: "retries", count: this.value(this.node(c, "retries"), span), span };
    if (this.token(c, "blocked")) return { kind: "blocked", guardrail: this.ident(this.token(c, "blocked"), span), span };
    if (this.token(c, "flagged")) return { kind: "flagged", guardrail: this.ident(this.token(c, "flagged"), span), span };
    if (this.node(c, "status")) return { kind: "status", status: this.value(this.node(c, "status"), span), span };
    if (this.token(c, "Kw_redacted")) return { kind: "redacted", text: this.string(this.token(c, "StringLiteral"), span), span };
    return undefined;
  }
}

function joinSpan(a: Span, b: Span): Span {
  return { ...a, endLine: b.endLine, endColumn: b.endColumn, endOffset: b.endOffset };
}
