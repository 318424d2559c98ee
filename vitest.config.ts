import { defineConfig } from "vitest/config";

/** Files that set process-wide state before importing the runtime: each runs in a fresh module cache. */
const ISOLATED = ["test/server/uws-fallback.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    pool: "forks",
    // Most of the suite's time is spent waiting on child gateways, sockets and
    // timers, not CPU: three forks finish it in about two thirds of the time
    // of vitest's default (one per core) on a 2-core machine.
    maxWorkers: 3,
    // Child gateways serve on one thread, as they did before `--workers`, unless a test asks for workers
    // (test/workers/); otherwise each child's worker count would be this machine's CPU count.
    env: { AIGW_WORKERS: "1" },
    globalSetup: ["test/support/tmp-root.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "shared",
          include: ["test/**/*.test.ts"],
          exclude: ISOLATED,
          // Test files share a worker's module cache instead of importing the
          // runtime, compiler and their dependencies anew per file (the
          // parser's grammar analysis, undici, the SDKs): that import was
          // over half of the suite's time. Every test file owns its state
          // (servers, stores, temp dirs) and closes it; no test mocks a module.
          isolate: false,
        },
      },
      // The uWS fallback test sets the package's env flag before it loads: it needs a module cache of its own.
      { extends: true, test: { name: "isolated", include: ISOLATED, isolate: true } },
    ],
  },
});
