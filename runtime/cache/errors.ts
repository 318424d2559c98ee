/** Typed failures of the cache stores (stable codes, as the state stores' `AIGW_STATE_*`). */
export type CacheStoreErrorCode = "AIGW_CACHE_OPEN_FAILED" | "AIGW_CACHE_REDIS_URL_UNSET";

export class CacheStoreError extends Error {
  constructor(
    readonly code: CacheStoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "CacheStoreError";
  }
}
