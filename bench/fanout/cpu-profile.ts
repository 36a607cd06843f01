// `--cpu-profile DIR`: V8's CPU profiler in each server while a rate's load runs, through the
// inspector the bench already opens (inspector.ts). It writes `<peer>-<rate>.cpuprofile`
// (DevTools opens it) and prints where the busy time went. The owner of each sample is the package
// of the nearest JavaScript frame, so a native call (a socket write) counts to the code that made it.
import { mkdir, writeFile } from 'node:fs/promises';
import { openSession } from './inspector.ts';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuNode[];
  /** Microseconds. */
  startTime: number;
  endTime: number;
  samples: number[];
  /** Each sample's time since the one before it (the first: since startTime). */
  timeDeltas: number[];
}

/** Starts sampling every 500 µs; the returned function stops it and resolves with the profile. */
export async function startCpuProfile(port: number): Promise<() => Promise<CpuProfile>> {
  const session = await openSession(port);
  await session.call('Profiler.enable');
  await session.call('Profiler.setSamplingInterval', { interval: 500 });
  await session.call('Profiler.start');
  return async () => {
    try {
      const { profile } = (await session.call('Profiler.stop')) as { profile: CpuProfile };
      return profile;
    } finally {
      session.close();
    }
  };
}

/** `drizzle-orm`, `node`, `apps/server/realtime`, or null for a frame without a script. */
function ownerOf(url: string): string | null {
  if (!url) return null;
  const pkg = url.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node';
  const own = url.match(/\/((?:apps|packages)\/[^/]+)\/src\/([^/.]+)/);
  return own ? `${own[1]}/${own[2]}` : 'other';
}

const SPECIAL = new Set(['(idle)', '(garbage collector)', '(program)']);

/** Busy time per owner and per function (self), in ms, largest first. */
export function cpuShares(profile: CpuProfile): {
  busyMs: number;
  idleMs: number;
  owners: Array<[string, number]>;
  functions: Array<[string, number]>;
} {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // The nearest frame of a package or of our code; Node's own frames and native ones belong to it.
  const ownerOfNode = (id: number): string => {
    const leaf = byId.get(id)!.callFrame.functionName;
    if (SPECIAL.has(leaf)) return leaf;
    let fallback: string | null = null;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const own = ownerOf(byId.get(at)!.callFrame.url);
      if (own !== null && own !== 'node') return own;
      fallback ??= own;
    }
    return fallback ?? 'native';
  };
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let idleMs = 0;
  let busyMs = 0;
  // A sample stands for the time until the next one, the last until endTime (as DevTools reads it).
  const at = profile.timeDeltas.reduce((sum, delta) => sum + delta, profile.startTime);
  profile.samples.forEach((id, index) => {
    const next = profile.timeDeltas[index + 1];
    const ms = (next ?? Math.max(0, profile.endTime - at)) / 1000;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idleMs += ms;
      return;
    }
    busyMs += ms;
    const who = ownerOfNode(id);
    owners.set(who, (owners.get(who) ?? 0) + ms);
    const site = `${functionName || '(anonymous)'} ${url.replace(/^.*\/node_modules\//, '').replace(/^.*\/(apps|packages)\//, '$1/')}:${lineNumber + 1}`;
    functions.set(site, (functions.get(site) ?? 0) + ms);
  });
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  return { busyMs, idleMs, owners: sorted(owners), functions: sorted(functions) };
}

/** Writes the profile to `dir` and prints the busy time's shares, per owner and per function. */
export async function reportCpuProfile(
  name: string,
  profile: CpuProfile,
  dir: string,
  log: (line: string) => void,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/${name}.cpuprofile`, JSON.stringify(profile));
  const { busyMs, idleMs, owners, functions } = cpuShares(profile);
  const share = (ms: number) => `${((ms / Math.max(busyMs, 1)) * 100).toFixed(1).padStart(5)} %`;
  log(`${name}: main thread busy ${Math.round(busyMs)} ms, idle ${Math.round(idleMs)} ms`);
  log('  busy time by owner (native calls counted to their caller):');
  for (const [who, ms] of owners.slice(0, 15)) log(`  ${share(ms)}  ${who}`);
  log('  busy time by function, self:');
  for (const [site, ms] of functions.slice(0, 20)) log(`  ${share(ms)}  ${site}`);
}
