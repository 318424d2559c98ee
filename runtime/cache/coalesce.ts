/**
 * Request coalescing: while one request for a key is on its way upstream
 * (the leader), identical requests (followers) wait for it instead of
 * calling the upstream too, then read the entry it stored. A follower whose
 * leader stored nothing (a failure, a filtered or truncated reply) goes
 * upstream itself, so a bad reply is never shared and nobody waits twice
 * on the same key. In one process: gateways sharing a Redis coalesce
 * within each gateway, not across them.
 */
export class Coalescer {
  private readonly waiting = new Map<string, Promise<void>>();

  /** The leader's promise for `key` if one is in flight; otherwise registers the caller as leader and returns its `done`. */
  join(key: string): { leader: true; done: () => void } | { leader: false; settled: Promise<void> } {
    const settled = this.waiting.get(key);
    if (settled !== undefined) return { leader: false, settled };
    let done!: () => void;
    const p = new Promise<void>((r) => (done = r));
    this.waiting.set(key, p);
    return {
      leader: true,
      done: () => {
        if (this.waiting.get(key) === p) this.waiting.delete(key);
        done();
      },
    };
  }

  /** Keys with a leader in flight. */
  get size(): number {
    return this.waiting.size;
  }
}
