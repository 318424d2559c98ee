import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore, StateError } from "../../runtime/state/index.js";
import { DAY } from "./conformance.js";

const dir = mkdtempSync(join(tmpdir(), "aigw-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("openStore", () => {
  it("opens the memory store", async () => {
    const s = openStore({ kind: "memory" }, { env: {}, clock: () => 0 });
    expect(s.kind).toBe("memory");
    await s.close();
  });

  it("opens SQLite relative to the base directory, creating the folder", async () => {
    const s = openStore({ kind: "sqlite", path: ".aigw/state.db" }, { env: {}, clock: () => 0, baseDir: dir });
    expect(s.kind).toBe("sqlite");
    await s.take("k", 1, 1, DAY);
    await s.close();
    expect(existsSync(join(dir, ".aigw", "state.db"))).toBe(true);
  });

  it("fails clearly when the Redis URL's variable is unset", () => {
    const open = (): unknown => openStore({ kind: "redis", url: { env: "REDIS_URL" } }, { env: {}, clock: () => 0 });
    expect(open).toThrow(StateError);
    expect(open).toThrow("cannot open the redis state store: the environment variable `REDIS_URL` is not set");
  });

  it("fails with a typed error when the SQLite file cannot be created", () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    const open = (): unknown => openStore({ kind: "sqlite", path: join(file, "state.db") }, { env: {}, clock: () => 0 });
    expect(open).toThrow(expect.objectContaining({ code: "AIGW_STATE_OPEN_FAILED" }));
  });
});
