import { open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Flushes a file, or a directory's entries (a rename), to the disk. */
export async function fsyncPath(target: string): Promise<void> {
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes `temp` durable, then gives it its final name, durably: a reader never sees half a file. */
export async function commitFile(temp: string, final: string): Promise<void> {
  await fsyncPath(temp);
  await rename(temp, final);
  await fsyncPath(path.dirname(final));
}

/**
 * Deletes the oldest files matching `pattern` in `dir` so that `keep` remain (names sort by their
 * UTC timestamp). Returns the deleted paths.
 */
export async function pruneFiles(dir: string, pattern: RegExp, keep: number): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => pattern.test(name)).sort();
  const doomed = names.slice(0, Math.max(0, names.length - keep)).map((name) => path.join(dir, name));
  for (const file of doomed) await rm(file, { force: true });
  return doomed;
}

/** 20261202T051233042Z: a UTC timestamp (to the millisecond) that sorts as text, safe in a file name. */
export function fileTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}
