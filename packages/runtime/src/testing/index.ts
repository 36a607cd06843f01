export * from './cluster-client.ts';
export * from './cluster-keys.ts';
export * from './cluster-prefix.ts';
export * from './redis-cluster.ts';
