import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import type { PeerMessage } from './peer-common.ts';

// A forked peer whose bench is gone stops by itself: a bench that failed left its peers running,
// each still psubscribed to every message on Redis and skewing the runs after it.
test('a peer stops when the bench that forked it goes away', async () => {
  const child = fork(fileURLToPath(new URL('./ws-peer.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, FANOUT_PREFIX: `peer-test-${randomUUID()}` },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.on('message', (message: PeerMessage) => {
        if ('ready' in message) resolve();
      });
      child.once('exit', (code) => reject(new Error(`ws-peer exited with ${code} before it was ready`)));
    });
    child.disconnect();
    const timeout = new Promise<'still running'>((resolve) =>
      setTimeout(() => resolve('still running'), 10_000),
    );
    expect(await Promise.race([exited, timeout])).toBe(0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
