/**
 * The grammar of `.route` files as a chevrotain CST parser. This file holds
 * the shape of the language only; meaning (units, escapes, the AST) is built
 * from the CST in cst-to-ast.ts. The grammar mirrors lang/SPEC.md section 2.
 *
 * Error recovery is on: one run records every syntax error it can, and the
 * CST it returns may have holes that the AST builder tolerates.
 *
 * Parse time goes mostly into CST nodes (one per rule invocation, and the
 * garbage they leave), so the grammar has no rule whose only job is to
 * choose: a statement's or clause's body is inlined into `routeStmt`,
 * `testStmt`, `clause` and `guardStmt`, a condition into `notExpr`, a call
 * into `value`; `and` and `or` share one repetition. A body is inlined only
 * where it ends its alternative (or cannot fail): there chevrotain's resync
 * sets are the same with or without the rule, so errors and recovery stay as
 * they were (the `and`/`or` merge keeps their union the same). Per-item
 * wrappers (`declaration`, `routeStmt`, …) stay, because chevrotain groups a
 * node's children by name and the order between different kinds would be
 * lost. The message tables in parse-errors.ts are keyed by these rule names.
 */
import { CstParser, type CstNode, type IOrAlt, type IRecognitionException, type IToken, type OrMethodOpts } from "chevrotain";
import { errorMessages } from "./parse-errors.js";
import * as T from "./tokens.js";

/** The parts of chevrotain's CST builder that `cstInvocationStateUpdate` below uses (internal, so not in its typings). */
interface CstBuilderInternals {
  CST_STACK: CstNode[];
  setInitialNodeLocation(node: CstNode): void;
}

class RouteParser extends CstParser {
  /**
   * Each alternation's alternatives, built on its first call: written inline,
   * `OR` would get a fresh array of fresh closures on every call (chevrotain's
   * performance guide advises this caching). Keyed by rule and `OR` number.
   */
  private readonly alts: Record<string, IOrAlt<unknown>[] | OrMethodOpts<unknown>> = {};

  constructor(recoveryEnabled: boolean) {
    super(T.allTokens, { recoveryEnabled, maxLookahead: 4, nodeLocationTracking: "onlyOffset", errorMessageProvider: errorMessages });
    this.performSelfAnalysis();
  }

  /**
   * Opens a CST node: chevrotain's own hook (internal, 11.x), unchanged but
   * for `children`, which chevrotain makes with `Object.create(null)`. V8
   * keeps such an object in dictionary mode, slow to fill and large to
   * collect; with a plain object (and `location` declared up front) the CST
   * parse takes about a third less time. Only cst-to-ast.ts reads children,
   * by the names of rules, tokens and labels, none of which is a property of
   * `Object.prototype`. Should a chevrotain release rename the hook, parsing
   * stays correct, only slower; test/lang/parser-cst.test.ts notices.
   */
  protected cstInvocationStateUpdate(fullRuleName: string): void {
    const self = this as unknown as CstBuilderInternals;
    // `location` is declared here, before chevrotain sets it, so it lives in the object itself
    const node: CstNode = { name: fullRuleName, children: {}, location: undefined };
    self.setInitialNodeLocation(node);
    self.CST_STACK.push(node);
  }

  policy = this.RULE("policy", () => {
    this.MANY(() => this.SUBRULE(this.declaration));
  });

