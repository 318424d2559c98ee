/**
 * bench/soak/reloads: hot reload under load. Every few seconds the driver
 * does one thing, in a fixed cycle:
 *
 *   valid, valid, invalid (a compile error), valid, POST /admin/reload, invalid (a failing test)
 *
 * A valid write alternates the two valid variants, so it always differs
 * from the version serving and must be applied; an invalid one must be
 * refused while the last good version keeps serving; the admin reload must
 * answer `unchanged`. Each step waits for its effect on `GET /admin/policy`
 * (polled every 20 ms, up to 10 s), which also times how long a change
 * takes to go live.
 *
 * Files are replaced atomically (written beside the policy directory, then
 * renamed over `main.route`): a reader can never see half a file, so a
 * refusal always means the policy, not a torn write.
 *
 * Traffic must follow: the driver keeps the history of which version served
 * when, as intervals [written, seen replaced], and a response's
 * `x-aigw-policy` must be a version that was serving at some moment between
 * the request being sent and its headers arriving.
 */
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Pool } from "undici";
import type { PolicyVariant } from "./policy.js";

/** One step of the cycle. */
type Step = { kind: "write"; variant: PolicyVariant } | { kind: "admin" };

/** What the reload driver saw, for the report. */
export interface ReloadReport {
  validWrites: number;
  invalidWrites: number;
  adminReloads: number;
  /** Write → `/admin/policy` showing the new version, per valid write (ms). */
  liveMs: number[];
  /** The gateway's own counters at the end (`reloads` of `/admin/policy`). */
  counters?: { attempts: number; applied: number; unchanged: number; rejected: number };
  /** Problems: a valid write not applied, an invalid one applied or not refused, an admin reload that did not answer `unchanged`. */
  problems: string[];
  /** Distinct versions served. */
  versions: string[];
}

interface Interval {
  version: string;
  from: number;
  to: number;
}

const POLL_MS = 20;
const CONFIRM_MS = 10_000;

/** Drives the reloads and answers whether a response's version was serving when it was decided. */
export class ReloadDriver {
  private readonly intervals: Interval[] = [];
  private step = 0;
  private valid = 0;
  private readonly report: ReloadReport = { validWrites: 0, invalidWrites: 0, adminReloads: 0, liveMs: [], problems: [], versions: [] };

  /**
   * `admin` is a pool to the gateway, `token` its admin token, `policyFile`
   * the served `main.route`, `scratchDir` a directory on the same file system
   * outside the watched one, `text` renders a variant.
   */
  constructor(
    private readonly admin: Pool,
    private readonly token: string,
    private readonly policyFile: string,
    private readonly scratchDir: string,
    private readonly text: (v: PolicyVariant) => string,
  ) {}

  /** Reads the version serving at start. */
  async start(): Promise<void> {
    const status = await this.status();
    this.intervals.push({ version: status.active.policy, from: -Infinity, to: Infinity });
    this.report.versions.push(status.active.policy);
  }

  /**
   * True from just before a step changes anything until its effect was seen:
   * a response may then carry a version the history does not have yet, so
   * its check waits for the step ({@link next} resolving).
   */
  busy = false;

  /** Performs the next step of the cycle and waits for its effect. */
  async next(): Promise<void> {
    const step = this.cycle(this.step++);
    this.busy = true;
    try {
      if (step.kind === "admin") return await this.adminReload();
      if (step.variant.kind === "valid") return await this.validWrite(step.variant);
      return await this.invalidWrite(step.variant);
    } catch (err) {
      this.report.problems.push(`a reload step (${step.kind === "admin" ? "admin" : step.variant.kind}) failed: ${String(err)}`);
    } finally {
      this.busy = false;
    }
  }

  /** True when `version` was serving at some moment in [sentAt, headersAt] (exact while not {@link busy}). */
  served(version: string, sentAt: number, headersAt: number): boolean {
    for (const i of this.intervals) if (i.version === version && i.from <= headersAt && i.to >= sentAt) return true;
    return false;
  }

