/**
 * `npm run openapi:export`: builds the app on a throwaway in-memory PGlite and writes the OpenAPI
 * document it serves at /api/v1/openapi.json to openapi.v1.json at the repository root.
 * test/integration/openapi.test.ts fails when the committed file differs from the served document.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';

const OUTPUT = fileURLToPath(new URL('../openapi.v1.json', import.meta.url));

// A fixed, minimal environment (not process.env): the document must not depend on who runs this.
const config = loadConfig({
  NODE_ENV: 'development',
  LOG_LEVEL: 'silent',
  ENGRAM_DATA_DIR: 'memory://',
  EMBEDDING_THREADS: '1',
  JWT_SECRET: randomBytes(32).toString('base64'),
  ENGRAM_KEK: `1:${randomBytes(32).toString('base64')}`,
  ENGRAM_HASH_KEY: randomBytes(32).toString('base64'),
});

const app = await buildApp(config);
try {
  await app.ready();
  const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  if (res.statusCode !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.statusCode}: ${res.body}`);
  writeFileSync(OUTPUT, `${JSON.stringify(res.json(), null, 2)}\n`);
  console.log(`wrote ${OUTPUT}`);
} finally {
  await app.close();
}
