import { readFile } from 'node:fs/promises';

/** CPU seconds (user + system) a process has used so far, from /proc (0 once it has gone). */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, fields 14 and 15 of proc(5), in clock ticks of 1/100 s.
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100;
}

/** The whole machine's CPU time so far, all cores together, in seconds: busy and idle (idle + iowait). */
export interface MachineCpu {
  busy: number;
  idle: number;
}

/** The machine's CPU time so far, from /proc/stat's first line (clock ticks of 1/100 s). */
export async function machineCpu(): Promise<MachineCpu> {
  const stat = await readFile('/proc/stat', 'utf8');
  const ticks = (stat.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = ticks;
  return { busy: (user + nice + system + irq + softirq + steal) / 100, idle: (idle + iowait) / 100 };
}

/** Busy core-seconds since `before`, and the share of all cores' time they were. */
export async function machineCpuSince(before: MachineCpu): Promise<{ busy: number; share: number }> {
  const now = await machineCpu();
  const busy = now.busy - before.busy;
  const total = busy + now.idle - before.idle;
  return { busy, share: total > 0 ? busy / total : 0 };
}
