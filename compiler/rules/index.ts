/**
 * The semantic rules and lints the compiler runs after the symbol table is
 * built, one per file. The order here is the order their diagnostics are
 * produced in (the compiler sorts them by position afterwards anyway).
 */
import type { Rule } from "./rule.js";
import { alwaysTrueRule } from "./always-true.js";
import { conflictingTargets } from "./conflicting-targets.js";
import { duplicateTarget } from "./duplicate-target.js";
import { envUnset } from "./env-unset.js";
import { fallbackLoop } from "./fallback-loop.js";
import { invalidRegex } from "./invalid-regex.js";
import { noCallers } from "./no-callers.js";
import { noTarget } from "./no-target.js";
import { routeMatchesEverything } from "./route-matches-everything.js";
import { splitPicks } from "./split-picks.js";
import { streamWindow } from "./stream-window.js";
import { splitWeights } from "./split-weights.js";
import { unknownReference } from "./unknown-reference.js";
import { unboundedReservation } from "./unbounded-reservation.js";
import { unpricedModel } from "./unpriced-model.js";
import { unreachableRoute } from "./unreachable-route.js";
import { unused } from "./unused.js";
import { sharedCache } from "./shared-cache.js";
import { unfitTarget } from "./unfit-target.js";
import { wildcardModel } from "./wildcard-model.js";

export type { Rule } from "./rule.js";

/** Every rule, names first, then routes, then lints. */
export const RULES: Rule[] = [
  unknownReference,
  invalidRegex,
  streamWindow,
  splitWeights,
  duplicateTarget,
  fallbackLoop,
  unreachableRoute,
  noTarget,
  conflictingTargets,
  wildcardModel,
  unpricedModel,
  unboundedReservation,
  unused,
  envUnset,
  routeMatchesEverything,
  alwaysTrueRule,
  noCallers,
  splitPicks,
  sharedCache,
  unfitTarget,
];
