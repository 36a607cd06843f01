import { closeSync, openSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuSecondsOf, rssOf, writeCallsOf } from './proc.ts';

describe('a process’s figures from /proc', () => {
  it('counts its write system calls, one per write', () => {
    const fd = openSync('/dev/null', 'w');
    const before = writeCallsOf(process.pid);
    expect(before).not.toBeNull();
    for (let i = 0; i < 20; i++) writeSync(fd, 'x');
    const after = writeCallsOf(process.pid)!;
    closeSync(fd);
    // Other threads of this process may write too: at least ours.
    expect(after - before!).toBeGreaterThanOrEqual(20);
  });

  it('reads its CPU time and RSS, and null for a process that is not there', () => {
    expect(cpuSecondsOf(process.pid)).toBeGreaterThan(0);
    expect(rssOf(process.pid)).toBeGreaterThan(1024 * 1024);
    expect(writeCallsOf(2 ** 30)).toBeNull();
    expect(cpuSecondsOf(2 ** 30)).toBeNull();
  });
});
