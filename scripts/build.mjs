#!/usr/bin/env node
// The production build of the Node processes (decision 049): each app and the CLIs production
// needs are bundled by esbuild into one ES module that plain `node` runs. The workspace packages
// (@paidflow/*, TypeScript sources) are bundled in; an npm dependency stays an import when the
// output's own directory resolves it at run time (the app declares it), and is bundled otherwise
// (a dependency a workspace package brings along), so the output never imports what Node cannot
// find from where it lies.
//   node scripts/build.mjs server worker     (the apps' `build` scripts call it with their target)
import { mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What each target writes: entry (from the repo root) -> output file (from the repo root). */
export const TARGETS = {
  server: [
    { entry: 'apps/server/src/main.ts', out: 'apps/server/dist/main.js' },
    { entry: 'apps/server/src/cli/create-admin.ts', out: 'apps/server/dist/create-admin.js' },
    // It finds the migrations in packages/db/drizzle, next to its source (sourceUrlPlugin).
    { entry: 'packages/db/src/cli/migrate.ts', out: 'apps/server/dist/migrate.js' },
    // The operator's database tools (docs/security.md, docs/backup.md): production has no tsx.
    { entry: 'packages/db/src/cli/create-db-user.ts', out: 'apps/server/dist/create-db-user.js' },
    { entry: 'packages/db/src/cli/backup.ts', out: 'apps/server/dist/backup.js' },
    { entry: 'packages/db/src/cli/restore.ts', out: 'apps/server/dist/restore.js' },
    { entry: 'packages/db/src/cli/check-db.ts', out: 'apps/server/dist/check-db.js' },
  ],
  worker: [{ entry: 'apps/worker/src/main.ts', out: 'apps/worker/dist/main.js' }],
};

/** The directories each target owns (emptied before it builds). */
const OUT_DIRS = { server: ['apps/server/dist'], worker: ['apps/worker/dist'] };

// Bundled CommonJS code may call require() for Node's built-ins: give the ES module one.
const BANNER =
  "import { createRequire as __paidflowRequire } from 'node:module';\nconst require = __paidflowRequire(import.meta.url);";

function isBare(specifier) {
  // `#name` is a package's own subpath import: resolved inside that package, like a relative path.
  return !/^[.#]/.test(specifier) && !path.isAbsolute(specifier) && !specifier.startsWith('node:');
}

/** The package name of a bare specifier: `@scope/name/sub` -> `@scope/name`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * Keeps an npm import external when it resolves from the output's directory, bundles it
 * otherwise; workspace packages are always bundled. Records what it bundled for the report.
 */
function externalsPlugin(outDir, bundled) {
  return {
    name: 'paidflow-externals',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.probe || !isBare(args.path) || args.path.startsWith('@paidflow/')) return;
        const fromOutput = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: outDir,
          pluginData: { probe: true },
        });
        if (fromOutput.errors.length === 0) return { path: args.path, external: true };
        bundled.add(packageName(args.path));
        return;
      });
    },
  };
}

/**
 * A workspace module that finds files next to itself (`new URL('../drizzle', import.meta.url)`,
 * a repo root `../../..` away) must keep doing so from inside the bundle: its `import.meta.url`
 * becomes its own source file's URL, computed from the bundle's URL at run time, so the output
 * still works wherever the tree is installed.
 */
function sourceUrlPlugin(outDir) {
  return {
    name: 'paidflow-source-url',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return;
        const contents = await readFile(args.path, 'utf8');
        if (!contents.includes('import.meta.url')) return { contents, loader: 'ts' };
        const relative = path.relative(outDir, args.path).split(path.sep).join('/');
        const url = `new URL(${JSON.stringify(relative)}, import.meta.url).href`;
        return { contents: contents.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
}

async function buildOne({ entry, out }) {
  const outfile = path.join(ROOT, out);
  const bundled = new Set();
  // esbuild resolves the probes from this directory: it must exist.
  mkdirSync(path.dirname(outfile), { recursive: true });
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'linked',
    banner: { js: BANNER },
    // Native addons and their loaders stay on disk.
    loader: { '.node': 'copy' },
    plugins: [externalsPlugin(path.dirname(outfile), bundled), sourceUrlPlugin(path.dirname(outfile))],
    logLevel: 'warning',
    metafile: true,
  });
  const bytes = result.metafile.outputs[path.relative(process.cwd(), outfile)]?.bytes;
  return { out, bytes, bundled: [...bundled].sort() };
}

/** Builds the named targets (`server`, `worker`); returns one line per output written. */
export async function buildTargets(names) {
  const lines = [];
  for (const name of names) {
    const outputs = TARGETS[name];
    if (!outputs)
      throw new Error(`unknown build target "${name}" (known: ${Object.keys(TARGETS).join(', ')})`);
    for (const dir of OUT_DIRS[name]) rmSync(path.join(ROOT, dir), { recursive: true, force: true });
    for (const output of outputs) {
      const built = await buildOne(output);
      const size = built.bytes ? ` (${Math.round(built.bytes / 1024)} KiB)` : '';
      const extra = built.bundled.length
        ? `; bundled, as the app does not declare them: ${built.bundled.join(', ')}`
        : '';
      lines.push(`${built.out}${size}${extra}`);
    }
  }
  return lines;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2);
  if (names.length === 0) {
    console.error(`usage: node scripts/build.mjs <${Object.keys(TARGETS).join('|')}>...`);
    process.exit(1);
  }
  try {
    for (const line of await buildTargets(names)) console.log(`[build] wrote ${line}`);
  } catch (error) {
    console.error(`[build] failed: ${error.message}`);
    process.exit(1);
  }
}
