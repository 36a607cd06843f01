// What the benches run as the server and the worker: their production builds by default, the
// bundles that `npm run build` writes and `npm run serve` runs (apps/server/dist/main.js,
// apps/worker/dist/main.js). Each is built afresh once per bench process (esbuild, about 2 s), so
// it always holds the current sources. BENCH_SERVER=tsx runs the sources under tsx instead, as
// `npm start` does. tsx compiles with esbuild's keepNames, which wraps every named function in a
// call that redefines its `name`, so each closure made at run time turns into a dictionary-mode
// function with a map of its own. In bench fanout that cost the dev path 2-15 µs of CPU per
// message and 1 KB per connection (decision 069).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const built = new Set<App>();

export type App = 'server' | 'worker';

/** Which server and worker the benches run: `build` (the default) or `tsx`. */
export function serverKind(): 'build' | 'tsx' {
  return process.env.BENCH_SERVER === 'tsx' ? 'tsx' : 'build';
}

/** The node arguments that start the app from its directory (apps/<app>): builds it first, once. */
export function appEntry(app: App): string[] {
  if (serverKind() === 'tsx') return ['--import', 'tsx', 'src/main.ts'];
  if (!built.has(app)) {
    const result = spawnSync(process.execPath, ['scripts/build.mjs', app], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (result.status !== 0)
      throw new Error(`building the ${app} failed (exit ${result.status ?? result.signal})`);
    built.add(app);
  }
  return ['dist/main.js'];
}
