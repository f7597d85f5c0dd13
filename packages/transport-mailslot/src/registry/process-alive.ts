/**
 * Whether a process still exists. `process.kill(pid, 0)` sends nothing: on
 * POSIX it checks the pid, and Node implements it on Windows with
 * OpenProcess, so one check serves both backends. EPERM means the process
 * exists but belongs to someone else: alive.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