  /** The report; `counters` from a last `/admin/policy`. */
  async finish(): Promise<ReloadReport> {
    const s = await this.status();
    this.report.counters = { attempts: s.reloads.attempts, applied: s.reloads.applied, unchanged: s.reloads.unchanged, rejected: s.reloads.rejected };
    if (s.reloads.applied !== this.report.validWrites) this.report.problems.push(`${this.report.validWrites} valid writes but ${s.reloads.applied} reloads applied`);
    if (s.reloads.rejected < this.report.invalidWrites) this.report.problems.push(`${this.report.invalidWrites} invalid writes but only ${s.reloads.rejected} reloads refused`);
    if (s.reloads.unchanged < this.report.adminReloads) this.report.problems.push(`${this.report.adminReloads} admin reloads but only ${s.reloads.unchanged} counted unchanged`);
    return { ...this.report, liveMs: [...this.report.liveMs], problems: [...this.report.problems], versions: [...this.report.versions] };
  }

  private cycle(i: number): Step {
    switch (i % 6) {
      case 2:
        return { kind: "write", variant: { kind: "invalid", why: "compile" } };
      case 4:
        return { kind: "admin" };
      case 5:
        return { kind: "write", variant: { kind: "invalid", why: "test" } };
      default:
        return { kind: "write", variant: { kind: "valid", variant: (++this.valid % 2) as 0 | 1 } };
    }
  }

  private write(v: PolicyVariant): number {
    const tmp = join(this.scratchDir, `main.route.${process.pid}.tmp`);
    writeFileSync(tmp, this.text(v));
    const at = performance.now();
    renameSync(tmp, this.policyFile);
    return at;
  }

  private async validWrite(v: PolicyVariant): Promise<void> {
    const before = (await this.status()).active.policy;
    const at = this.write(v);
    this.report.validWrites++;
    const seen = await this.until((s) => s.active.policy !== before);
    if (seen === undefined) {
      this.report.problems.push(`a valid policy written at ${(at / 1000).toFixed(1)} s was not applied within ${CONFIRM_MS / 1000} s`);
      return;
    }
    const now = performance.now();
    this.report.liveMs.push(now - at);
    const version = seen.active.policy;
    const current = this.intervals[this.intervals.length - 1]!;
    current.to = now;
    this.intervals.push({ version, from: at, to: Infinity });
    if (!this.report.versions.includes(version)) this.report.versions.push(version);
  }

  private async invalidWrite(v: PolicyVariant): Promise<void> {
    const before = await this.status();
    this.write(v);
    this.report.invalidWrites++;
    const seen = await this.until((s) => s.reloads.rejected > before.reloads.rejected || s.active.policy !== before.active.policy);
    const why = v.kind === "invalid" ? v.why : "?";
    if (seen === undefined) this.report.problems.push(`an invalid policy (${why}) was not refused within ${CONFIRM_MS / 1000} s`);
    else if (seen.active.policy !== before.active.policy) this.report.problems.push(`an invalid policy (${why}) went live as ${seen.active.policy}`);
  }

  private async adminReload(): Promise<void> {
    this.report.adminReloads++;
    const res = await this.admin.request({ path: "/admin/reload", method: "POST", headers: { authorization: `Bearer ${this.token}` } });
    const text = await res.body.text();
    let status: unknown;
    try {
      status = (JSON.parse(text) as { status?: unknown }).status;
    } catch {
      status = undefined;
    }
    if (res.statusCode !== 200 || status !== "unchanged") this.report.problems.push(`POST /admin/reload answered ${res.statusCode} ${text.slice(0, 200)}, expected 200 \`unchanged\``);
  }

  private async until(done: (s: AdminPolicy) => boolean): Promise<AdminPolicy | undefined> {
    const end = performance.now() + CONFIRM_MS;
    while (performance.now() < end) {
      const s = await this.status();
      if (done(s)) return s;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return undefined;
  }

  private async status(): Promise<AdminPolicy> {
    const res = await this.admin.request({ path: "/admin/policy", method: "GET", headers: { authorization: `Bearer ${this.token}` } });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET /admin/policy answered ${res.statusCode}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as AdminPolicy;
  }
}

/** The parts of `GET /admin/policy` (runtime/server/reload/status.ts) the driver reads. */
interface AdminPolicy {
  active: { policy: string };
  reloads: { attempts: number; applied: number; unchanged: number; rejected: number };
}
