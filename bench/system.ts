/**
 * bench/system: what the benches read from the machine: the busy share of
 * each core (/proc/stat), a process's CPU time and resident memory
 * (/proc/PID/stat, /proc/PID/status), whether a command exists, and the
 * machine description the results carry. Linux only; where /proc is
 * missing the readers return undefined and the reports print "-".
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg, release } from "node:os";

/** Busy and total jiffies of one CPU. */
export interface CoreTimes {
  busy: number;
  total: number;
}

/** Busy and total jiffies per CPU, from /proc/stat (empty where it does not exist). */
export function cpuTimes(): CoreTimes[] {
  try {
    const out: CoreTimes[] = [];
    for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
      const m = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const v = m[2]!.trim().split(/\s+/).map(Number);
      const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
      const idle = v[3]! + v[4]!;
      out[Number(m[1])] = { busy: total - idle, total };
    }
    return out;
  } catch {
    return [];
  }
}

/** Share of core `cpu` that was busy (any process) between two {@link cpuTimes} readings. */
export function busyShare(a: readonly CoreTimes[], b: readonly CoreTimes[], cpu: number): number | undefined {
  const x = a[cpu];
  const y = b[cpu];
  if (!x || !y || y.total === x.total) return undefined;
  return (y.busy - x.busy) / (y.total - x.total);
}

let ticksPerSecond: number | undefined;
/** The kernel's clock tick (`getconf CLK_TCK`), 100 on every common Linux. */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * User + system CPU time of process `pid` (all its threads) so far, in µs,
 * from /proc/PID/stat; the same figure as the process's own
 * `process.cpuUsage()`, at clock-tick resolution (10 ms), which is why runs
 * last seconds. Undefined when the process is gone or /proc is missing.
 */
export function processCpuUs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces; the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1e6) / clockTicks();
  } catch {
    return undefined;
  }
}

/**
 * On-CPU time of process `pid` so far, in µs, summed over its threads from
 * /proc/PID/task/TID/schedstat: nanosecond accounting, where
 * {@link processCpuUs} moves in 10 ms ticks (a paired run of short batches
 * needs the finer one). Threads that ended before the reading are not in it.
 */
export function processCpuPreciseUs(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
    return ns / 1e3;
  } catch {
    return undefined;
  }
}

/** Resident set size of process `pid` in bytes (`VmRSS`), or its peak (`VmHWM`); undefined when unreadable. */
export function rssBytes(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS"): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `command` is on the PATH. */
export function hasCommand(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Whether a command is there to use, and how it got there (a line for the report). */
export interface CommandAvailability {
  available: boolean;
  note: string;
}

/**
 * Makes sure `command` exists, installing Debian's `pkg` with apt-get on
 * first use when it is missing and we are root (apt-get update once if the
 * package lists are stale).
 */
export function ensureDebianCommand(command: string, pkg: string): CommandAvailability {
  if (hasCommand(command)) return { available: true, note: `${command} found` };
  if (process.getuid?.() !== 0 || !hasCommand("apt-get")) return { available: false, note: `${command} not found and cannot be installed here (not root, or no apt-get)` };
  process.stderr.write(`bench: ${command} not found; installing it with \`apt-get install -y ${pkg}\`\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = (): boolean => {
    try {
      execFileSync("apt-get", ["install", "-y", pkg], { stdio: ["ignore", "ignore", "inherit"], env });
      return true;
    } catch {
      return false;
    }
  };
  if (!install()) {
    try {
      execFileSync("apt-get", ["update"], { stdio: ["ignore", "ignore", "inherit"], env });
    } catch {
      // the install below reports the failure
    }
    install();
  }
  return hasCommand(command) ? { available: true, note: `${command} installed with apt-get on first use` } : { available: false, note: `${command} could not be installed with apt-get` };
}

/** The machine a run was made on, as the results record it. */
export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  node: string;
  kernel: string;
  date: string;
  loadAverage: { before: number[]; after?: number[] };
}

/** Describes this machine now (load average "before"; the caller fills in "after"). */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model ?? "unknown",
    cpuCount: list.length,
    node: process.version,
    kernel: `${process.platform} ${release()}`,
    date: new Date().toISOString(),
    loadAverage: { before: loadAverageNow() },
  };
}

/** The 1, 5 and 15 minute load averages, rounded to hundredths. */
export function loadAverageNow(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}
