import type { DataTransformer } from '@trpc/server';

/**
 * Live events are plain JSON by construction (parsed from JSON and validated, or built from
 * numbers and strings): superjson would walk and copy each one again for every subscriber to
 * find nothing to encode. Marked objects skip that walk; everything else goes through superjson.
 */
const PLAIN = new WeakSet<object>();

/** Marks a value made only of JSON types (no Date, Map, undefined...), so it is sent as is. */
export function markPlainJson<T extends object>(value: T): T {
  PLAIN.add(value);
  return value;
}

function isPlain(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (PLAIN.has(value)) return true;
  // A tracked subscription result: { id, data } wrapped around a marked event.
  const { data } = value as { data?: unknown };
  return typeof data === 'object' && data !== null && PLAIN.has(data) && Object.keys(value).length === 2;
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
