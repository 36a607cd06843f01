export * from './client.ts';
export * from './errors.ts';
export * from './migrate.ts';
export * from './queries/index.ts';
export * as schema from './schema.ts';
export * from './schema.ts';
