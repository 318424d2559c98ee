/**
 * Loading a multi-file policy: from the paths given on the command line to
 * the ordered list of parsed files the compiler takes. Pure: files are read
 * through a `LoadHost` (real in the CLI, a record in tests) and parsed with
 * the `parse` function passed in.
 *
 * Order (lang/SPEC.md, "Files and order"): paths in the order given; a
 * directory stands for its entry file (`main.route`, or its only `.route`
 * file); `import "x.route"` includes that file at the point of the import,
 * depth first, each file once, paths relative to the importing file. A file
 * that imports in the middle is returned as several consecutive `SourceFile`
 * segments (same path) around the imported files, so "routes are tried in
 * the order they appear" holds literally across files.
 */
import type { Comment, Declaration, ImportDecl, SourceFile } from "../lang/ast.js";
import { diagnostic, type Diagnostic, type Fix } from "../lang/diagnostics.js";
import { fileSpan, type Span } from "../lang/span.js";
import { basename, dirname, join, normalize } from "./posix-path.js";
import { suggest } from "./suggest.js";

/** How the loader sees the file system. */
export interface LoadHost {
  /** The file's text, or undefined when it does not exist or cannot be read. */
  read(path: string): string | undefined;
  /** The names (not paths) of a directory's entries, or undefined when it is not a readable directory. */
  list(dir: string): string[] | undefined;
  isDir(path: string): boolean;
}

export type ParseFn = (text: string, file: string) => { file: SourceFile; diagnostics: Diagnostic[] };

export interface LoadResult {
  /** In load order; a file with imports in the middle appears as several segments. */
  files: SourceFile[];
  /** Each file's text once, in the order first read: what the policy version hashes. */
  sources: { path: string; text: string }[];
  diagnostics: Diagnostic[];
}

const ENTRY = "main.route";
const isRouteFile = (name: string): boolean => name.endsWith(".route");

/** Loads the policy named by `paths` (files or directories). */
export function loadPolicy(paths: readonly string[], host: LoadHost, parse: ParseFn): LoadResult {
  const result: LoadResult = { files: [], sources: [], diagnostics: [] };
  const done = new Set<string>();
  const stack: string[] = [];

  function visit(path: string, from?: ImportDecl): void {
    if (stack.includes(path)) {
      const cycle = [...stack.slice(stack.indexOf(path)), path].map((p) => `\`${p}\``).join(" → ");
      result.diagnostics.push(
        diagnostic("L002", `import cycle: ${cycle}`, from?.path.span ?? fileSpan(path), {
          help: "each file is included once; move the shared declarations into a file both can import",
        }),
      );
      return;
    }
    if (done.has(path)) return;
    const text = host.isDir(path) ? undefined : host.read(path);
    if (text === undefined) {
      const what = host.isDir(path) ? `\`${path}\` is a directory, not a \`.route\` file` : `cannot find \`${path}\``;
      const fix = from && !host.isDir(path) ? besideIt(from, path, host) : undefined;
      result.diagnostics.push(diagnostic("L001", what, from?.path.span ?? fileSpan(path), fix ? { fix } : {}));
      return;
    }
    done.add(path);
    result.sources.push({ path, text });
    const parsed = parse(text, path);
    result.diagnostics.push(...parsed.diagnostics);
    stack.push(path);
    emitWithImports(parsed.file, path);
    stack.pop();
  }

  /** Emits the file's declarations, descending into each import where it is written. */
  function emitWithImports(file: SourceFile, path: string): void {
    if (!file.declarations.some((d) => d.kind === "import")) {
      result.files.push(file);
      return;
    }
    let segment: Declaration[] = [];
    let start = 0;
    let emitted = false;
    const flush = (last: boolean): void => {
      if (segment.length === 0 && !(last && !emitted)) return;
      const end = last ? Infinity : segment[segment.length - 1]!.span.endOffset;
      result.files.push(segmentOf(file, segment, start, end));
      emitted = true;
      start = end;
      segment = [];
    };
    for (const decl of file.declarations) {
      segment.push(decl);
      if (decl.kind !== "import" || decl.path.value === "") continue;
      flush(false);
      visit(join(dirname(path), decl.path.value), decl);
    }
    flush(true);
  }

  const dirs: string[] = [];
  for (const raw of paths) {
    const path = normalize(raw);
    if (host.isDir(path)) {
      const entry = entryFile(path, host, result.diagnostics);
      // Without an entry there is no policy to leave files out of: L004 alone says what is wrong.
      if (entry) {
        dirs.push(path);
        visit(entry);
      }
    } else visit(path);
  }
  for (const dir of dirs) {
    for (const file of routeFilesUnder(dir, host)) {
      if (done.has(file)) continue;
      result.diagnostics.push(
        diagnostic("L003", `\`${file}\` is never imported, so it is not part of the policy`, fileSpan(file), {
          help: `import it where its routes should be tried, e.g. \`import "${relativeTo(dir, file)}"\` in the entry file, or delete it`,
        }),
      );
    }
  }
  return result;
}

