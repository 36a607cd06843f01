import { fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { heapSpaceSizes, inspectArgs } from './inspector.ts';

// heapSpaceSizes reads another process's heap spaces through its inspector: the bench's young
// generation column (decision 068) is the server's, not the bench's own.
const CHILD = `
import v8 from 'node:v8';
// Short-lived garbage at a high rate: V8 grows the young generation (what the column shows).
let keep = 0;
for (let i = 0; i < 2_000_000; i++) keep += [i, { i }].length;
const sizes = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
process.send({ sizes, keep });
setInterval(() => {}, 1000);
`;

test('reads the heap spaces of the process behind the inspector port', async () => {
  const file = join(tmpdir(), `paidflow-inspector-${process.pid}.mjs`);
  await writeFile(file, CHILD);
  const inspector = await inspectArgs();
  const child = fork(file, [], { execArgv: inspector.args, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  try {
    const reported = await new Promise<Record<string, number>>((resolve, reject) => {
      child.once('message', (message: { sizes: Record<string, number> }) => resolve(message.sizes));
      child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
    });
    const read = await heapSpaceSizes(inspector.port);
    expect(read.new_space).toBeGreaterThan(0);
    expect(read.old_space).toBeGreaterThan(0);
    // The child's own figure: what it reserved for its young generation has not moved since.
    expect(read.new_space).toBe(reported.new_space);
  } finally {
    child.kill();
  }
});

test('fails clearly when no inspector listens there', async () => {
  const { port } = await inspectArgs();
  await expect(heapSpaceSizes(port)).rejects.toThrow();
});
