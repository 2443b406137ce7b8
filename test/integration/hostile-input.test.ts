import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, JWT_SECRET, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Acceptance 5 (tokens) and 6: hostile and malformed input gets a 4xx error body, never a 5xx. */
describe(`hostile input (${backend()})`, () => {
  let t: TestApp;
  let token: string;

  const send = (opts: { method?: string; url?: string; payload?: unknown; headers?: Record<string, string>; auth?: string | null }) =>
    t.app.inject({
      method: (opts.method ?? 'POST') as 'POST',
      url: opts.url ?? '/api/v1/memory/index',
      headers: {
        ...(opts.auth === null ? {} : { authorization: `Bearer ${opts.auth ?? token}` }),
        ...(opts.payload !== undefined && typeof opts.payload !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      payload: opts.payload === undefined ? undefined : typeof opts.payload === 'string' ? opts.payload : JSON.stringify(opts.payload),
    });

  const expectError = (res: Awaited<ReturnType<typeof send>>, status: number, code: string, label = '') => {
    expect(res.statusCode, `${label} ${res.body}`).toBe(status);
    const body = res.json();
    expect(body).toEqual({ code, detail: expect.any(String), request_id: expect.any(String) });
    expect(res.headers['x-request-id']).toBe(body.request_id);
  };

  beforeAll(async () => {
    t = await createTestApp();
    token = await t.token('alice');
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  describe('tokens', () => {
    const index = (auth: string | null) => send({ auth, payload: { user_id: 'alice', text: 'hi' } });
    const hs = (payload: object, secret = JWT_SECRET, header: object = { alg: 'HS256', typ: 'JWT' }) => {
      const signingInput = `${b64(header)}.${b64(payload)}`;
      return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
    };
    const claims = (extra: object = {}) => ({ sub: 'alice', scope: 'memory:read memory:write', iat: now(), exp: now() + 600, ...extra });

    it('missing, malformed or non-bearer authorization is 401', async () => {
      expectError(await index(null), 401, 'UNAUTHENTICATED');
      expectError(await send({ auth: null, headers: { authorization: 'Basic YWxpY2U6cHc=' }, payload: { user_id: 'alice', text: 'x' } }), 401, 'UNAUTHENTICATED');
      expectError(await index('not.a.jwt'), 401, 'UNAUTHENTICATED');
      expectError(await index(''), 401, 'UNAUTHENTICATED');
    });

    it('forged (wrong secret), tampered, expired, alg:none, wrong-audience tokens are 401', async () => {
      expectError(await index(hs(claims(), 'another-secret-that-is-also-long-enough-0000')), 401, 'UNAUTHENTICATED');
      const [h, , s] = token.split('.');
      expectError(await index(`${h}.${b64(claims({ sub: 'mallory' }))}.${s}`), 401, 'UNAUTHENTICATED');
      expectError(await index(hs(claims({ exp: now() - 60 }))), 401, 'UNAUTHENTICATED');
      expectError(await index(hs({ sub: 'alice', scope: 'memory:write' })), 401, 'UNAUTHENTICATED'); // no exp
      expectError(await index(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`), 401, 'UNAUTHENTICATED');
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const rs = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
      expectError(await index(rs), 401, 'UNAUTHENTICATED'); // RS256 is not configured: not allowed
      expect((await index(hs(claims()))).statusCode).toBe(201); // control: the same forging code, right secret
    });

    it('with JWT_AUDIENCE configured, a token for another audience is 401', async () => {
      const strict = await createTestApp({ env: { JWT_AUDIENCE: 'engram', JWT_ISSUER: 'https://id.example' } });
      try {
        const call = (tok: string) =>
          strict.app.inject({ method: 'GET', url: '/api/v1/memory', headers: { authorization: `Bearer ${tok}` } });
        const good = claims({ aud: 'engram', iss: 'https://id.example' });
        expect((await call(hs(good))).statusCode).toBe(200);
        const res = await call(hs({ ...good, aud: 'other-service' }));
        expect(res.statusCode).toBe(401);
        expect(res.json().detail).toMatch(/audience/);
        expect((await call(hs({ ...good, iss: 'https://evil.example' }))).statusCode).toBe(401);
      } finally {
        await strict.close();
      }
    });
  });

  describe('bodies and parameters', () => {
    it('oversized text, metadata and bodies are 413', async () => {
      expectError(await send({ payload: { user_id: 'alice', text: 'a'.repeat(50 * 1024 + 1) } }), 413, 'PAYLOAD_TOO_LARGE');
      // 50 KB of characters but more bytes (multi-byte UTF-8)
      expectError(await send({ payload: { user_id: 'alice', text: 'é'.repeat(30 * 1024) } }), 413, 'PAYLOAD_TOO_LARGE');
      expectError(
        await send({ payload: { user_id: 'alice', text: 'ok', metadata: { blob: 'x'.repeat(10 * 1024) } } }),
        413,
        'PAYLOAD_TOO_LARGE',
      );
      expectError(await send({ payload: { user_id: 'alice', text: 'x'.repeat(400 * 1024) } }), 413, 'PAYLOAD_TOO_LARGE');
      expect((await send({ payload: { user_id: 'alice', text: 'a'.repeat(50 * 1024) } })).statusCode).toBe(201); // at the limit
      // embedding 50 KB of text is slow when four suites share two cores: a generous bound, not a speed check
    }, 240_000);

    it('malformed JSON, wrong content type and empty bodies are 4xx', async () => {
      expectError(await send({ payload: '{"user_id": "alice", "text": ', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED');
      expectError(await send({ payload: 'user_id=alice&text=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectError(await send({ payload: '', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED');
      expectError(await send({ payload: '[1,2,3]', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED');
      expectError(await send({ payload: 'null', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED');
    });

    it('out-of-pattern and out-of-range fields are 400', async () => {
      const bad: object[] = [
        { user_id: '', text: 'x' },
        { user_id: '../../etc/passwd', text: 'x' },
        { user_id: "alice'; DROP TABLE memories; --", text: 'x' },
        { user_id: 'a'.repeat(129), text: 'x' },
        { user_id: 'alice', text: '' },
        { user_id: 'alice', text: 42 },
        { user_id: 'alice', text: 'x', source: 'has spaces' },
        { user_id: 'alice', text: 'x', source: '<script>alert(1)</script>' },
        { user_id: 'alice', text: 'x', metadata: ['not', 'an', 'object'] },
        { user_id: 'alice', text: 'x', metadata: 'string' },
        { user_id: 'alice', text: 'x', metadata: { 'bad key!': 1 } },
        { user_id: 'alice', text: 'x', metadata: { a: { b: { c: { d: { e: { f: 1 } } } } } } },
        { user_id: 'alice', text: 'x', unexpected: true },
        { user_id: 'alice', text: '   \n\t ' },
      ];
      for (const payload of bad) expectError(await send({ payload }), 400, 'VALIDATION_FAILED', JSON.stringify(payload));

      const queries: object[] = [
        { user_id: 'alice', query: '' },
        { user_id: 'alice', query: 'q'.repeat(2001) },
        { user_id: 'alice', query: 'q', k: 0 },
        { user_id: 'alice', query: 'q', k: 101 },
        { user_id: 'alice', query: 'q', k: 2.5 },
        { user_id: 'alice', query: 'q', filters: { created_after: 'yesterday' } },
        { user_id: 'alice', query: 'q', filters: { unknown: 1 } },
        { user_id: 'alice', query: '   ' },
      ];
      for (const payload of queries) expectError(await send({ url: '/api/v1/memory/query', payload }), 400, 'VALIDATION_FAILED');
    });

    it('bad ids, cursors and query strings are 4xx; unknown routes are 404', async () => {
      expectError(await send({ method: 'GET', url: '/api/v1/memory/not-a-uuid' }), 400, 'VALIDATION_FAILED');
      expectError(await send({ method: 'GET', url: `/api/v1/memory/${randomUUID()}` }), 404, 'NOT_FOUND');
      expectError(await send({ method: 'DELETE', url: `/api/v1/memory/${randomUUID()}` }), 404, 'NOT_FOUND');
      expectError(await send({ method: 'GET', url: '/api/v1/memory?cursor=garbage' }), 400, 'VALIDATION_FAILED');
      expectError(await send({ method: 'GET', url: `/api/v1/memory?cursor=${Buffer.from('["x","y"]').toString('base64url')}` }), 400, 'VALIDATION_FAILED');
      expectError(await send({ method: 'GET', url: '/api/v1/memory?limit=0' }), 400, 'VALIDATION_FAILED');
      expectError(await send({ method: 'GET', url: '/api/v1/memory?limit=100000' }), 400, 'VALIDATION_FAILED');
      expectError(await send({ method: 'DELETE', url: '/api/v1/memory' }), 400, 'VALIDATION_FAILED'); // erase needs user_id
      expectError(await send({ method: 'GET', url: '/api/v1/nothing-here' }), 404, 'NOT_FOUND');
    });

    it('a stream of random junk never produces a 5xx', async () => {
      const junk = [
        '{"user_id":{"$ne":null},"text":"x"}',
        '{"user_id":"alice","text":"x","metadata":{"__proto__":{"admin":true}}}',
        '{"user_id":"alice","text":"\\u0000\\u0000"}',
        '{"user_id":"alice","query":"x","k":"1e9"}',
        '{"user_id":"alice","text":"x","source":null}',
        '{"user_id":"alice","text":["x"]}',
        '\u0000\u0001\u0002',
        '{"a":'.repeat(2000),
      ];
      for (let i = 0; i < 40; i++) {
        const bytes = Array.from({ length: 1 + (i * 37) % 300 }, (_, j) => String.fromCharCode(((i + 1) * (j + 7) * 131) % 256));
        junk.push(bytes.join(''));
      }
      for (const payload of junk) {
        for (const url of ['/api/v1/memory/index', '/api/v1/memory/query']) {
          const res = await send({ url, payload, headers: { 'content-type': 'application/json' } });
          expect(res.statusCode, `${url} ${JSON.stringify(payload).slice(0, 80)} -> ${res.body}`).toBeLessThan(500);
          if (res.statusCode >= 400) expect(res.json(), res.body).toHaveProperty('request_id');
        }
      }
    });

    it('metadata jsonb cannot hold (U+0000, lone surrogates; keys or values, any depth) is 400, index and query', async () => {
      // Written as JSON text: the escapes reach the server exactly as a client would send them.
      const hostile = [
        '{"note":"a\\u0000b"}',
        '{"a\\u0000":1}',
        '{"note":"\\ud800"}',
        '{"note":"\\udc00x"}',
        '{"x\\udfff":1}',
        '{"deep":{"list":["ok",{"k\\u0000":"v"}]}}',
        '{"deep":{"list":["\\ud83d"]}}',
      ];
      for (const metadata of hostile) {
        const index = `{"user_id":"alice","text":"hello","metadata":${metadata}}`;
        expectError(await send({ payload: index, headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED', index);
        const query = `{"user_id":"alice","query":"hello","filters":{"metadata":${metadata}}}`;
        expectError(
          await send({ url: '/api/v1/memory/query', payload: query, headers: { 'content-type': 'application/json' } }),
          400,
          'VALIDATION_FAILED',
          query,
        );
      }
      // Control: a proper surrogate pair (an emoji) is fine.
      // (Its own text: a text alice already has would come back deduplicated, 200.)
      const control = '{"user_id":"alice","text":"an emoji in metadata","metadata":{"m":"\\ud83d\\ude00"}}';
      expect((await send({ payload: control, headers: { 'content-type': 'application/json' } })).statusCode).toBe(201);
    });

    it('deeply nested metadata (a 10 KB body of 5,000 levels) is 400, index and query; filter metadata has the size limit', async () => {
      for (const nested of ['['.repeat(5000) + ']'.repeat(5000), '{"a":'.repeat(2000) + '1' + '}'.repeat(2000)]) {
        const index = `{"user_id":"alice","text":"hello","metadata":{"n":${nested}}}`;
        expectError(await send({ payload: index, headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED');
        const query = `{"user_id":"alice","query":"hello","filters":{"metadata":{"n":${nested}}}}`;
        expectError(await send({ url: '/api/v1/memory/query', payload: query, headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED');
      }
      const deepFilter = { a: { b: { c: { d: { e: { f: 1 } } } } } };
      expectError(await send({ url: '/api/v1/memory/query', payload: { user_id: 'alice', query: 'q', filters: { metadata: deepFilter } } }), 400, 'VALIDATION_FAILED');
      const bigFilter = { blob: 'x'.repeat(10 * 1024) };
      expectError(await send({ url: '/api/v1/memory/query', payload: { user_id: 'alice', query: 'q', filters: { metadata: bigFilter } } }), 413, 'PAYLOAD_TOO_LARGE');
    });

    it('urn:uuid: and other non-canonical ids are 400 (path params and cursor ids)', async () => {
      const id = randomUUID();
      for (const bad of [`urn:uuid:${id}`, `URN:UUID:${id}`, `{${id}}`, id.replace(/-/g, ''), `${id}%00`]) {
        expectError(await send({ method: 'GET', url: `/api/v1/memory/${bad}` }), 400, 'VALIDATION_FAILED', bad);
        expectError(await send({ method: 'DELETE', url: `/api/v1/memory/${bad}` }), 400, 'VALIDATION_FAILED', bad);
      }
      const cursor = Buffer.from(JSON.stringify([new Date().toISOString(), `urn:uuid:${id}`])).toString('base64url');
      expectError(await send({ method: 'GET', url: `/api/v1/memory?cursor=${cursor}` }), 400, 'VALIDATION_FAILED');
    });

    it('leap-second, impossible and out-of-range filter timestamps are 400', async () => {
      const bad = [
        '2016-12-31T23:59:60Z',
        '2024-06-30T23:59:60+00:00',
        '0000-01-01T00:00:00Z',
        '0001-01-01T00:00:00+01:00', // year 0 in UTC
        '10000-01-01T00:00:00Z',
        '+010000-01-01T00:00:00Z',
        '-000001-01-01T00:00:00Z',
        '2023-02-29T00:00:00Z',
        '2024-04-31T00:00:00Z',
        '2024-01-01T24:00:00Z',
        '2024-01-01T00:00:00+24:00',
      ];
      for (const at of bad) {
        for (const field of ['created_after', 'created_before']) {
          const payload = { user_id: 'alice', query: 'q', filters: { [field]: at } };
          expectError(await send({ url: '/api/v1/memory/query', payload }), 400, 'VALIDATION_FAILED', `${field}=${at}`);
        }
      }
      const ok = await send({ url: '/api/v1/memory/query', payload: { user_id: 'alice', query: 'q', filters: { created_after: '2024-02-29T23:59:59.5+01:00', created_before: '9999-12-31T23:59:59Z' } } });
      expect(ok.statusCode, ok.body).toBe(200);
    });

    it('list cursors with dates outside what PostgreSQL holds are 400', async () => {
      const id = randomUUID();
      const cursor = (at: unknown) => Buffer.from(JSON.stringify([at, id])).toString('base64url');
      for (const at of ['-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '-004714-01-01T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '2016-12-31T23:59:60Z', 8.64e15, null]) {
        expectError(await send({ method: 'GET', url: `/api/v1/memory?cursor=${cursor(at)}` }), 400, 'VALIDATION_FAILED', String(at));
      }
      expect((await send({ method: 'GET', url: `/api/v1/memory?cursor=${cursor('2024-01-01T00:00:00.000Z')}` })).statusCode).toBe(200);
    });

    it('over-long path parameters and malformed percent-encodings get the error body, not the router\'s (no path echo)', async () => {
      for (const url of [`/api/v1/memory/${'a'.repeat(150)}`, `/api/v1/memory/${'%61'.repeat(150)}`, '/api/v1/memory/%E0%A4%A', '/api/v1/memory/%zz']) {
        const res = await send({ method: 'GET', url });
        expectError(res, 400, 'VALIDATION_FAILED', url);
        expect(res.body).not.toContain('aaaaaaaaaa');
      }
    });

    it('a caller-supplied X-Request-Id is echoed when well-formed, replaced otherwise', async () => {
      const ok = await send({ method: 'GET', url: '/api/v1/memory', headers: { 'x-request-id': 'trace-123' } });
      expect(ok.headers['x-request-id']).toBe('trace-123');
      const bad = await send({ method: 'GET', url: '/api/v1/memory/x', headers: { 'x-request-id': 'a b\u00e9' } });
      expect(bad.headers['x-request-id']).not.toBe('a b\u00e9');
      expect(bad.json().request_id).toBe(bad.headers['x-request-id']);
    });
  });
});
