/**
 * `aigw serve --shadow CANDIDATE`: a candidate policy decided beside the
 * live one for every request, without sending or charging anything, and
 * where the two differ (shadow.ts, outcome.ts). Its source and reloads are
 * the server's (runtime/server/reload/candidate.ts).
 */
export { Shadow, SAMPLES, type CandidateInfo, type ShadowSample, type ShadowStatus } from "./shadow.js";
export { differenceOf, outcomeOf, type DifferenceKind, type ShadowOutcome } from "./outcome.js";
