import { afterEach, describe, expect, it } from 'vitest';
import { appEntry, serverKind } from './app-build.ts';

// The build itself is scripts/build.mjs's, tested by scripts/build.int.test.ts; building here too
// would race that test for apps/server/dist.
describe('the server and worker the benches run', () => {
  const saved = process.env.BENCH_SERVER;
  afterEach(() => {
    if (saved === undefined) delete process.env.BENCH_SERVER;
    else process.env.BENCH_SERVER = saved;
  });

  it('is the production build unless BENCH_SERVER=tsx', () => {
    delete process.env.BENCH_SERVER;
    expect(serverKind()).toBe('build');
    process.env.BENCH_SERVER = 'anything-else';
    expect(serverKind()).toBe('build');
    process.env.BENCH_SERVER = 'tsx';
    expect(serverKind()).toBe('tsx');
  });

  it('runs the sources under tsx, building nothing, when asked', () => {
    process.env.BENCH_SERVER = 'tsx';
    expect(appEntry('server')).toEqual(['--import', 'tsx', 'src/main.ts']);
    expect(appEntry('worker')).toEqual(['--import', 'tsx', 'src/main.ts']);
  });
});
