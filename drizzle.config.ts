import { defineConfig } from 'drizzle-kit';

// Works with no environment at all: `generate` never connects; the URL matters only for
// drizzle-kit's introspection commands, which fall back to a local server.
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/db/src/schema/drizzle-kit.ts',
  out: './migrations',
  schemaFilter: ['genledger'],
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres:postgres@localhost:5432/postgres' },
});
