import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { loadConfig } from '../../src/config/load.js';
import { openDatabase } from '../../src/store/open.js';
import { createTestApp, testEnv, type TestApp } from '../helpers/app.js';
import { backend, createPostgresDatabase, withDatabase } from '../helpers/database.js';

/** Error messages a newcomer can act on (issue 10's friction points). */
describe(`errors that say what to do (${backend()})`, () => {
  let t: TestApp;
  let auth: Record<string, string>;
  beforeAll(async () => {
    t = await createTestApp();
    auth = { authorization: `Bearer ${await t.token('alice')}` };
  });
  afterAll(() => t.close());

  it('an unknown body field is named', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/memory/index',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: { user_id: 'alice', text: 'hi', colour: 'red' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', detail: 'body has an unknown field "colour"' });
  });

  it('an unknown field inside filters is named with its path', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/memory/query',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: { user_id: 'alice', query: 'hi', filters: { sorce: 'chat' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe('body.filters has an unknown field "sorce"');
  });

  it.each([
    ['PUT', `/api/v1/memory/00000000-0000-4000-8000-000000000000`, 'DELETE, GET, HEAD, PATCH'],
    ['PUT', '/api/v1/memory/index', 'POST'],
    ['GET', '/mcp', 'POST'],
  ])('%s %s on an existing path is 405 with Allow: %s', async (method, url, allow) => {
    const res = await t.app.inject({ method: method as 'GET', url, headers: auth });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
  });

  it('an unknown path is still 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: auth });
    expect(res.statusCode).toBe(404);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded'])('%s gets 415 with a hint to send JSON', async (type) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/memory/index',
      headers: { ...auth, 'content-type': type },
      payload: 'user_id=alice&text=hi',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(res.json().detail).toMatch(/content-type: application\/json/);
  });
});

describe.runIf(backend() === 'postgres')('start-up migration without owner rights (postgres)', () => {
  it('fails with one line naming the login, DATABASE_OWNER_URL and MIGRATE_ON_START', async () => {
    const db = await createPostgresDatabase();
    const role = `engram_noowner_${Math.random().toString(36).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      const url = new URL(withDatabase(db.url, db.name));
      url.username = role;
      const config = loadConfig(testEnv({ DATABASE_URL: url.toString() }));
      const err = await openDatabase(config.database, {
        migrate: true,
        embedding: { model: 'use-lite-512', dimensions: 512 },
        strictRoles: false,
        log: () => {},
        warn: () => {},
      }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      const message = (err as Error).message;
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toContain(`cannot apply migrations as "${role}"`);
      expect(message).toContain('permission denied for schema public');
      expect(message).toMatch(/DATABASE_OWNER_URL/);
      expect(message).toMatch(/MIGRATE_ON_START=false/);
    } finally {
      await admin.end();
      await db.drop();
      const c = new pg.Client({ connectionString: withDatabase(db.url, 'postgres') });
      await c.connect();
      await c.query(`DROP ROLE IF EXISTS ${role}`).finally(() => c.end());
    }
  });
});
