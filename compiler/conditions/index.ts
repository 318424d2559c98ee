/**
 * The condition analysis: `when` conditions as unions of cubes over every
 * fact (translate.ts), the question "is this inside that union" answered
 * with an index so it costs about linear time over a policy (cover.ts,
 * store.ts), and witnesses — concrete requests — for what it finds
 * (witness.ts, verdicts.ts). Pure; the lints in compiler/rules use it.
 */
export { anyValue, keyKind, type Constraint } from "./constraint.js";
export { coveredBy, DEFAULT_WORK, listSource, newWork, type Item, type Source, type Work } from "./cover.js";
export { conjoin, covers, EVERYTHING, isEmptyCube, overlaps, type Cube } from "./cube.js";
export { CubeStore } from "./store.js";
export { factKey, translate, type Condition, type Mode } from "./translate.js";
export { alwaysTrue, neverTrue } from "./verdicts.js";
export { contains, describe, pointOf, testRequest, type Point } from "./witness.js";
