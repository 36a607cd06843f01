// A peer's live memory, the same way for every peer: each server process runs with the inspector
// on a port of ours, and the bench asks it, over the DevTools protocol, for a full garbage
// collection and then the heap in use. The RSS figure taken without it counts the garbage of
// connection set-up that has reached the old generation and waits for the next full GC; this one
// is what the connections hold. The same session samples what the set-up allocates, garbage
// included (`--alloc-profile`). Nothing in the servers' code knows about it.
import { mkdir, writeFile } from 'node:fs/promises';
import { WebSocket } from 'ws';
import { freePort } from '../lib/net.ts';

/** `--inspect` on a free loopback port, and that port. */
export async function inspectArgs(): Promise<{ port: number; args: string[] }> {
  const port = await freePort();
  return { port, args: [`--inspect=127.0.0.1:${port}`] };
}

interface Target {
  webSocketDebuggerUrl: string;
}

export interface InspectorSession {
  call(method: string, params?: object): Promise<Record<string, unknown>>;
  /** Every HeapProfiler.addHeapSnapshotChunk received so far, joined. */
  snapshot(): string;
  close(): void;
}

export async function openSession(port: number, timeoutMs = 60_000): Promise<InspectorSession> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Target[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 0;
  const chunks: string[] = [];
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { method?: string; params?: { chunk?: string } };
    if (message.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(message.params?.chunk ?? '');
  });
  const call = (method: string, params?: object): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => reject(new Error(`${method} timed out`)), timeoutMs);
      const onMessage = (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown> };
        if (message.id !== id) return;
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(message.result ?? {});
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id, method, params }));
    });
  return { call, snapshot: () => chunks.join(''), close: () => socket.close() };
}

/**
 * Runs a full GC in the process behind the inspector port; resolves with its heap in use (bytes).
 * With `snapshotFile`, a heap snapshot of it is written there too (for `--heap-snapshots`).
 */
export async function heapAfterFullGc(port: number, snapshotFile?: string): Promise<number> {
  const session = await openSession(port);
  try {
    await session.call('HeapProfiler.collectGarbage');
    const usage = await session.call('Runtime.getHeapUsage');
    if (snapshotFile) {
      await session.call('HeapProfiler.takeHeapSnapshot');
      await writeFile(snapshotFile, session.snapshot());
    }
    return Number(usage.usedSize);
  } finally {
    session.close();
  }
}

/**
 * What V8 has reserved for each heap space of the process behind the inspector port (bytes, its
 * `space_size`: committed, whether in use or not), read without a GC. RSS counts these pages.
 */
export async function heapSpaceSizes(port: number): Promise<Record<string, number>> {
  const session = await openSession(port);
  try {
    const expression =
      "JSON.stringify(Object.fromEntries(process.getBuiltinModule('v8').getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size])))";
    const reply = await session.call('Runtime.evaluate', { expression, returnByValue: true });
    return JSON.parse(String((reply.result as { value?: unknown } | undefined)?.value ?? '{}')) as Record<
      string,
      number
    >;
  } finally {
    session.close();
  }
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** One line of an allocation profile: a function, what it allocated itself and with its callees. */
export interface AllocationSite {
  site: string;
  selfBytes: number;
  totalBytes: number;
}

/** The sampling profile's allocations summed per function (self and inclusive), largest first. */
export function allocationSites(head: ProfileNode): AllocationSite[] {
  const sites = new Map<string, AllocationSite>();
  const walk = (node: ProfileNode, onStack: Set<string>): number => {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url
      .replace(/^file:\/\//, '')
      .replace(/^.*\/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '');
    const site = `${functionName || '(anonymous)'} ${file.replace(/^.*\/paidflow[^/]*\//, '')}:${lineNumber + 1}`;
    let total = node.selfSize;
    const nested = onStack.has(site);
    if (!nested) onStack.add(site);
    for (const child of node.children) total += walk(child, onStack);
    if (!nested) onStack.delete(site);
    const entry = sites.get(site) ?? { site, selfBytes: 0, totalBytes: 0 };
    entry.selfBytes += node.selfSize;
    if (!nested) entry.totalBytes += total;
    sites.set(site, entry);
    return total;
  };
  walk(head, new Set());
  return [...sites.values()].sort((a, b) => b.totalBytes - a.totalBytes);
}

/**
 * Starts V8's sampling heap profiler in the process behind the port, counting objects that the
 * young and old generation collections free as well (set-up garbage is the point). The returned
 * function stops it and resolves with the profile (the DevTools `.heapprofile` format).
 */
export async function startAllocationSampling(port: number): Promise<() => Promise<{ head: ProfileNode }>> {
  const session = await openSession(port);
  await session.call('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async () => {
    try {
      const { profile } = (await session.call('HeapProfiler.stopSampling')) as {
        profile: { head: ProfileNode };
      };
      return profile;
    } finally {
      session.close();
    }
  };
}

/**
 * Writes the connect phase's allocation profile to `dir` and prints its largest sites, inclusive
 * and self, in KB per connection.
 */
export async function reportAllocations(
  peer: string,
  profile: { head: ProfileNode },
  dir: string,
  clients: number,
  log: (line: string) => void,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/${peer}-connect.heapprofile`, JSON.stringify(profile));
  const sites = allocationSites(profile.head);
  const kb = (bytes: number) => (bytes / clients / 1024).toFixed(1).padStart(7);
  log(`${peer}: allocated while connecting, ${kb(sites[0]?.totalBytes ?? 0).trim()} KB/conn in all`);
  log('  inclusive KB/conn, top sites:');
  for (const s of sites.slice(0, 40)) log(`  ${kb(s.totalBytes)}  ${s.site}`);
  log('  self KB/conn, top sites:');
  for (const s of [...sites].sort((a, b) => b.selfBytes - a.selfBytes).slice(0, 25))
    log(`  ${kb(s.selfBytes)}  ${s.site}`);
}
