import { createHash } from 'node:crypto';

/** Every file is one 64 KiB block, derived from its course and name, repeated up to its size. */
export const BLOCK_SIZE = 64 * 1024;

const blocks = new Map<string, Buffer>();
const digests = new Map<string, string>();
const CACHE_LIMIT = 256;

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
  return value;
}

/** The deterministic block of a file: a SHA-256 chain seeded by "<slug>/<name>". */
export function fileBlock(slug: string, name: string): Buffer {
  const key = `${slug}/${name}`;
  const cached = blocks.get(key);
  if (cached) return cached;
  const seed = createHash('sha256').update(key).digest();
  const block = Buffer.alloc(BLOCK_SIZE);
  for (let offset = 0, i = 0; offset < BLOCK_SIZE; offset += 32, i++) {
    createHash('sha256').update(seed).update(String(i)).digest().copy(block, offset);
  }
  return remember(blocks, key, block);
}

/** `length` bytes of the file starting at `offset` (the block repeated). */
export function fileBytes(block: Buffer, offset: number, length: number): Buffer {
  const start = offset % BLOCK_SIZE;
  if (start + length <= BLOCK_SIZE) return block.subarray(start, start + length);
  const parts: Buffer[] = [];
  let remaining = length;
  let position = start;
  while (remaining > 0) {
    const take = Math.min(remaining, BLOCK_SIZE - position);
    parts.push(block.subarray(position, position + take));
    remaining -= take;
    position = 0;
  }
  return Buffer.concat(parts, length);
}

/** The SHA-256 of a whole generated file. */
export function fileSha256(slug: string, name: string, size: number): string {
  const key = `${slug}/${name}/${size}`;
  const cached = digests.get(key);
  if (cached) return cached;
  const block = fileBlock(slug, name);
  const hash = createHash('sha256');
  for (let offset = 0; offset < size; offset += BLOCK_SIZE) {
    hash.update(block.subarray(0, Math.min(BLOCK_SIZE, size - offset)));
  }
  return remember(digests, key, hash.digest('hex'));
}

/** A number in [min, max] derived from a string: the course's file sizes are stable across runs. */
export function stableNumber(text: string, min: number, max: number): number {
  if (max <= min) return min;
  const value = createHash('sha256').update(text).digest().readUInt32BE(0);
  return min + (value % (max - min + 1));
}
