/**
 * CPU time of this process, its children and a local Postgres server, read from /proc (Linux), for the benchmarks'
 * "CPU a record / a job" columns. Everything answers `undefined` (or 0) where /proc is not readable.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** `/proc/<pid>/stat` fields after the command name: [state, ppid, …]; undefined when unreadable. */
export function procStat(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime (+ cutime + cstime: children waited for) in ms. */
export function cpuMs(fields: string[], withChildren: boolean): number {
  const ticks = Number(fields[11]) + Number(fields[12]) + (withChildren ? Number(fields[13]) + Number(fields[14]) : 0);
  return ticks * TICK_MS;
}

/** CPU ms of processes this one spawned and waited for. */
export function childrenCpuMs(): number {
  const f = procStat('self');
  return f ? (Number(f[13]) + Number(f[14])) * TICK_MS : 0;
}

/** The Postgres server's CPU ms (postmaster, backends that exited, live backends); undefined when not local. */
export function postgresCpuMs(postmaster: number | undefined): number | undefined {
  if (postmaster === undefined) return undefined;
  const main = procStat(postmaster);
  if (!main) return undefined;
  let total = cpuMs(main, true);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = procStat(Number(entry));
    if (f && Number(f[1]) === postmaster) total += cpuMs(f, false);
  }
  return total;
}

/** The server's postmaster pid when it runs on this machine (a backend's parent, named postgres). */
export async function findPostmaster(
  query: (text: string) => Promise<{ rows: unknown[] }>,
): Promise<number | undefined> {
  const { rows } = await query('select pg_backend_pid() as pid');
  const backend = procStat((rows[0] as { pid?: number } | undefined)?.pid ?? -1);
  if (!backend) return undefined;
  const ppid = Number(backend[1]);
  try {
    return readFileSync(`/proc/${ppid}/comm`, 'utf8').trim().startsWith('postgres') ? ppid : undefined;
  } catch {
    return undefined;
  }
}
