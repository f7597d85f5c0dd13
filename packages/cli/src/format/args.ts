/**
 * Joins `--name -5` into `--name=-5` for the given string options, so that
 * a negative number (or `-`, stdin) reaches the option's own check and its
 * clear message. Without this, node's parseArgs refuses `--timeout -5` as
 * "ambiguous", which tells the user nothing about what the value must be.
 */
export function joinDashValues(args: readonly string[], stringOptions: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (arg.startsWith('--') && stringOptions.includes(arg.slice(2)) && next !== undefined && /^-(\d|\.\d|$)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}
