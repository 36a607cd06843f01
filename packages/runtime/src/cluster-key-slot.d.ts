// cluster-key-slot (ioredis's own dependency) ships no types: its default export is the function.
declare module 'cluster-key-slot' {
  /** The Redis Cluster slot (0-16383) of a key, hash tags included. */
  export default function calculateSlot(key: string | Buffer): number;
}
