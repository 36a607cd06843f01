export * from './audit.ts';
export * from './tasks.ts';
