/**
 * POSIX path arithmetic as plain string manipulation, so the loader stays a
 * pure function (no `node:path`) and behaves the same on every platform:
 * policy paths always use `/`.
 */

/** Collapses `.`, `..`, repeated and trailing slashes: `a/./b/../c/` → `a/c`, `` → `.`. */
export function normalize(path: string): string {
  const absolute = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  return absolute ? `/${joined}` : joined === "" ? "." : joined;
}

/** Joins path segments; an absolute segment restarts the path. */
export function join(...parts: string[]): string {
  let path = "";
  for (const part of parts) {
    if (part === "") continue;
    path = part.startsWith("/") || path === "" ? part : `${path}/${part}`;
  }
  return normalize(path);
}

/** The directory part: `a/b/c.route` → `a/b`, `c.route` → `.`, `/c.route` → `/`. */
export function dirname(path: string): string {
  const p = normalize(path);
  const i = p.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : p.slice(0, i);
}

/** The last segment: `a/b/c.route` → `c.route`. */
export function basename(path: string): string {
  const p = normalize(path);
  return p.slice(p.lastIndexOf("/") + 1);
}
