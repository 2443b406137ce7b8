import { defineConfig } from 'vitest/config';

/**
 * Three projects: unit tests, and the integration suite twice — on embedded PGlite and on a real
 * PostgreSQL with pgvector (TEST_DATABASE_URL). A missing PostgreSQL fails the run; it is never skipped.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/auth/**/*.test.ts', 'test/embed/**/*.test.ts'] } },
      { extends: true, test: { name: 'pglite', include: ['test/integration/**/*.test.ts'], env: { ENGRAM_TEST_DB: 'pglite' } } },
      { extends: true, test: { name: 'postgres', include: ['test/integration/**/*.test.ts'], env: { ENGRAM_TEST_DB: 'postgres' } } },
    ],
  },
});
