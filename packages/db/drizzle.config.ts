import { defineConfig } from 'drizzle-kit';

// Only `drizzle-kit generate` uses this file; it needs no database.
export default defineConfig({
  dialect: 'mysql',
  schema: ['./src/schema.ts', './src/schema-ops.ts'],
  out: './drizzle',
});
