import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * CPU time spent, for the benchmarks that share this machine's cores with PostgreSQL: this
 * process (every thread of it) and every PostgreSQL server process on this host, read from
 * `/proc`. Wall-clock rates say how fast a run went; CPU per row says what the same work costs
 * whatever else ran beside it, and the rate the machine's cores could give at that cost.
 */
export interface CpuReading {
  /** Seconds of CPU of this process. */
  self: number;
  /** Seconds of CPU of PostgreSQL's processes on this host; null where none can be read. */
  postgres: number | null;
}

/** `/proc/<pid>/stat` counts in USER_HZ, which Linux fixes at 100 for user space. */
const USER_HZ = 100;

/** utime + stime of one `/proc/<pid>/stat` line, when its command is `postgres`. */
function postgresSeconds(stat: string): number | null {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (stat.slice(open + 1, close) !== 'postgres') return null;
  // After the command: state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt, majflt,
  // cmajflt, utime, stime.
  const fields = stat.slice(close + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

function postgresCpu(): number | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  let total = 0;
  let seen = false;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone since the listing
    }
    const seconds = postgresSeconds(stat);
    if (seconds === null) continue;
    total += seconds;
    seen = true;
  }
  return seen ? total : null;
}

export function cpuNow(): CpuReading {
  const { user, system } = process.cpuUsage();
  return { self: (user + system) / 1e6, postgres: postgresCpu() };
}

/** CPU spent between two readings; PostgreSQL's is null unless both saw it. */
export function cpuSince(start: CpuReading, end: CpuReading = cpuNow()): CpuReading {
  return {
    self: end.self - start.self,
    postgres: start.postgres === null || end.postgres === null ? null : end.postgres - start.postgres,
  };
}

export function addCpu(a: CpuReading, b: CpuReading): CpuReading {
  return {
    self: a.self + b.self,
    postgres: a.postgres === null || b.postgres === null ? null : a.postgres + b.postgres,
  };
}

export const NO_CPU: CpuReading = { self: 0, postgres: 0 };

/**
 * `label: a µs + b µs = c µs a row, at most N rows/s on K cores`: the CPU of this process and
 * of PostgreSQL per row, and the rate the cores would give if that work used all of them and
 * nothing else ran (so no run on this machine can go faster at this cost).
 */
export function cpuPerRow(label: string, cpu: CpuReading, rows: number): string {
  const cores = availableParallelism();
  const self = (cpu.self / rows) * 1e6;
  if (cpu.postgres === null) return `${label} ${self.toFixed(1)} µs a row (PostgreSQL not on this host)`;
  const pg = (cpu.postgres / rows) * 1e6;
  const ceiling = (cores * 1e6) / (self + pg);
  return (
    `${label} ${self.toFixed(1)} + PostgreSQL ${pg.toFixed(1)} = ${(self + pg).toFixed(1)} µs a row, ` +
    `at most ${ceiling.toFixed(0)} rows/s on ${cores} cores`
  );
}
