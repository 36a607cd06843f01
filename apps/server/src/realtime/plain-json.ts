import type { DataTransformer } from '@trpc/server';

/**
 * Live events are plain JSON by construction (parsed from JSON and validated, or built from
 * numbers and strings): superjson would walk and copy each one again for every subscriber to
 * find nothing to encode. Marked objects skip that walk; everything else goes through superjson.
 *
 * The mark is a non-enumerable symbol property, not membership of a WeakSet: JSON.stringify,
 * Object.keys and spreads never see it, and it adds no entry to a process-wide weak table. A
 * WeakSet entry per event (5,000 a second) outlives the young generation and piles up in the old
 * one until a full GC, which showed as scavenge pauses under the fan-out benchmark.
 */
const PLAIN_JSON = Symbol('paidflow.plainJson');
const MARK: PropertyDescriptor = { value: true, enumerable: false };

/** Marks a value made only of JSON types (no Date, Map, undefined...), so it is sent as is. */
export function markPlainJson<T extends object>(value: T): T {
  Object.defineProperty(value, PLAIN_JSON, MARK);
  return value;
}

function isMarked(value: object): boolean {
  return (value as { [PLAIN_JSON]?: true })[PLAIN_JSON] === true;
}

function isPlain(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (isMarked(value)) return true;
  // A tracked subscription result: { id, data } wrapped around a marked event.
  const { data } = value as { data?: unknown };
  return typeof data === 'object' && data !== null && isMarked(data) && Object.keys(value).length === 2;
}

/**
 * The router's transformer: superjson, with a fast path for marked live events. The output is
 * what superjson.serialize gives for plain JSON ({ json }), so clients deserialize it as usual.
 */
export function withPlainJsonFastPath(base: DataTransformer): DataTransformer {
  return {
    serialize: (object: unknown) => (isPlain(object) ? { json: object } : base.serialize(object)),
    deserialize: (object: unknown) => base.deserialize(object),
  };
}
