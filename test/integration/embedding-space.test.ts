import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { signToken } from '../../src/auth/token-verifier.js';
import { loadConfig } from '../../src/config/load.js';
import { EmbeddingSpaceMismatchError } from '../../src/store/embedding-space.js';
import { openDatabase } from '../../src/store/open.js';
import { closeTestEmbedder, JWT_SECRET, testEmbedder, testEnv } from '../helpers/app.js';
import { backend, onServer, createPostgresDatabase } from '../helpers/database.js';

/** A tiny OpenAI-compatible embeddings endpoint: 8-d bag-of-letters vectors. */
function fakeEmbeddings(): Promise<{ server: Server; url: string; calls: () => number }> {
  let calls = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { input: string[] };
    calls++;
    const data = body.input.map((text, index) => {
      const v = Array.from({ length: 8 }, (_, i) => [...text.toLowerCase()].filter((ch) => ch.charCodeAt(0) % 8 === i).length + 0.01);
      return { object: 'embedding', index, embedding: v };
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data, model: 'fake-8' }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, calls: () => calls }),
    ),
  );
}

describe(`embedding providers and the embedding space (${backend()})`, () => {
  let fake: Awaited<ReturnType<typeof fakeEmbeddings>>;
  let env: Record<string, string>;
  let cleanup = async () => {};

  beforeAll(async () => {
    fake = await fakeEmbeddings();
    env = testEnv({ EMBEDDINGS_PROVIDER: 'openai', EMBEDDINGS_URL: fake.url, EMBEDDINGS_MODEL: 'fake-8', EMBEDDINGS_API_KEY: 'k', LOG_LEVEL: 'silent' });
    if (onServer()) {
      const db = await createPostgresDatabase();
      env.DATABASE_URL = db.url;
      cleanup = db.drop;
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'engram-space-'));
      env.ENGRAM_DATA_DIR = dir;
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
  });

  afterAll(async () => {
    fake?.server.close();
    await closeTestEmbedder();
    await cleanup();
  });

  it('serves with an OpenAI-compatible endpoint configured from the environment', async () => {
    const app = await buildApp(loadConfig(env), { logLevel: 'silent' });
    try {
      const headers = { authorization: `Bearer ${await signToken({ secret: JWT_SECRET, subject: 'u1', scopes: ['memory:read', 'memory:write'], ttlSeconds: 60 })}` };
      const indexed = await app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { user_id: 'u1', text: 'zzzz' } });
      expect(indexed.statusCode, indexed.body).toBe(201);
      const res = await app.inject({ method: 'POST', url: '/api/v1/memory/query', headers, payload: { user_id: 'u1', query: 'zz' } });
      expect(res.json().results[0].text).toBe('zzzz');
      expect(fake.calls()).toBeGreaterThanOrEqual(3); // the dimension probe, the index, the query
    } finally {
      await app.close();
    }
  });

  it('refuses to open the same database with a model of another dimension', async () => {
    const cfg = loadConfig(env);
    const embedder = testEmbedder();
    await embedder.init();
    const open = () =>
      openDatabase(cfg.database, {
        migrate: true,
        embedding: { model: embedder.model, dimensions: embedder.dimensions },
        strictRoles: false,
        log: () => {},
        warn: () => {},
      });
    await expect(open()).rejects.toBeInstanceOf(EmbeddingSpaceMismatchError);
    await expect(open()).rejects.toThrow(/512-d|8-d/);
  });
});
