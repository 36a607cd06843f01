/**
 * Where Paidflow's names live in a shared Redis. With an empty prefix (production default) the
 * channels are exactly `{scope}:{id}:{type}`, so any publisher following the convention is heard;
 * a prefix lets test runs and several installs share one Redis without hearing each other.
 */
export interface RedisNamespace {
  prefix: string;
  /**
   * BullMQ's `prefix` option. Hash-tagged (`{bull}`): every key of a queue lands in one Redis
   * Cluster slot, as BullMQ's Lua scripts need.
   */
  queuePrefix: string;
  /** A channel name (or psubscribe pattern) as published in Redis. */
  channel(name: string): string;
  /** The convention's channel name from one heard in Redis; null if it is not ours. */
  unprefixChannel(name: string): string | null;
  /** A key for plain Redis commands. */
  key(name: string): string;
}

export function redisNamespace(prefix = ''): RedisNamespace {
  if (!/^[A-Za-z0-9_-]*$/.test(prefix)) throw new Error(`invalid Redis prefix: ${prefix}`);
  const head = prefix ? `${prefix}:` : '';
  return {
    prefix,
    queuePrefix: `${head}{bull}`,
    channel: (name) => `${head}${name}`,
    unprefixChannel: (name) => (name.startsWith(head) ? name.slice(head.length) : null),
    key: (name) => `${head}${name}`,
  };
}
