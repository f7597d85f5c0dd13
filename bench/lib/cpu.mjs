// CPU time of benchmark processes, read from /proc/<pid>/stat (Linux): on a
// saturated machine, throughput is decided by the CPU every process of a run
// spends per delivered message, which this makes visible. The unit is a clock
// tick (10 ms at USER_HZ 100): each process's delta is off by under a tick, so
// a figure is good to a few % only over a phase of a second or more, not in
// --quick runs.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond;
/** USER_HZ, the unit of utime/stime (100 almost everywhere). */
function hz() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * utime + stime of process `pid` in seconds, or undefined where /proc cannot
 * tell (not Linux, the process is gone). Fields 14 and 15 of the stat line,
 * counted after the command name, which may itself hold spaces.
 */
export function cpuSecondsOf(pid) {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / hz();
  } catch {
    return undefined;
  }
}

/** CPU seconds of each named group of pids, read now: {publisher: s, subscribers: s, …}. */
export function cpuSnapshot(groups) {
  const out = {};
  for (const [name, pids] of Object.entries(groups)) {
    let sum = 0;
    for (const pid of pids) {
      const s = cpuSecondsOf(pid);
      if (s === undefined) return undefined;
      sum += s;
    }
    out[name] = sum;
  }
  return out;
}
