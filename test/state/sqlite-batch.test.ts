import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../runtime/state/sqlite-batch.js";

function db(): Database.Database {
  const d = new Database(":memory:");
  d.exec("CREATE TABLE t (v INTEGER)");
  return d;
}

describe("GroupCommit", () => {
  it("runs one turn's operations in order, in one transaction, and resolves each with its result", async () => {
    const d = db();
    const g = new GroupCommit(d);
    const insert = d.prepare("INSERT INTO t VALUES (?)");
    const count = d.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM t");
    const seen: boolean[] = [];
    const ops = [1, 2, 3].map((v) =>
      g.submit(true, () => {
        seen.push(d.inTransaction);
        insert.run(v);
        return count.get()!.n;
      }),
    );
    expect(await Promise.all(ops)).toEqual([1, 2, 3]);
    expect(seen).toEqual([true, true, true]);
  });

  it("rolls the whole batch back and rejects every operation in it when one fails, then carries on", async () => {
    const d = db();
    const g = new GroupCommit(d);
    const insert = d.prepare("INSERT INTO t VALUES (?)");
    const a = g.submit(true, () => insert.run(1));
    const b = g.submit(true, () => {
      throw new Error("boom");
    });
    await expect(a).rejects.toThrow("boom");
    await expect(b).rejects.toThrow("boom");
    expect(d.prepare("SELECT COUNT(*) AS n FROM t").get()).toEqual({ n: 0 });
    await g.submit(true, () => insert.run(2));
    expect(d.prepare("SELECT v FROM t").all()).toEqual([{ v: 2 }]);
  });
});
