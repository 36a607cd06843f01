// A peer's live memory, the same way for every peer: each server process runs with the inspector
// on a port of ours, and the bench asks it, over the DevTools protocol, for a full garbage
// collection and then the heap in use. The RSS figure taken without it counts the garbage of
// connection set-up that has reached the old generation and waits for the next full GC; this one
// is what the connections hold. Nothing in the servers' code knows about it.
import { writeFile } from 'node:fs/promises';
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

/**
 * Runs a full GC in the process behind the inspector port; resolves with its heap in use (bytes).
 * With `snapshotFile`, a heap snapshot of it is written there too (for `--heap-snapshots`).
 */
export async function heapAfterFullGc(
  port: number,
  snapshotFile?: string,
  timeoutMs = 60_000,
): Promise<number> {
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
  const call = (method: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => reject(new Error(`${method} timed out`)), timeoutMs);
      const onMessage = (data: Buffer) => {
        const message = JSON.parse(data.toString()) as {
          id?: number;
          method?: string;
          params?: { chunk?: string };
          result?: Record<string, unknown>;
        };
        if (message.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(message.params?.chunk ?? '');
        if (message.id !== id) return;
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(message.result ?? {});
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id, method }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    const usage = await call('Runtime.getHeapUsage');
    if (snapshotFile) {
      await call('HeapProfiler.takeHeapSnapshot');
      await writeFile(snapshotFile, chunks.join(''));
    }
    return Number(usage.usedSize);
  } finally {
    socket.close();
  }
}
