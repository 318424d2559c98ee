/**
 * Policy tooling's public entry: running a policy's `test` blocks, the
 * reference interpreter they are cross-checked against, verifying a policy
 * (compile + schema + tests, as `aigw check` and every reload do) and
 * `aigw explain`'s request explainer. Tooling only: the server process never
 * imports this folder statically (test/cli/serve-imports.test.ts and
 * test/runtime/layers.test.ts guard it); reloads reach it through the
 * verifier worker.
 */
export {
  checkExpect,
  failureCause,
  givenState,
  givenWorld,
  runPolicyTest,
  runPolicyTests,
  simulate,
  type PolicyTestOptions,
  type Reached,
  type Simulation,
  type TargetBehaviour,
  type TestResult,
} from "./policy-tests.js";
export { evaluate as referenceEvaluate, referenceAttempts, referenceDecide, referenceSymbols, type ReferenceDecision } from "./reference.js";
export { compareWithReference, crossCheck, crossCheckTests, type Disagreement } from "./reference-check.js";
export { DEFAULT_DRAW, ExplainRequestError, explainInputProblem, explainRequest, type ExplainOptions } from "./explain-request.js";
export { coverageOf, reachedParts, type Coverage, type CoverageItem, type CoverageKind } from "./coverage.js";
