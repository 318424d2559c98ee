/**
 * The grammar of `.route` files as a chevrotain CST parser. This file holds
 * the shape of the language only; meaning (units, escapes, the AST) is built
 * from the CST in cst-to-ast.ts. The grammar mirrors lang/SPEC.md section 2.
 *
 * Error recovery is on: one run records every syntax error it can, and the
 * CST it returns may have holes that the AST builder tolerates.
 */
import { CstParser, type CstNode, type IRecognitionException, type IToken } from "chevrotain";
import { errorMessages } from "./parse-errors.js";
import * as T from "./tokens.js";

class RouteParser extends CstParser {
  constructor(recoveryEnabled: boolean) {
    super(T.allTokens, { recoveryEnabled, maxLookahead: 4, nodeLocationTracking: "onlyOffset", errorMessageProvider: errorMessages });
    this.performSelfAnalysis();
  }

  policy = this.RULE("policy", () => {
    this.MANY(() => this.SUBRULE(this.declaration));
  });

  declaration = this.RULE("declaration", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.gatewayDecl) },
      { ALT: () => this.SUBRULE(this.providerDecl) },
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.keysDecl) },
      { ALT: () => this.SUBRULE(this.budgetDecl) },
      { ALT: () => this.SUBRULE(this.limitDecl) },
      { ALT: () => this.SUBRULE(this.guardrailDecl) },
      { ALT: () => this.SUBRULE(this.routeDecl) },
      { ALT: () => this.SUBRULE(this.testDecl) },
    ]);
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
    this.OPTION(() => this.SUBRULE(this.settingsBlock));
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

  clause = this.RULE("clause", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.scopeClause) },
      { ALT: () => this.SUBRULE(this.amountClause) },
      { ALT: () => this.SUBRULE(this.warnClause) },
      { ALT: () => this.SUBRULE(this.exceededClause) },
    ]);
  });

  scopeClause = this.RULE("scopeClause", () => {
    this.CONSUME(T.Per);
    this.CONSUME(T.Name);
  });

  amountClause = this.RULE("amountClause", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Limit, { LABEL: "measure" }) },
      { ALT: () => this.CONSUME(T.Tokens, { LABEL: "measure" }) },
      { ALT: () => this.CONSUME(T.Requests, { LABEL: "measure" }) },
    ]);
    this.SUBRULE(this.value);
    this.CONSUME(T.Per);
    this.OR2([
      { ALT: () => this.CONSUME(T.Name, { LABEL: "window" }) },
      { ALT: () => this.CONSUME(T.QuantityLiteral, { LABEL: "window" }) },
    ]);
  });

  warnClause = this.RULE("warnClause", () => {
    this.CONSUME(T.Warn);
    this.SUBRULE(this.value);
  });

  exceededClause = this.RULE("exceededClause", () => {
    this.CONSUME(T.Exceeded);
    this.OR([
      { ALT: () => this.CONSUME(T.Reject, { LABEL: "action" }) },
      {
        ALT: () => {
          this.CONSUME(T.Downgrade, { LABEL: "action" });
          this.CONSUME(T.Name, { LABEL: "model" });
        },
      },
    ]);
  });

  guardrailDecl = this.RULE("guardrailDecl", () => {
    this.CONSUME(T.Guardrail);
    this.CONSUME(T.Name);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.guardStmt));
    this.CONSUME(T.RBrace);
  });

  guardStmt = this.RULE("guardStmt", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.On);
          this.CONSUME(T.Name);
        },
      },
      {
        ALT: () => {
          this.SUBRULE(this.guardAction);
          this.OR2([
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
          ]);
        },
      },
    ]);
  });

  guardAction = this.RULE("guardAction", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Block) },
      { ALT: () => this.CONSUME(T.Redact) },
      { ALT: () => this.CONSUME(T.Flag) },
    ]);
  });

  detector = this.RULE("detector", () => {
    this.OR({
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
    });
  });

  routeDecl = this.RULE("routeDecl", () => {
    this.CONSUME(T.Route);
    this.CONSUME(T.Name);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.routeStmt));
    this.CONSUME(T.RBrace);
  });

  routeStmt = this.RULE("routeStmt", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.whenStmt) },
      { ALT: () => this.SUBRULE(this.toStmt) },
      { ALT: () => this.SUBRULE(this.splitStmt) },
      { ALT: () => this.SUBRULE(this.fallbackStmt) },
      { ALT: () => this.SUBRULE(this.retryStmt) },
      { ALT: () => this.SUBRULE(this.timeoutStmt) },
      { ALT: () => this.SUBRULE(this.guardStmtRef) },
      { ALT: () => this.SUBRULE(this.budgetStmtRef) },
      { ALT: () => this.SUBRULE(this.limitStmtRef) },
    ]);
  });

  whenStmt = this.RULE("whenStmt", () => {
    this.CONSUME(T.When);
    this.SUBRULE(this.expr);
  });

  toStmt = this.RULE("toStmt", () => {
    this.CONSUME(T.To);
    this.CONSUME(T.Name);
  });

  splitStmt = this.RULE("splitStmt", () => {
    this.CONSUME(T.Split);
    this.OPTION(() => {
      this.CONSUME(T.By);
      this.SUBRULE(this.fact);
    });
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.splitArm));
    this.CONSUME(T.RBrace);
  });

  splitArm = this.RULE("splitArm", () => {
    this.CONSUME(T.QuantityLiteral);
    this.CONSUME(T.Name);
  });

  fallbackStmt = this.RULE("fallbackStmt", () => {
    this.CONSUME(T.Fallback);
    this.SUBRULE(this.nameList);
    this.OPTION(() => {
      this.CONSUME(T.On);
      this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.value) });
    });
  });

  retryStmt = this.RULE("retryStmt", () => {
    this.CONSUME(T.Retry);
    this.SUBRULE(this.value, { LABEL: "count" });
    this.OPTION(() => {
      this.CONSUME(T.Backoff);
      this.SUBRULE2(this.value, { LABEL: "backoff" });
    });
  });

  timeoutStmt = this.RULE("timeoutStmt", () => {
    this.CONSUME(T.Timeout);
    this.SUBRULE(this.value);
  });

  guardStmtRef = this.RULE("guardStmtRef", () => {
    this.CONSUME(T.Guard);
    this.SUBRULE(this.nameList);
  });

  budgetStmtRef = this.RULE("budgetStmtRef", () => {
    this.CONSUME(T.Budget);
    this.SUBRULE(this.nameList);
  });

  limitStmtRef = this.RULE("limitStmtRef", () => {
    this.CONSUME(T.Limit);
    this.SUBRULE(this.nameList);
  });

  nameList = this.RULE("nameList", () => {
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.Name) });
  });

  // ------------------------------------------------------------ expressions

  expr = this.RULE("expr", () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  andExpr = this.RULE("andExpr", () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  notExpr = this.RULE("notExpr", () => {
    this.OR({
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
        { ALT: () => this.SUBRULE(this.condition) },
      ],
    });
  });

  condition = this.RULE("condition", () => {
    this.SUBRULE(this.fact);
    this.OPTION(() => {
      this.OR([
        {
          ALT: () => {
            this.SUBRULE(this.compareOp);
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
      ]);
    });
  });

  compareOp = this.RULE("compareOp", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.EqEq) },
      { ALT: () => this.CONSUME(T.NotEq) },
      { ALT: () => this.CONSUME(T.LtEq) },
      { ALT: () => this.CONSUME(T.GtEq) },
      { ALT: () => this.CONSUME(T.Lt) },
      { ALT: () => this.CONSUME(T.Gt) },
    ]);
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

  value = this.RULE("value", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.QuantityLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.nameOrCall) },
    ]);
  });

  nameOrCall = this.RULE("nameOrCall", () => {
    this.CONSUME(T.Name);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.value) });
      this.CONSUME(T.RParen);
    });
  });

  list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.value) });
    this.CONSUME(T.RBracket);
  });

  /** A literal without bare names, so `team "a" user "b"` splits into two facts. */
  literal = this.RULE("literal", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.QuantityLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.SUBRULE(this.list) },
    ]);
  });

  // ------------------------------------------------------------ tests

  testDecl = this.RULE("testDecl", () => {
    this.CONSUME(T.Test);
    this.CONSUME(T.StringLiteral);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.testStmt));
    this.CONSUME(T.RBrace);
  });

  testStmt = this.RULE("testStmt", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.requestBlock) },
      { ALT: () => this.SUBRULE(this.givenStmt) },
      { ALT: () => this.SUBRULE(this.expectStmt) },
    ]);
  });

  requestBlock = this.RULE("requestBlock", () => {
    this.CONSUME(T.Request);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.requestFact));
    this.CONSUME(T.RBrace);
  });

  requestFact = this.RULE("requestFact", () => {
    this.CONSUME(T.Name);
    this.MANY(() => this.SUBRULE(this.literal));
  });

  givenStmt = this.RULE("givenStmt", () => {
    this.CONSUME(T.Given);
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
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
            this.CONSUME(T.Fails);
            this.SUBRULE3(this.value);
          },
        },
      ],
    });
  });

  expectStmt = this.RULE("expectStmt", () => {
    this.CONSUME(T.Expect);
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          ALT: () => {
            this.CONSUME(T.Route);
            this.CONSUME(T.Name, { LABEL: "route" });
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
            this.CONSUME2(T.Name, { LABEL: "target" });
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
            this.SUBRULE(this.value, { LABEL: "retries" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Blocked);
            this.CONSUME(T.By);
            this.CONSUME3(T.Name, { LABEL: "blocked" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Flagged);
            this.CONSUME2(T.By);
            this.CONSUME4(T.Name, { LABEL: "flagged" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Status);
            this.SUBRULE2(this.value, { LABEL: "status" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Redacted);
            this.CONSUME(T.Input);
            this.CONSUME(T.StringLiteral);
          },
        },
      ],
    });
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
 * file, and a recovering one that re-parses a file with errors so that every
 * error in it is reported. Recovery costs about a quarter of the parse time.
 */
let fast: RouteParser | undefined;
let recovering: RouteParser | undefined;

export function parseTokens(tokens: IToken[]): { cst: CstNode; errors: IRecognitionException[] } {
  fast ??= new RouteParser(false);
  fast.input = tokens;
  const cst = fast.policy();
  if (fast.errors.length === 0) return { cst, errors: [] };
  recovering ??= new RouteParser(true);
  recovering.input = tokens;
  const recovered = recovering.policy();
  return { cst: recovered, errors: recovering.errors };
}