  declaration = this.RULE("declaration", () => {
    this.OR((this.alts.declaration ??= [
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.gatewayDecl) },
      { ALT: () => this.SUBRULE(this.providerDecl) },
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.keysDecl) },
      { ALT: () => this.SUBRULE(this.budgetDecl) },
      { ALT: () => this.SUBRULE(this.limitDecl) },
      { ALT: () => this.SUBRULE(this.guardrailDecl) },
      { ALT: () => this.SUBRULE(this.cacheDecl) },
      { ALT: () => this.SUBRULE(this.healthDecl) },
      { ALT: () => this.SUBRULE(this.jwtDecl) },
      { ALT: () => this.SUBRULE(this.routeDecl) },
      { ALT: () => this.SUBRULE(this.defaultsDecl) },
      { ALT: () => this.SUBRULE(this.invariantDecl) },
      { ALT: () => this.SUBRULE(this.testDecl) },
    ]));
  });

  importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral);
  });

  gatewayDecl = this.RULE("gatewayDecl", () => {
    this.CONSUME(T.Gateway);
    this.SUBRULE(this.settingsBlock);
  });

  providerDecl = this.RULE("providerDecl", () => {
    this.CONSUME(T.Provider);
    this.CONSUME(T.Name);
    this.SUBRULE(this.settingsBlock);
  });

  modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Name, { LABEL: "name" });
    this.CONSUME(T.Assign);
    this.CONSUME2(T.Name, { LABEL: "provider" });
    this.CONSUME(T.Slash);
    this.CONSUME(T.StringLiteral);
    this.OPTION(() => this.SUBRULE(this.modelBlock));
  });

  /** A model's settings, then (for a wildcard model, `provider/"*"`) its price table: one entry per upstream name. */
  modelBlock = this.RULE("modelBlock", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.OR([{ ALT: () => this.SUBRULE(this.setting) }, { ALT: () => this.SUBRULE(this.priceEntry) }]));
    this.CONSUME(T.RBrace);
  });

  priceEntry = this.RULE("priceEntry", () => {
    this.CONSUME(T.StringLiteral);
    this.MANY(() => this.SUBRULE(this.setting));
  });

  settingsBlock = this.RULE("settingsBlock", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.setting));
    this.CONSUME(T.RBrace);
  });

  setting = this.RULE("setting", () => {
    this.CONSUME(T.Name);
    this.SUBRULE(this.value);
  });

  healthDecl = this.RULE("healthDecl", () => {
    this.CONSUME(T.Health);
    this.CONSUME(T.Name);
    this.SUBRULE(this.settingsBlock);
  });

  jwtDecl = this.RULE("jwtDecl", () => {
    this.CONSUME(T.Jwt);
    this.CONSUME(T.Name);
    this.SUBRULE(this.settingsBlock);
  });

  keysDecl = this.RULE("keysDecl", () => {
    this.CONSUME(T.Keys);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.keyEntry));
    this.CONSUME(T.RBrace);
  });

  keyEntry = this.RULE("keyEntry", () => {
    this.CONSUME(T.StringLiteral);
    this.MANY(() => this.SUBRULE(this.setting));
  });

  budgetDecl = this.RULE("budgetDecl", () => {
    this.CONSUME(T.Budget);
    this.CONSUME(T.Name);
    this.SUBRULE(this.clauseBlock);
  });

  limitDecl = this.RULE("limitDecl", () => {
    this.CONSUME(T.Limit);
    this.CONSUME(T.Name);
    this.SUBRULE(this.clauseBlock);
  });

  clauseBlock = this.RULE("clauseBlock", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.clause));
    this.CONSUME(T.RBrace);
  });

  /** One budget or limit clause, its body inlined (one CST node per clause). */
  clause = this.RULE("clause", () => {
    this.OR((this.alts.clause ??= [
      {
        ALT: () => {
          this.CONSUME(T.Per);
          this.CONSUME(T.Name);
          this.OPTION(() => {
            this.CONSUME(T.LParen);
            this.CONSUME(T.StringLiteral);
            this.CONSUME(T.RParen);
          });
        },
      },
      {
        ALT: () => {
          this.OR2((this.alts.clause2 ??= [
            { ALT: () => this.CONSUME(T.Limit, { LABEL: "measure" }) },
            { ALT: () => this.CONSUME(T.Tokens, { LABEL: "measure" }) },
            { ALT: () => this.CONSUME(T.Requests, { LABEL: "measure" }) },
          ]));
          // `limit $200 per day`, or a table of amounts per scope value: `limit per month { "research" $500  default $100 }`
          this.OR5((this.alts.clause5 ??= [
            {
              ALT: () => {
                this.CONSUME3(T.Per);
                this.OR6((this.alts.clause6 ??= [
                  { ALT: () => this.CONSUME4(T.Name, { LABEL: "window" }) },
                  { ALT: () => this.CONSUME2(T.QuantityLiteral, { LABEL: "window" }) },
                ]));
                this.SUBRULE(this.amountTable);
              },
            },
            {
              ALT: () => {
                this.SUBRULE(this.value);
                this.CONSUME2(T.Per);
                this.OR3((this.alts.clause3 ??= [
                  { ALT: () => this.CONSUME2(T.Name, { LABEL: "window" }) },
                  { ALT: () => this.CONSUME(T.QuantityLiteral, { LABEL: "window" }) },
                ]));
              },
            },
          ]));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.When);
          this.SUBRULE(this.expr);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Warn);
          this.SUBRULE2(this.value);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Concurrent);
          this.SUBRULE3(this.value);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Exceeded);
          this.OR4((this.alts.clause4 ??= [
            { ALT: () => this.CONSUME(T.Reject, { LABEL: "action" }) },
            {
              ALT: () => {
                this.CONSUME(T.Downgrade, { LABEL: "action" });
                this.CONSUME3(T.Name, { LABEL: "model" });
              },
            },
          ]));
        },
      },
    ]));
  });

  /** `{ "research" $500  "search" $200  default $100 }`: an amount per scope value, and one for every other value. */
  amountTable = this.RULE("amountTable", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.amountEntry));
    this.CONSUME(T.RBrace);
  });

  /** `"research" $500`, or `default $100` (any other name is reported by the compiler). */
  amountEntry = this.RULE("amountEntry", () => {
    this.OR((this.alts.amountEntry ??= [
      { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "entry" }) },
      // any name, keywords included: `default` is also a shaping statement
      { ALT: () => this.CONSUME(T.Name, { LABEL: "entry" }) },
    ]));
    this.SUBRULE(this.value);
  });

  guardrailDecl = this.RULE("guardrailDecl", () => {
    this.CONSUME(T.Guardrail);
    this.CONSUME(T.Name);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.guardStmt));
    this.CONSUME(T.RBrace);
  });

  guardStmt = this.RULE("guardStmt", () => {
    this.OR((this.alts.guardStmt ??= [
      {
        ALT: () => {
          this.CONSUME(T.On);
          this.CONSUME(T.Name);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Streams);
          this.CONSUME2(T.Name, { LABEL: "streams" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.WindowKw);
          this.SUBRULE(this.value, { LABEL: "window" });
        },
      },
      {
        ALT: () => {
          this.OR3((this.alts.guardStmt3 ??= [
            { ALT: () => this.CONSUME(T.Block, { LABEL: "action" }) },
            { ALT: () => this.CONSUME(T.Redact, { LABEL: "action" }) },
            { ALT: () => this.CONSUME(T.Flag, { LABEL: "action" }) },
          ]));
          this.OR2((this.alts.guardStmt2 ??= [
            {
              ALT: () => {
                this.CONSUME(T.When);
                this.SUBRULE(this.expr);
              },
            },
            {
              ALT: () => {
                this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.detector) });
              },
            },
          ]));
        },
      },
    ]));
  });

  detector = this.RULE("detector", () => {
    this.OR((this.alts.detector ??= {
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          ALT: () => {
            this.CONSUME(T.Matches);
            this.CONSUME(T.RegexLiteral);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Deny);
            this.SUBRULE(this.list);
          },
        },
        { ALT: () => this.CONSUME(T.Name) },
      ],
    }));
  });

  cacheDecl = this.RULE("cacheDecl", () => {
    this.CONSUME(T.Cache);
    this.CONSUME(T.Name);
    this.SUBRULE(this.cacheBody);
  });

  /** A cache's body, declared or inline in a route: `{ ttl 1h  scope team  when not tools }`. */
  cacheBody = this.RULE("cacheBody", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.cacheStmt));
    this.CONSUME(T.RBrace);
  });

  /**
   * `when CONDITION` or a setting. The setting's name is an identifier, not
   * any name: with `when` (a keyword, so also a name) allowed there, the
   * two alternatives would share every prefix up to the lookahead depth, and
   * computing that lookahead made building the parser four times slower. No
   * cache setting is a keyword.
   */
  cacheStmt = this.RULE("cacheStmt", () => {
    this.OR((this.alts.cacheStmt ??= [
      {
        ALT: () => {
          this.CONSUME(T.When);
          this.SUBRULE(this.expr);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: "setting" });
          this.SUBRULE(this.value);
        },
      },
    ]));
  });

  routeDecl = this.RULE("routeDecl", () => {
    this.CONSUME(T.Route);
    this.CONSUME(T.Name);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.routeStmt));
    this.CONSUME(T.RBrace);
  });

  /** `defaults NAME { … }`: route statements that routes include with `use NAME` (the compiler says which are allowed). */
  defaultsDecl = this.RULE("defaultsDecl", () => {
    this.CONSUME(T.Defaults);
    this.CONSUME(T.Name);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.routeStmt));
    this.CONSUME(T.RBrace);
  });

  /**
   * One route statement, its body inlined (one CST node per statement; the
   * builder tells the kinds apart by the leading keyword). Every body is last
   * in its alternative, so inlining keeps chevrotain's error recovery as it
   * was with a rule per statement.
   */
  routeStmt = this.RULE("routeStmt", () => {
    this.OR((this.alts.routeStmt ??= [
      {
        ALT: () => {
          this.CONSUME(T.When);
          this.SUBRULE(this.expr);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.To);
          this.CONSUME(T.Name);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Split);
          this.OPTION(() => {
            this.OR7((this.alts.routeStmt7 ??= [
              {
                ALT: () => {
                  this.CONSUME(T.By);
                  this.SUBRULE(this.fact);
                },
              },
              { ALT: () => this.CONSUME(T.Fastest) },
              { ALT: () => this.CONSUME(T.Cheapest) },
            ]));
          });
          this.CONSUME(T.LBrace);
          this.MANY(() => this.SUBRULE(this.splitArm));
          this.CONSUME(T.RBrace);
        },
      },
      {
        // the targets stay a rule: recovery inside them resyncs to `on`
        ALT: () => {
          this.CONSUME(T.Fallback);
          this.SUBRULE(this.nameList);
          this.OPTION2(() => {
            this.CONSUME(T.On);
            this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.value) });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Retry);
          this.SUBRULE2(this.value, { LABEL: "count" });
          this.OPTION3(() => {
            this.CONSUME(T.Backoff);
            this.SUBRULE3(this.value, { LABEL: "backoff" });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Timeout);
          this.SUBRULE4(this.value);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Guard);
          this.AT_LEAST_ONE_SEP2({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Name) });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Budget);
          this.AT_LEAST_ONE_SEP3({ SEP: T.Comma, DEF: () => this.CONSUME3(T.Name) });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Limit);
          this.AT_LEAST_ONE_SEP4({ SEP: T.Comma, DEF: () => this.CONSUME4(T.Name) });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Health);
          this.CONSUME5(T.Name);
        },
      },
      {
        // `reject 403 "message"`: the route's outcome is a refusal; the status is checked by the compiler.
        ALT: () => {
          this.CONSUME(T.Reject);
          this.SUBRULE6(this.value, { LABEL: "status" });
          this.OPTION4(() => this.CONSUME(T.StringLiteral));
        },
      },
      {
        // request shaping: `set temperature 0.2`, `default max_tokens 4k`, `cap max_tokens 8k` (the compiler checks the parameter and its value)
        ALT: () => {
          this.OR9((this.alts.routeStmt9 ??= [{ ALT: () => this.CONSUME(T.SetKw) }, { ALT: () => this.CONSUME(T.Default) }, { ALT: () => this.CONSUME(T.Cap) }]));
          this.CONSUME8(T.Name, { LABEL: "param" });
          this.SUBRULE7(this.value, { LABEL: "shapeValue" });
        },
      },
      {
        // `upstream_header "x-team" "research"`: a header added to every upstream request of the route
        ALT: () => {
          this.CONSUME(T.UpstreamHeader);
          this.CONSUME2(T.StringLiteral, { LABEL: "headerName" });
          this.CONSUME3(T.StringLiteral, { LABEL: "headerValue" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Use);
          this.AT_LEAST_ONE_SEP5({ SEP: T.Comma, DEF: () => this.CONSUME7(T.Name) });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Cache);
          this.OR2((this.alts.routeStmt2 ??= [{ ALT: () => this.CONSUME6(T.Name, { LABEL: "cache" }) }, { ALT: () => this.SUBRULE(this.cacheBody) }]));
        },
      },
      {
        // A declared bound (`max_latency 30s`, `max_cost $0.50`): keywords, so a stray name in a
        // route is still "expected a route statement", as error recovery has always reported it.
        ALT: () => {
          this.OR8((this.alts.routeStmt8 ??= [{ ALT: () => this.CONSUME(T.MaxLatency) }, { ALT: () => this.CONSUME(T.MaxCost) }]));
          this.SUBRULE5(this.value);
        },
      },
    ]));
  });

  invariantDecl = this.RULE("invariantDecl", () => {
    this.CONSUME(T.Invariant);
    this.CONSUME(T.Name);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.invariantStmt));
    this.CONSUME(T.RBrace);
  });

  /**
   * `when CONDITION` or `require …`. What `require` takes is a keyword with
   * names after it (`guard a, b`, `residency eu`) or one identifier (`price`,
   * `context`, checked by the compiler): a bare name there would swallow the
   * next statement's leading `require`, which is also a name.
   */
  invariantStmt = this.RULE("invariantStmt", () => {
    this.OR((this.alts.invariantStmt ??= [
      {
        ALT: () => {
          this.CONSUME(T.When);
          this.SUBRULE(this.expr);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Require);
          this.OR2((this.alts.invariantStmt2 ??= [
            {
              ALT: () => {
                this.OR3((this.alts.invariantStmt3 ??= [{ ALT: () => this.CONSUME(T.Guard) }, { ALT: () => this.CONSUME(T.Residency) }]));
                this.SUBRULE(this.nameList);
              },
            },
            { ALT: () => this.CONSUME(T.Identifier, { LABEL: "what" }) },
          ]));
        },
      },
    ]));
  });

  splitArm = this.RULE("splitArm", () => {
    this.CONSUME(T.QuantityLiteral);
    this.CONSUME(T.Name);
  });

  nameList = this.RULE("nameList", () => {
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.Name) });
  });

  // ------------------------------------------------------------ expressions

  /**
   * `and` binds tighter than `or`; the operands and operators come in one
   * repetition (fewer CST nodes) and the builder applies the precedence.
   */
  expr = this.RULE("expr", () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.OR((this.alts.expr ??= [
        { ALT: () => this.CONSUME(T.And, { LABEL: "op" }) },
        { ALT: () => this.CONSUME(T.Or, { LABEL: "op" }) },
      ]));
      this.SUBRULE2(this.notExpr);
    });
  });

  /** A negation, a parenthesised expression, or a condition on a fact (inlined: one node per operand). */
  notExpr = this.RULE("notExpr", () => {
    this.OR((this.alts.notExpr ??= {
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          // `not` followed by something that can start a condition; a fact named `not` is not supported
          ALT: () => {
            this.CONSUME(T.Not);
            this.SUBRULE(this.notExpr);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.LParen);
            this.SUBRULE(this.expr);
            this.CONSUME(T.RParen);
          },
        },
        {
          ALT: () => {
            this.SUBRULE(this.fact);
            this.OPTION(() => {
              this.OR2((this.alts.notExpr2 ??= [
                {
                  ALT: () => {
                    this.OR3((this.alts.notExpr3 ??= [
                      { ALT: () => this.CONSUME(T.EqEq, { LABEL: "op" }) },
                      { ALT: () => this.CONSUME(T.NotEq, { LABEL: "op" }) },
                      { ALT: () => this.CONSUME(T.LtEq, { LABEL: "op" }) },
                      { ALT: () => this.CONSUME(T.GtEq, { LABEL: "op" }) },
                      { ALT: () => this.CONSUME(T.Lt, { LABEL: "op" }) },
                      { ALT: () => this.CONSUME(T.Gt, { LABEL: "op" }) },
                    ]));
                    this.SUBRULE(this.value);
                  },
                },
                {
                  ALT: () => {
                    this.CONSUME(T.In);
                    this.SUBRULE(this.list);
                  },
                },
                {
                  ALT: () => {
                    this.CONSUME(T.Matches);
                    this.CONSUME(T.RegexLiteral);
                  },
                },
              ]));
            });
          },
        },
      ],
    }));
  });

  fact = this.RULE("fact", () => {
    this.CONSUME(T.Name);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.CONSUME(T.StringLiteral);
      this.CONSUME(T.RParen);
    });
  });

  // ------------------------------------------------------------ values

  /** A value; a name with arguments is a call (`env("KEY")`), inlined here. */
  value = this.RULE("value", () => {
    this.OR((this.alts.value ??= [
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.QuantityLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.SUBRULE(this.list) },
      {
        ALT: () => {
          this.CONSUME(T.Name);
          this.OPTION(() => {
            this.CONSUME(T.LParen);
            this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.value) });
            this.CONSUME(T.RParen);
          });
        },
      },
    ]));
  });

  list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.value) });
    this.CONSUME(T.RBracket);
  });

  /** A literal without bare names, so `team "a" user "b"` splits into two facts. */
  literal = this.RULE("literal", () => {
    this.OR((this.alts.literal ??= [
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.QuantityLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.SUBRULE(this.list) },
    ]));
  });

  // ------------------------------------------------------------ tests

  testDecl = this.RULE("testDecl", () => {
    this.CONSUME(T.Test);
    this.CONSUME(T.StringLiteral);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.testStmt));
    this.CONSUME(T.RBrace);
  });

  /** One test statement, its body inlined (one CST node per statement). */
  testStmt = this.RULE("testStmt", () => {
    this.OR((this.alts.testStmt ??= [
      {
        ALT: () => {
          this.CONSUME(T.Request);
          this.CONSUME(T.LBrace);
          this.MANY(() => this.SUBRULE(this.requestFact));
          this.CONSUME(T.RBrace);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Given);
          this.OR2((this.alts.testStmt2 ??= {
            IGNORE_AMBIGUITIES: true,
            DEF: [
              {
                ALT: () => {
                  this.CONSUME(T.Cache);
                  this.CONSUME(T.Hit);
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.Split);
                  this.CONSUME(T.Picks);
                  this.CONSUME(T.Name, { LABEL: "target" });
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.Budget);
                  this.CONSUME2(T.Name, { LABEL: "budget" });
                  this.CONSUME(T.Spent);
                  this.SUBRULE(this.value);
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.Limit);
                  this.CONSUME3(T.Name, { LABEL: "limit" });
                  this.CONSUME(T.Used);
                  this.SUBRULE2(this.value);
                },
              },
              {
                ALT: () => {
                  this.CONSUME4(T.Name, { LABEL: "failing" });
                  this.OR4((this.alts.testStmt4 ??= [
                    {
                      ALT: () => {
                        this.CONSUME(T.Fails);
                        this.SUBRULE3(this.value);
                        this.OPTION(() => this.CONSUME(T.Once));
                        this.OPTION2(() => {
                          this.CONSUME(T.Retry);
                          this.CONSUME(T.After);
                          this.SUBRULE6(this.value, { LABEL: "retryAfter" });
                        });
                      },
                    },
                    {
                      ALT: () => {
                        this.CONSUME(T.Latency);
                        this.SUBRULE7(this.value, { LABEL: "latency" });
                      },
                    },
                    { ALT: () => this.CONSUME(T.Ejected) },
                    {
                      ALT: () => {
                        this.CONSUME(T.Failures);
                        this.SUBRULE9(this.value, { LABEL: "failures" });
                        this.CONSUME2(T.Of);
                        this.SUBRULE(this.literal, { LABEL: "of" });
                      },
                    },
                    {
                      ALT: () => {
                        this.OR6((this.alts.testStmt6 ??= [{ ALT: () => this.CONSUME(T.Answers) }, { ALT: () => this.CONSUME(T.Replies) }]));
                        this.CONSUME2(T.StringLiteral, { LABEL: "answer" });
                        this.OPTION5(() => {
                          this.CONSUME(T.Streamed);
                          this.CONSUME5(T.In);
                          this.CONSUME(T.Chunks);
                          this.CONSUME(T.Of);
                          this.SUBRULE8(this.value, { LABEL: "chunkSize" });
                        });
                      },
                    },
                  ]));
                },
              },
            ],
          }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Expect);
          this.OR3((this.alts.testStmt3 ??= {
            IGNORE_AMBIGUITIES: true,
            DEF: [
              {
                ALT: () => {
                  this.CONSUME(T.Route);
                  this.CONSUME5(T.Name, { LABEL: "route" });
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.No);
                  this.CONSUME2(T.Route, { LABEL: "noRoute" });
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.Target);
                  this.CONSUME(T.In);
                  this.SUBRULE(this.bracketNames, { LABEL: "targetIn" });
                },
              },
              {
                ALT: () => {
                  this.CONSUME2(T.Target);
                  this.CONSUME6(T.Name, { LABEL: "target" });
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.Attempts);
                  this.SUBRULE2(this.bracketNames, { LABEL: "attempts" });
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.Retries);
                  this.SUBRULE4(this.value, { LABEL: "retries" });
                },
              },
              {
                ALT: () => {
                  // `expect output blocked by G` shares the input form's statement, marked by `output`.
                  this.OPTION3(() => this.CONSUME2(T.Output));
                  this.CONSUME(T.Blocked);
                  this.CONSUME(T.By);
                  this.CONSUME7(T.Name, { LABEL: "blocked" });
                },
              },
              {
                ALT: () => {
                  this.OPTION4(() => this.CONSUME3(T.Output));
                  this.CONSUME(T.Flagged);
                  this.CONSUME2(T.By);
                  this.CONSUME8(T.Name, { LABEL: "flagged" });
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.Output);
                  this.CONSUME2(T.Redacted);
                  this.CONSUME3(T.StringLiteral, { LABEL: "outputText" });
                },
              },
              {
                ALT: () => {
                  this.OR5((this.alts.testStmt5 ??= [{ ALT: () => this.CONSUME(T.Rejected) }, { ALT: () => this.CONSUME(T.Warned) }]));
                  // bare `expect rejected`: the route itself rejects (`reject 403 "…"`); `warned` needs its budget (E401)
                  this.OPTION6(() => {
                    this.CONSUME3(T.By);
                    this.CONSUME9(T.Name, { LABEL: "by" });
                  });
                },
              },
              {
                ALT: () => {
                  this.CONSUME2(T.Cache);
                  this.consume(10, T.Name, { LABEL: "cacheResult" });
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.Status);
                  this.SUBRULE5(this.value, { LABEL: "status" });
                },
              },
              {
                // `expect cost <= $0.01`, `expect cost $0.002`: the charge, compared or equal
                ALT: () => {
                  this.CONSUME(T.Cost);
                  this.OPTION9(() =>
                    this.OR9((this.alts.testStmt9 ??= [
                      { ALT: () => this.CONSUME(T.LtEq, { LABEL: "costOp" }) },
                      { ALT: () => this.CONSUME(T.Lt, { LABEL: "costOp" }) },
                      { ALT: () => this.CONSUME(T.GtEq, { LABEL: "costOp" }) },
                      { ALT: () => this.CONSUME(T.Gt, { LABEL: "costOp" }) },
                      { ALT: () => this.CONSUME(T.EqEq, { LABEL: "costOp" }) },
                    ])),
                  );
                  this.subrule(10, this.value, { LABEL: "cost" });
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.Redacted);
                  this.CONSUME(T.Input);
                  this.CONSUME(T.StringLiteral);
                },
              },
              {
                // `expect shaped max_tokens 8k`: a parameter of the request sent, after the route's shaping
                ALT: () => {
                  this.CONSUME(T.Shaped);
                  this.consume(11, T.Name, { LABEL: "shapedParam" });
                  this.subrule(11, this.value, { LABEL: "shapedValue" });
                },
              },
              {
                // `expect header "name" "value"`: `header` is not a keyword (it names a fact), so a plain identifier is read here and
                // checked (E401); an identifier, not any name, so keywords keep their alternatives (`expect attempts a` still recovers as one),
                // and only before a string, so `expect foo` is told the expectations there are
                GATE: () => this.LA(2).tokenType === T.StringLiteral,
                ALT: () => {
                  this.consume(11, T.Identifier, { LABEL: "expectWord" });
                  this.consume(11, T.StringLiteral, { LABEL: "headerName" });
                  this.consume(12, T.StringLiteral, { LABEL: "headerValue" });
                },
              },
            ],
          }));
        },
      },
    ]));
  });

  requestFact = this.RULE("requestFact", () => {
    this.CONSUME(T.Name);
    this.MANY(() => this.SUBRULE(this.literal));
  });

  bracketNames = this.RULE("bracketNames", () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.Name) });
    this.CONSUME(T.RBracket);
  });
}

