import { describe, expect, it } from 'vitest';
import { type CpuProfile, cpuShares } from './cpu-profile.ts';

const PNPM = 'file:///repo/node_modules/.pnpm';

/** A profile of the given frames (parent first), each sampled for `ms` at its leaf. */
function profile(stacks: Array<{ frames: Array<[name: string, url: string]>; ms: number }>): CpuProfile {
  const nodes: CpuProfile['nodes'] = [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
  ];
  const samples: number[] = [];
  // A sample's time runs until the next one: each stack's is the next sample's delta (endTime for the last).
  const timeDeltas: number[] = [];
  let lastAt = 1_000;
  let previous = 0;
  for (const stack of stacks) {
    let parent = nodes[0]!;
    for (const [functionName, url] of stack.frames) {
      const node = { id: nodes.length + 1, callFrame: { functionName, url, lineNumber: 0 }, children: [] };
      parent.children = [...(parent.children ?? []), node.id];
      nodes.push(node);
      parent = node;
    }
    samples.push(parent.id);
    timeDeltas.push(samples.length === 1 ? 0 : previous);
    previous = stack.ms * 1000;
    lastAt += timeDeltas.at(-1)!;
  }
  return { nodes, startTime: 1_000, endTime: lastAt + previous, samples, timeDeltas };
}

describe('cpuShares', () => {
  it('counts a native call and Node’s own frames to the package or our code that made them', () => {
    const shares = cpuShares(
      profile([
        {
          frames: [
            ['deliver', 'file:///repo/apps/server/src/realtime/hub.ts'],
            ['send', `${PNPM}/ws@8.18.0/node_modules/ws/lib/sender.js`],
            ['Socket._writev', 'node:net'],
            ['writev', ''],
          ],
          ms: 30,
        },
        {
          frames: [
            ['handleMessage', 'file:///repo/apps/server/src/realtime/hub.ts'],
            ['safeParse', `${PNPM}/zod@4.1.0/node_modules/zod/v4/classic/schemas.js`],
          ],
          ms: 10,
        },
        { frames: [['deliver', 'file:///repo/apps/server/src/realtime/hub.ts']], ms: 5 },
        { frames: [['(garbage collector)', '']], ms: 5 },
        { frames: [['(idle)', '']], ms: 50 },
      ]),
    );
    expect(shares.busyMs).toBe(50);
    expect(shares.idleMs).toBe(50);
    expect(Object.fromEntries(shares.owners)).toEqual({
      ws: 30,
      zod: 10,
      'apps/server/realtime': 5,
      '(garbage collector)': 5,
    });
    expect(shares.functions[0]).toEqual(['writev :1', 30]);
  });

  it('names scoped packages whole, and a frame of no package or app as other', () => {
    const shares = cpuShares(
      profile([
        {
          frames: [['route', `${PNPM}/@trpc+server@11.19.0/node_modules/@trpc/server/dist/index.mjs`]],
          ms: 2,
        },
        { frames: [['main', 'file:///repo/bench/fanout/socketio-peer.ts']], ms: 1 },
      ]),
    );
    expect(Object.fromEntries(shares.owners)).toEqual({ '@trpc/server': 2, other: 1 });
  });
});
