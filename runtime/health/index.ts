/** Live target health: the circuit-breaker machine and the per-instance tracker. */
export { ejectNow, ejectionMs, follow, look, newRecord, record, type SharedVerdict, type Ejection, type HealthRecord, type TryOutcome } from "./machine.js";
export { HealthTracker, RequestHealth, type EjectionEvent, type TargetReading } from "./tracker.js";
export { HealthSharing, LEASE_SYNCS, sharedKey, type SharedRecords, type SharingEvents } from "./shared.js";
export { givenHealth, type HealthGiven } from "./given.js";
export { EWMA_WEIGHT, HALF_LIFE_MS, LatencyTracker } from "./latency.js";