/** For an import of a file that is not there: the `.route` file beside it with the closest name. */
function besideIt(from: ImportDecl, path: string, host: LoadHost): Fix | undefined {
  const names = (host.list(dirname(path)) ?? []).filter((n) => isRouteFile(n) && !host.isDir(join(dirname(path), n)));
  const name = suggest(basename(path), names);
  if (name === undefined) return undefined;
  const written = from.path.value;
  const slash = written.lastIndexOf("/");
  const fixed = `${written.slice(0, slash + 1)}${name}`;
  return { message: `did you mean the file \`${fixed}\`?`, edits: [{ span: from.path.span, text: JSON.stringify(fixed) }] };
}

/** A directory's entry file: `main.route`, or its only `.route` file. */
function entryFile(dir: string, host: LoadHost, out: Diagnostic[]): string | undefined {
  const names = host.list(dir);
  if (names === undefined) {
    out.push(diagnostic("L001", `cannot read the directory \`${dir}\``, fileSpan(dir)));
    return undefined;
  }
  if (names.includes(ENTRY) && !host.isDir(join(dir, ENTRY))) return join(dir, ENTRY);
  const routes = names.filter((n) => isRouteFile(n) && !host.isDir(join(dir, n))).sort();
  if (routes.length === 1) return join(dir, routes[0]!);
  const span: Span = fileSpan(dir);
  out.push(
    routes.length === 0
      ? diagnostic("L004", `\`${dir}\` has no \`.route\` files`, span, { help: policiesBelowHelp(dir, host) })
      : diagnostic("L004", `\`${dir}\` has several \`.route\` files and no \`${ENTRY}\` to say which comes first`, span, {
          help: `add a \`${ENTRY}\` that imports ${routes.map((r) => `\`${r}\``).join(", ")} in the order their routes should be tried`,
        }),
  );
  return undefined;
}

/** Where the policies below an empty directory are, so the fix is one copy-paste away. */
function policiesBelowHelp(dir: string, host: LoadHost): string {
  // The outermost directories holding `.route` files: `examples/production`, not also its `routes/`.
  const dirs = [...new Set(routeFilesUnder(dir, host).map(dirname))];
  const found = dirs.filter((d) => !dirs.some((o) => o !== d && d.startsWith(`${o}/`)));
  if (found.length === 0) return "give the path of a `.route` file, or of a directory holding `main.route`";
  const shown = found.slice(0, 3).map((d) => `\`${d}\``).join(", ");
  return `give the policy's path; directories below with \`.route\` files: ${shown}${found.length > 3 ? `, and ${found.length - 3} more` : ""}`;
}

/** Every `.route` file under `dir`, sorted, skipping hidden directories and node_modules. */
function routeFilesUnder(dir: string, host: LoadHost): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of [...(host.list(d) ?? [])].sort()) {
      const path = join(d, name);
      if (host.isDir(path)) {
        if (!name.startsWith(".") && name !== "node_modules") walk(path);
      } else if (isRouteFile(name)) out.push(path);
    }
  };
  walk(dir);
  return out;
}

function relativeTo(dir: string, file: string): string {
  return dir === "." ? file : file.startsWith(`${dir}/`) ? file.slice(dir.length + 1) : basename(file);
}

/** The part of `file` holding `declarations`, with the comments between offsets `start` and `end`. */
function segmentOf(file: SourceFile, declarations: Declaration[], start: number, end: number): SourceFile {
  const inside = (c: Comment): boolean => c.span.offset >= start && c.span.offset < end;
  return { ...file, declarations, comments: file.comments.filter(inside) };
}
