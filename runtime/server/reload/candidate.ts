/**
 * Where the shadow's candidate policy comes from and when it is read again.
 * `--shadow CANDIDATE` names a file or directory on disk when one exists,
 * else a git ref whose committed tree is read at the live policy's paths
 * (as `aigw diff main HEAD` reads a side, through runtime/server/reload's
 * git source). Each load is compiled and tested off the request path by the
 * live reloader's verifier (shared: one compile worker; its owner closes it); a candidate that does not compile (or
 * cannot be read) stops the shadowing, says why in the log and in `GET
 * /admin/shadow`, and never touches live traffic. The candidate is read
 * again when the live policy reloads and, when the gateway follows its
 * source (`--watch`, `--git`), when its own files or ref change.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { diagnosticJson, type Diagnostic } from "../../../lang/diagnostics.js";
import type { Logger } from "../../observe/log.js";
import type { Shadow } from "../../shadow/index.js";
import { fsSource } from "./fs-source.js";
import { gitSource } from "./git-source.js";
import { presence } from "./reloader.js";
import type { PolicySource, ReadSet, SourceWatch } from "./source.js";
import { describeOrigin } from "./status.js";
import type { Verifier } from "./verifier.js";

/** The candidate's source: the path when it exists, else `spec` as a git ref read at `livePaths`. Rejects (a `SourceError`) when it is neither. */
export async function candidateSource(spec: string, livePaths: readonly string[], cwd: string): Promise<PolicySource> {
  if (existsSync(resolve(cwd, spec))) return fsSource([spec], { cwd });
  return gitSource(livePaths, spec, { cwd });
}

/** At most this many diagnostics are quoted in the error a broken candidate reports. */
const QUOTED = 5;

export class Candidate {
  #watch: SourceWatch | undefined;
  /** What the last compile read: the watcher starts from it. */
  #read: ReadSet | undefined;
  #running: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    private readonly spec: string,
    private readonly source: PolicySource,
    private readonly verifier: Verifier,
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly shadow: Shadow,
    private readonly log: Logger,
  ) {}

  /** Reads, compiles and installs the candidate (loads never overlap); resolves when done, never rejects. */
  load(trigger: string): Promise<void> {
    this.#running = this.#running.then(() => this.#load(trigger));
    return this.#running;
  }

  /** Follows the candidate's files or ref. */
  async follow(): Promise<void> {
    if (this.#closed) return;
    this.#watch = await this.source.watch((trigger) => void this.load(trigger));
    if (this.#read !== undefined) this.#watch.update(this.#read);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#watch?.close();
    await this.#running;
  }

  async #load(trigger: string): Promise<void> {
    if (this.#closed) return;
    let where = this.spec;
    try {
      const snapshot = await this.source.load();
      where = describeOrigin(snapshot.origin);
      const report = await this.verifier.verify(snapshot.input, presence(this.env));
      this.#read = report;
      this.#watch?.update(report);
      const errors = report.diagnostics.filter((d) => d.severity === "error");
      if (report.graph === undefined || errors.length > 0) return this.#fail(`the candidate does not compile: ${quote(errors)}`, where, trigger);
      const failedTests = report.results.filter((t) => !t.passed).length;
      this.shadow.use(report.graph, { source: where, failedTests });
      this.log.info("shadow candidate loaded", { policy: report.graph.policy, source: where, trigger, routes: report.graph.routes.length, failedTests });
    } catch (err) {
      this.#fail(`the candidate cannot be read: ${err instanceof Error ? err.message : String(err)}`, where, trigger);
    }
  }

  #fail(message: string, source: string, trigger: string): void {
    this.shadow.fail(message, source);
    this.log.error("shadow candidate rejected: shadowing stopped", { source, trigger, error: message });
  }
}

function quote(errors: readonly Diagnostic[]): string {
  const shown = errors.slice(0, QUOTED).map((d) => {
    const j = diagnosticJson(d);
    return `${j.code} ${j.file}:${j.line}:${j.column}: ${j.message}`;
  });
  return `${shown.join("; ")}${errors.length > QUOTED ? `; and ${errors.length - QUOTED} more` : ""}` || "no graph";
}
