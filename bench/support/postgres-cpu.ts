// CPU time Postgres spends, read from /proc for the server on one port: its postmaster and every
// backend it forked (the pool keeps its backends alive, so none exits with uncounted time). Linux
// only; clock ticks are 10 ms, so it is meant for spans of thousands of requests.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

function stat(pid: string): { ppid: string; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: rest[1]!, ticks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return undefined;
  }
}

/** Milliseconds of CPU used so far by the Postgres server listening on `port`. */
export function postgresCpuMs(port: number): number {
  const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  let postmaster: string | undefined;
  for (const pid of pids) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const p = args.indexOf('-p');
      if (args[0]?.endsWith('/postgres') && p >= 0 && args[p + 1] === String(port)) postmaster = pid;
    } catch {}
  }
  if (!postmaster) return Number.NaN;
  let ticks = stat(postmaster)?.ticks ?? 0;
  for (const pid of pids) {
    const s = stat(pid);
    if (s?.ppid === postmaster) ticks += s.ticks;
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
