/**
 * The CLI's edge to the outside world: the file system host the policy loader
 * reads through, and the output streams. Commands take an `Io` so tests can
 * run them in-process with captured output.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal (colour only then). */
  isTty: boolean;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  isTty: Boolean(process.stdout.isTTY) && !process.env["NO_COLOR"],
  env: process.env,
  cwd: process.cwd(),
};

/** A file host that remembers what it read, so diagnostics can quote source lines. */
export class FsHost {
  readonly texts = new Map<string, string>();

  read = (path: string): string | undefined => {
    try {
      const text = readFileSync(path, "utf8");
      this.texts.set(path, text);
      return text;
    } catch {
      return undefined;
    }
  };

  list = (dir: string): string[] | undefined => {
    try {
      return readdirSync(dir).sort();
    } catch {
      return undefined;
    }
  };

  isDir = (path: string): boolean => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  };

  exists = (path: string): boolean => {
    try {
      statSync(path);
      return true;
    } catch {
      return false;
    }
  };
}
