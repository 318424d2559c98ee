/**
 * `--watch`: the file watcher picks up editors' atomic saves (write a temp
 * file, rename it over the original), plain writes, files added in new
 * directories through an import, and files removed.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fsSource, inlineVerifier, Reloader } from "../../runtime/server/reload/index.js";
import { atomicSave, chat, ENV, eventually, startReloading, stopAll, tempDir, upstreamOf, VERSIONS, writeFile, type Version } from "./helpers.js";

afterEach(stopAll);

const targetIs = (base: string, v: Version) => async () => ((await chat(base)).target === v ? true : undefined);

/** A policy split over two files: main.route declares the models and imports the file holding the route. */
const MODELS = ['gateway { auth none admin_token env("AIGW_ADMIN_TOKEN") }', "provider demo { api mock }", ...VERSIONS.map((m) => `model ${m} = demo/"${upstreamOf(m)}"`)].join("\n");
const mainImporting = (file: string): string => `${MODELS}\nimport "${file}"\n`;
const routeTo = (v: Version): string => `route chat { when model == "chat" to ${v} }\nroute other { to ${v} }\n`;

describe("--watch", () => {
  it("picks up an editor's atomic save and a plain write", async () => {
    const dir = tempDir({ "main.route": `${MODELS}\n${routeTo("a")}` });
    const { base, reloader } = await startReloading(fsSource([dir]), { watch: true });
    expect((await chat(base)).target).toBe("a");

    atomicSave(join(dir, "main.route"), `${MODELS}\n${routeTo("b")}`);
    await eventually(targetIs(base, "b"));
    expect(reloader.status().active.trigger).toBe("file");

    writeFile(join(dir, "main.route"), `${MODELS}\n${routeTo("c")}`);
    await eventually(targetIs(base, "c"));
    // A second atomic save of the same file: the watch survives the first rename.
    atomicSave(join(dir, "main.route"), `${MODELS}\n${routeTo("a")}`);
    await eventually(targetIs(base, "a"));
  });

  it("never loses the last of several quick saves", async () => {
    const dir = tempDir({ "main.route": `${MODELS}\n${routeTo("a")}` });
    const { base } = await startReloading(fsSource([dir]), { watch: true });
    // Each save lands while the previous one's reload may be running: the last state must win.
    for (const v of ["b", "c", "a", "b", "c"] as const) {
      atomicSave(join(dir, "main.route"), `${MODELS}\n${routeTo(v)}`);
      await new Promise((r) => setTimeout(r, 15));
    }
    await eventually(targetIs(base, "c"));
    writeFile(join(dir, "main.route"), `${MODELS}\n${routeTo("b")}`);
    writeFile(join(dir, "main.route"), `${MODELS}\n${routeTo("a")}`);
    await eventually(targetIs(base, "a"));
  });

  it("does not miss a change made between the start-up compile and the watch", async () => {
    const dir = tempDir({ "main.route": `${MODELS}\n${routeTo("a")}` });
    const reloader = new Reloader({ source: fsSource([dir]), env: ENV, verifier: inlineVerifier() });
    const installed: string[] = [];
    try {
      const first = await reloader.check();
      writeFile(join(dir, "main.route"), `${MODELS}\n${routeTo("b")}`);
      await reloader.start({ setGraph: (g) => void installed.push(JSON.stringify(g.routes[0]!.target)) }, first, { watch: true });
      await eventually(() => (installed.length === 1 ? true : undefined));
      expect(installed[0]).toContain('"b"');
    } finally {
      await reloader.close();
    }
  });

  it("follows imports into new directories, and refuses a removed file until it is back", async () => {
    const dir = tempDir({ "main.route": mainImporting("routes.route"), "routes.route": routeTo("a") });
    const { base, reloader } = await startReloading(fsSource([join(dir, "main.route")]), { watch: true });
    expect((await chat(base)).target).toBe("a");

    // A new file in a new directory, then the import that includes it.
    writeFile(join(dir, "teams/search.route"), routeTo("b"));
    atomicSave(join(dir, "main.route"), mainImporting("teams/search.route"));
    await eventually(targetIs(base, "b"));

    // The new file's directory is watched now: editing it alone reloads.
    atomicSave(join(dir, "teams/search.route"), routeTo("c"));
    await eventually(targetIs(base, "c"));

    // Removing it is refused (the import is missing); the last good policy serves on.
    rmSync(join(dir, "teams/search.route"));
    const rejected = await eventually(() => reloader.status().lastRejected ?? undefined);
    expect(rejected.diagnostics.some((d) => d.code === "L001")).toBe(true);
    expect((await chat(base)).target).toBe("c");

    writeFile(join(dir, "teams/search.route"), routeTo("a"));
    await eventually(targetIs(base, "a"));
  });
});
