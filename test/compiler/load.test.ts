import { describe, expect, it } from "vitest";
import { parse } from "../../lang/index.js";
import { compile, compilePaths, loadPolicy, memoryHost } from "../../compiler/index.js";
import { policyVersion } from "../../compiler/hash.js";
import { found } from "./helpers.js";

const P = `provider p { api mock }\nmodel m = p/"m" { input $1/Mtok output $1/Mtok }\n`;
const r = (name: string, model: string): string => `route ${name} { when model == "${model}" to m }\n`;

function load(files: Record<string, string>, paths: string[]) {
  return loadPolicy(paths, memoryHost(files), parse);
}

function routeOrder(files: Record<string, string>, paths: string[]): string[] {
  const loaded = load(files, paths);
  return loaded.files.flatMap((f) => f.declarations.flatMap((d) => (d.kind === "route" ? [d.name.name] : [])));
}

describe("loading files and directories", () => {
  it("a directory's entry is main.route; imports are included where they are written", () => {
    const files = {
      "pol/main.route": `${P}${r("first", "a")}import "routes/chat.route"\n${r("last", "z")}`,
      "pol/routes/chat.route": `${r("chat1", "b")}import "../shared/common.route"\n${r("chat2", "c")}`,
      "pol/shared/common.route": r("common", "d"),
    };
    expect(routeOrder(files, ["pol"])).toEqual(["first", "chat1", "common", "chat2", "last"]);
    const loaded = load(files, ["pol"]);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.sources.map((s) => s.path)).toEqual(["pol/main.route", "pol/routes/chat.route", "pol/shared/common.route"]);
    expect(loaded.files.map((f) => f.path)).toEqual([
      "pol/main.route",
      "pol/routes/chat.route",
      "pol/shared/common.route",
      "pol/routes/chat.route",
      "pol/main.route",
    ]);
  });

  it("the routes of the flattened sequence are tried in that order", () => {
    const files = { "main.route": `import "b.route"\n${P}${r("a1", "x")}`, "b.route": `route b1 { when model == "x" and team == "t" to m }` };
    const loaded = load(files, ["."]);
    const result = compile(loaded.files, { sources: loaded.sources });
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.graph!.routes.map((x) => x.name)).toEqual(["b1", "a1"]);
  });

  it("a directory with one .route file uses it as the entry", () => {
    expect(routeOrder({ "d/only.route": `${P}${r("x", "a")}` }, ["d"])).toEqual(["x"]);
  });

  it("each file is included once, at its first import", () => {
    const files = {
      "main.route": `import "a.route"\nimport "b.route"\n${P}`,
      "a.route": `import "shared.route"\n${r("a", "a")}`,
      "b.route": `import "shared.route"\n${r("b", "b")}`,
      "shared.route": r("shared", "s"),
    };
    expect(routeOrder(files, ["main.route"])).toEqual(["shared", "a", "b"]);
  });

  it("several paths are taken in the order given", () => {
    const files = { "x.route": `${P}${r("x", "x")}`, "y.route": r("y", "y") };
    expect(routeOrder(files, ["y.route", "x.route"])).toEqual(["y", "x"]);
    expect(routeOrder(files, ["x.route", "y.route"])).toEqual(["x", "y"]);
  });

  it("L001: a missing import, at the import's path", () => {
    const loaded = load({ "main.route": `${P}import "nope.route"\n` }, ["main.route"]);
    expect(found(loaded.diagnostics, "L001")).toEqual([{ line: 3, column: 8, message: "cannot find `nope.route`" }]);
  });

  it("L001: a missing path on the command line", () => {
    const loaded = load({}, ["gone.route"]);
    expect(found(loaded.diagnostics, "L001")).toEqual([{ line: 1, column: 1, message: "cannot find `gone.route`" }]);
  });

  it("L001: importing a directory", () => {
    const loaded = load({ "main.route": `import "sub"\n`, "sub/x.route": "" }, ["main.route"]);
    expect(found(loaded.diagnostics, "L001")).toEqual([{ line: 1, column: 8, message: "`sub` is a directory, not a `.route` file" }]);
  });

  it("L002: an import cycle names the files in it", () => {
    const files = { "a.route": `import "b.route"\n`, "b.route": `import "c.route"\n`, "c.route": `\n\nimport "a.route"\n` };
    const loaded = load(files, ["a.route"]);
    expect(found(loaded.diagnostics, "L002")).toEqual([
      { line: 3, column: 8, message: "import cycle: `a.route` → `b.route` → `c.route` → `a.route`" },
    ]);
    expect(loaded.diagnostics[0]!.span.file).toBe("c.route");
  });

  it("L002: a file importing itself", () => {
    const loaded = load({ "a.route": `import "./a.route"\n` }, ["a.route"]);
    expect(found(loaded.diagnostics, "L002")).toEqual([{ line: 1, column: 8, message: "import cycle: `a.route` → `a.route`" }]);
  });

  it("L003: .route files in the directory that are never imported (warning)", () => {
    const files = {
      "pol/main.route": `${P}import "used.route"\n`,
      "pol/used.route": "",
      "pol/stray.route": "",
      "pol/sub/old.route": "",
      "pol/.hidden/x.route": "",
      "pol/README.md": "",
    };
    const loaded = load(files, ["pol"]);
    expect(loaded.diagnostics.map((d) => [d.code, d.severity, d.span.file, d.message])).toEqual([
      ["L003", "warning", "pol/stray.route", "`pol/stray.route` is never imported, so it is not part of the policy"],
      ["L003", "warning", "pol/sub/old.route", "`pol/sub/old.route` is never imported, so it is not part of the policy"],
    ]);
  });

  it("L004: a directory with several .route files and no main.route, or none (alone: no L003 for files of a policy that has no entry)", () => {
    expect(load({ "d/a.route": "", "d/b.route": "" }, ["d"]).diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["L004", "`d` has several `.route` files and no `main.route` to say which comes first"],
    ]);
    expect(load({ "d/x.md": "" }, ["d"]).diagnostics.map((d) => d.code)).toEqual(["L004"]);
  });

  it("passes parse diagnostics through", () => {
    const loaded = load({ "a.route": "route {" }, ["a.route"]);
    expect(loaded.diagnostics.some((d) => d.code.startsWith("P"))).toBe(true);
  });

  it("keeps comments with the segment they sit in", () => {
    const files = { "a.route": `// one\nroute x { to m }\n// two\nimport "b.route"\n// three\nroute y { to m }\n`, "b.route": "" };
    const loaded = load(files, ["a.route"]);
    const segs = loaded.files.filter((f) => f.path === "a.route");
    expect(segs.map((f) => f.comments.map((c) => c.text.trim()))).toEqual([["// one", "// two"], ["// three"]]);
  });
});

describe("compilePaths", () => {
  it("hashes the texts read and gives no graph when a file does not parse", () => {
    const good = { "main.route": `${P}${r("a", "x")}` };
    const ok = compilePaths(["main.route"], memoryHost(good));
    expect(ok.graph?.policy).toBe(policyVersion([{ path: "main.route", text: good["main.route"] }]));
    expect(ok.sources.map((s) => s.path)).toEqual(["main.route"]);
    const bad = compilePaths(["main.route", "extra.route"], memoryHost({ ...good, "extra.route": "route {" }));
    expect(bad.graph).toBeUndefined();
    expect(bad.diagnostics.some((d) => d.code === "P002")).toBe(true);
  });
});
