/**
 * Opening the gateway's SQLite file the one way every table in it wants:
 * its directory made, a 5 s busy timeout (another gateway may hold the
 * write lock), WAL with `synchronous = NORMAL`, and the caller's schema.
 * Throws what better-sqlite3 throws; each caller says which store failed.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

export function openSqliteFile(path: string, schema: string): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 5000 });
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(schema);
  return db;
}
