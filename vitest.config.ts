import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    pool: "forks",
    // Most of the suite's time is spent waiting on child gateways, sockets and
    // timers, not CPU: three forks finish it in about two thirds of the time
    // of vitest's default (one per core) on a 2-core machine.
    maxWorkers: 3,
  },
});
