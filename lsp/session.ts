/**
 * The server's state: the open buffers, the policies they belong to and the
 * latest analysis of each, kept current by debounced rounds.
 *
 * An edit marks its file dirty and (re)starts the debounce timer; a round
 * re-analyses every policy that read a dirty file, resolves the policy of a
 * newly opened file, and publishes the diagnostics of each policy it ran.
 * Rounds never overlap, and an edit during a round starts another. A request
 * (hover, definition …) first flushes: it runs a pending round at once, so
 * an answer always reflects the text the editor just sent.
 */
import { statSync } from "node:fs";
import type { Diagnostic as LspDiagnostic } from "vscode-languageserver";
import { analyse, type Analysis } from "./analysis.js";
import { diagnosticsByUri } from "./diagnostics.js";
import { overlayHost, policyOf } from "./workspace.js";

export interface SessionOptions {
  debounceMs: number;
  env: Readonly<Record<string, string | undefined>>;
  /** Workspace folder paths. */
  folders: readonly string[];
  publish(uri: string, diagnostics: LspDiagnostic[]): void;
  /** After each policy is analysed (code lenses show test verdicts and go stale). */
  analysed?(): void;
}

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return true; // a missing file (an unsaved buffer, a deleted file) is still a file to report on
  }
};

/** A policy's key: its loader paths. */
const keyOf = (paths: readonly string[]): string => JSON.stringify(paths);

export class Session {
  private readonly open = new Map<string, string>();
  /** Open file → the key of its policy. */
  private readonly policyKey = new Map<string, string>();
  private readonly analyses = new Map<string, Analysis>();
  private readonly dirty = new Set<string>();
  /** URI → policy key → what that policy reports there (a file can hear from two policies: its own and one that warns it is not imported). */
  private readonly reported = new Map<string, Map<string, LspDiagnostic[]>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: SessionOptions) {}

  /** An opened or edited buffer. */
  setText(path: string, text: string): void {
    this.open.set(path, text);
    this.touch([path]);
  }

  /** A closed buffer: its file is read from disk again. */
  close(path: string): void {
    this.open.delete(path);
    this.policyKey.delete(path);
    this.touch([path]);
  }

  /** Files changed on disk; `structural` when files were created or deleted, which can change what each policy loads. */
  filesChanged(paths: readonly string[], structural: boolean): void {
    if (structural) this.policyKey.clear();
    this.touch(paths.length > 0 ? paths : [...this.open.keys()]);
  }

  /** The text of an open buffer. */
  text(path: string): string | undefined {
    return this.open.get(path);
  }

  private touch(paths: readonly string[]): void {
    for (const p of paths) this.dirty.add(p);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.options.debounceMs);
  }

  /** Runs pending rounds now; resolves when the analyses are current. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running || this.dirty.size > 0) {
      if (this.running) {
        await this.running;
        continue;
      }
      this.running = this.round().finally(() => (this.running = undefined));
      await this.running;
    }
  }

  /** The current analysis of the policy `path` belongs to (analysing it first if need be). */
  async analysisOf(path: string): Promise<Analysis> {
    await this.flush();
    let key = this.policyKey.get(path);
    if (key === undefined || !this.analyses.get(key)?.texts.has(path)) {
      key = keyOf(policyOf(path, this.options.folders, overlayHost(this.open)));
      if (this.open.has(path)) this.policyKey.set(path, key);
      if (!this.analyses.has(key)) await this.run(key);
    }
    return this.analyses.get(key)!;
  }

  private async round(): Promise<void> {
    const dirty = [...this.dirty];
    this.dirty.clear();
    const host = overlayHost(this.open);
    const due = new Set<string>();
    for (const [key, a] of this.analyses) if (dirty.some((p) => a.texts.has(p))) due.add(key);
    for (const path of dirty) {
      if (!this.open.has(path)) continue;
      let key = this.policyKey.get(path);
      if (key === undefined) {
        key = keyOf(policyOf(path, this.options.folders, host));
        this.policyKey.set(path, key);
      }
      due.add(key);
    }
    for (const key of due) await this.run(key);
    // An edit can take a file out of its policy (an import removed): find its new one.
    for (const path of this.open.keys()) {
      const key = this.policyKey.get(path);
      if (key === undefined || this.analyses.get(key)?.texts.has(path)) continue;
      const next = keyOf(policyOf(path, this.options.folders, host));
      this.policyKey.set(path, next);
      if (next !== key || !this.analyses.has(next)) await this.run(next);
    }
  }

  private async run(key: string): Promise<void> {
    const paths = JSON.parse(key) as string[];
    const analysis = await analyse(paths, overlayHost(this.open), this.options.env);
    this.analyses.set(key, analysis);
    this.publish(key, diagnosticsByUri(analysis, isFile));
    this.options.analysed?.();
  }

  private publish(key: string, byUri: Map<string, LspDiagnostic[]>): void {
    for (const [uri, from] of this.reported) {
      if (from.has(key) && !byUri.has(uri)) {
        from.delete(key);
        this.options.publish(uri, [...from.values()].flat());
      }
    }
    for (const [uri, list] of byUri) {
      const from = this.reported.get(uri) ?? new Map<string, LspDiagnostic[]>();
      this.reported.set(uri, from);
      from.set(key, list);
      this.options.publish(uri, [...from.values()].flat());
    }
  }
}