/**
 * Two parser instances, reused (chevrotain parsers are reset by assigning
 * `input`): a fast one without error recovery for the common case of a valid
 * file (and for trying repairs, lang/recover.ts), and a recovering one that
 * re-parses a file with errors so that every error in it is reported.
 * Recovery costs about a quarter of the parse time.
 */
let fast: RouteParser | undefined;
let recovering: RouteParser | undefined;

/** Parses without recovery: the CST, or the first syntax error. */
export function parseFast(tokens: IToken[]): { cst: CstNode; error?: IRecognitionException } {
  fast ??= new RouteParser(false);
  fast.input = tokens;
  const cst = fast.policy();
  const error = fast.errors[0];
  return error ? { cst, error } : { cst };
}

/** Parses with chevrotain's recovery: a CST with holes and every error it met. */
export function parseRecovering(tokens: IToken[]): { cst: CstNode; errors: IRecognitionException[] } {
  recovering ??= new RouteParser(true);
  recovering.input = tokens;
  const cst = recovering.policy();
  return { cst, errors: recovering.errors };
}

export function parseTokens(tokens: IToken[]): { cst: CstNode; errors: IRecognitionException[] } {
  const first = parseFast(tokens);
  return first.error ? parseRecovering(tokens) : { cst: first.cst, errors: [] };
}

/**
 * The keywords that can start an item of a rule (`declaration`,
 * `routeStmt`, `clause`, …), read from the grammar itself so that
 * did-you-mean suggestions follow it as it grows.
 */
const starters = new Map<string, string[]>();
export function startingKeywords(rule: string): string[] {
  let words = starters.get(rule);
  if (!words) {
    fast ??= new RouteParser(false);
    const paths = fast.computeContentAssist(rule, []);
    words = [...new Set(paths.map((p) => p.nextTokenType).filter((t) => T.keywordTokens.includes(t)).map((t) => (t.PATTERN as RegExp).source))];
    starters.set(rule, words);
  }
  return words;
}
