import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Five projects: unit tests, and the integration suite three times — on embedded PGlite, on a real
 * PostgreSQL with pgvector (TEST_DATABASE_URL), and on a Citus cluster (TEST_CITUS_URL; a coordinator
 * and two workers, scripts/citus-cluster.sh) — and the web console's browser tests (test/browser/, real
 * Chromium). A missing database or browser fails the run; it is never skipped.
 * The one exception: scripts/prepare-tests.sh found no Citus and no source to build it from (never
 * under CI=true); it said so loudly, and the citus project is left out (said again below).
 */
const CITUS_MARKER = 'node_modules/.cache/engram/citus-unavailable';
const citusUnavailable = existsSync(CITUS_MARKER) ? readFileSync(CITUS_MARKER, 'utf8').trim() : undefined;
if (citusUnavailable) {
  console.error(`\n!!! The Citus suite (project 'citus') is NOT running: ${citusUnavailable}. See scripts/prepare-tests.sh.\n`);
}

const integration = (name: string, include = ['test/integration/**/*.test.ts'], exclude = ['test/integration/citus-*.test.ts']) => ({
  extends: true as const,
  test: { name, include, exclude, env: { ENGRAM_TEST_DB: name } },
});

/**
 * On Citus: the integration files whose subject is the data (isolation, encryption at rest, search,
 * lifecycle, the graph, keys, faults, the fuzzer) and the Citus files. Those about the HTTP edge
 * (auth, OpenAPI, rate limits, MCP, metrics, the client, CLI start-up, shutdown, timeouts) do not
 * change with the database's topology and run on PGlite and PostgreSQL only.
 */
const CITUS_FILES = [
  'at-rest', 'isolation', 'rls', 'chunk-aad', 'dedup', 'erase', 'erase-races', 'expiry', 'update', 'batch-index',
  'entities', 'entity-graph', 'context-from', 'filtered-search', 'hybrid-search', 'keyword-index', 'reindex', 'key-rotation', 'summarize', 'verify',
  'fuzz', 'query-overlap', 'import', 'light-reads', 'pgbouncer', 'batch-order', 'multilingual', 'relevance', 'citus-*',
].map((f) => `test/integration/${f}.test.ts`);

export default defineConfig({
  // The adapters under clients/ import the TypeScript client by its package name; here, its source.
  resolve: { alias: { '@engram/client': fileURLToPath(new URL('./clients/typescript/src/index.ts', import.meta.url)) } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Test files wait on databases, servers and timers far more than they compute: at least four at
    // once even on two cores (vitest's default would be one fewer than the cores).
    maxWorkers: Math.max(4, availableParallelism()),
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/auth/**/*.test.ts', 'test/embed/**/*.test.ts'] } },
      integration('pglite'),
      integration('postgres'),
      ...(citusUnavailable ? [] : [integration('citus', CITUS_FILES, [])]),
      // The web console in real Chromium (scripts/install-chromium.sh) against a real `engram serve`;
      // the console is built (and test-output/console emptied) once, before any of its files.
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], globalSetup: ['test/browser/setup.ts'] } },
    ],
  },
});
