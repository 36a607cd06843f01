export * from './client.ts';
export { APP_PRIVILEGES, createDbUser, type DbUserOptions, type DbUserResult } from './db-user.ts';
export * from './errors.ts';
export * from './migrate.ts';
export * from './queries/index.ts';
export * from './replicas.ts';
export * as schema from './tables.ts';
export * from './tables.ts';
