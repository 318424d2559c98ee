/**
 * Pass 1: collect every named declaration into the symbol table and report
 * duplicates (E102). The first declaration of a name wins. Two tests with
 * one name are duplicates too: results, `check --test NAME` and the seeded
 * split draws are all keyed by the name.
 */
import type { Declaration, Ident, SourceFile, TestDecl } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { SymbolTable } from "../symbols.js";

export function buildSymbols(files: readonly SourceFile[]): { symbols: SymbolTable; diagnostics: Diagnostic[] } {
  const symbols: SymbolTable = {
    providers: new Map(),
    models: new Map(),
    budgets: new Map(),
    limits: new Map(),
    guardrails: new Map(),
    caches: new Map(),
    health: new Map(),
    jwt: new Map(),
    routes: [],
    routesByName: new Map(),
    keys: [],
    invariants: new Map(),
    tests: [],
  };
  const diagnostics: Diagnostic[] = [];

  function declare<T extends Extract<Declaration, { name: Ident }>>(table: Map<string, T>, decl: T, what: string): void {
    // A declaration whose name the parser could not read (already a syntax error) is left out.
    if (decl.name.name === "") return;
    const first = table.get(decl.name.name);
    if (first) {
      diagnostics.push(
        diagnostic("E102", `${what} \`${decl.name.name}\` is declared twice`, decl.name.span, {
          related: { message: "first declared here", span: first.name.span },
          help: `rename one of them or remove the duplicate`,
        }),
      );
      return;
    }
    table.set(decl.name.name, decl);
  }

  const testNames = new Map<string, TestDecl>();
  for (const file of files) {
    for (const decl of file.declarations) {
      switch (decl.kind) {
        case "gateway":
          if (symbols.gateway) {
            diagnostics.push(
              diagnostic("E102", "the `gateway` block is declared twice", decl.span, {
                related: { message: "first declared here", span: symbols.gateway.span },
                help: "merge the settings into one `gateway` block",
              }),
            );
          } else symbols.gateway = decl;
          break;
        case "provider":
          declare(symbols.providers, decl, "provider");
          break;
        case "model":
          declare(symbols.models, decl, "model");
          break;
        case "budget":
          declare(symbols.budgets, decl, "budget");
          break;
        case "limit":
          declare(symbols.limits, decl, "limit");
          break;
        case "guardrail":
          declare(symbols.guardrails, decl, "guardrail");
          break;
        case "cache":
          declare(symbols.caches, decl, "cache");
          break;
        case "health":
          declare(symbols.health, decl, "health policy");
          break;
        case "jwt":
          declare(symbols.jwt, decl, "jwt issuer");
          break;
        case "route": {
          const before = symbols.routesByName.size;
          declare(symbols.routesByName, decl, "route");
          if (symbols.routesByName.size > before) symbols.routes.push(decl);
          break;
        }
        case "invariant":
          declare(symbols.invariants, decl, "invariant");
          break;
        case "keys":
          symbols.keys.push(...decl.entries);
          break;
        case "test": {
          const name = typeof decl.name?.value === "string" ? decl.name.value : undefined;
          const first = name === undefined ? undefined : testNames.get(name);
          if (first) {
            diagnostics.push(
              diagnostic("E102", `test ${JSON.stringify(name)} is declared twice`, decl.name.span, {
                related: { message: "first declared here", span: first.name.span },
                help: "give each test its own name",
              }),
            );
          } else if (name !== undefined) testNames.set(name, decl);
          symbols.tests.push(decl);
          break;
        }
        case "import":
          break;
      }
    }
  }
  return { symbols, diagnostics };
}
