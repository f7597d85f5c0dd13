// Versions of the systems under test, for the results. Reads the installed
// package's own package.json by climbing from its entry point, so it works
// for packages whose exports map does not list ./package.json.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The version of an installed dependency, or undefined when it is not installed. */
export function packageVersion(name) {
  let dir;
  try {
    dir = dirname(require.resolve(name));
  } catch {
    return undefined;
  }
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === name) return pkg.version;
    } catch {
      // No package.json at this level: keep climbing.
    }
    if (dirname(dir) === dir) return undefined;
    dir = dirname(dir);
  }
}
