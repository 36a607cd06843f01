// Every table, for drizzle's schema object and the package's exports.
export * from './schema.ts';
export * from './schema-ops.ts';
