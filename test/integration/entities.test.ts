import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT_TABLES } from '../../src/store/database.js';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';
import { containing, storedFiles } from '../helpers/stored-files.js';

/** A capitalised made-up word of letters only (digits would make it look like a model number). */
/** The first fenced JSON block after a README heading. */
const readmeJson = (heading: string) => {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const at = readme.indexOf(heading);
  expect(at, heading).toBeGreaterThan(0);
  return JSON.parse(/```json\n([\s\S]*?)```/.exec(readme.slice(at))![1]!) as unknown;
};
/** The body of the walkthrough's curl line after a comment. */
const readmeCurlBody = (comment: string) => {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const m = new RegExp(String.raw`${comment}[^\n]*\ncurl [^\n]*\n\s*-d '([^']*)'`).exec(readme);
  expect(m, comment).not.toBeNull();
  return JSON.parse(m![1]!) as object;
};

const rareWord = (stem: string) => `${stem}${randomUUID().replace(/-/g, '').slice(0, 10).replace(/\d/g, (d) => 'ghijklmnop'[Number(d)]!)}`;

/** Issue 8, acceptance 1, 3 and 5 for /entities: extraction, the sealed graph, lookup, tenancy, erase. */
describe(`knowledge graph (${backend()})`, () => {
  let t: TestApp;
  let dataDir: string | undefined;

  const auth = async (user: string, scopes?: string[]) => ({ authorization: `Bearer ${await t.token(user, scopes)}` });
  const index = async (user: string, text: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers: await auth(user), payload: { text, user_id: user } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { memory_id: string; chunk_ids: string[] };
  };
  const extract = async (user: string, payload: object, scopes?: string[]) =>
    t.app.inject({ method: 'POST', url: '/api/v1/memory/entities', headers: await auth(user, scopes), payload });
  const lookup = async (user: string, name: string, as = user, scopes?: string[]) =>
    t.app.inject({
      method: 'GET',
      url: `/api/v1/memory/entities?user_id=${encodeURIComponent(user)}&name=${encodeURIComponent(name)}`,
      headers: await auth(as, scopes),
    });
  const graphRows = async (table: string) => Number((await t.owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n);

  beforeAll(async () => {
    if (backend() === 'pglite') dataDir = mkdtempSync(join(tmpdir(), 'engram-entities-'));
    t = await createTestApp({ pgliteDataDir: dataDir });
  });
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('extracts typed entities and relationships from text, without storing anything', async () => {
    const res = await extract('ann', {
      text: "Caroline: I moved to Lisbon in March 2021. Caroline's sister works at Google and paid $450 for it.\nMelanie: email me at mel@example.org",
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const byName = Object.fromEntries(body.entities.map((e: { name: string; type: string }) => [e.name, e]));
    expect(byName.Caroline).toMatchObject({ type: 'person', mentions: 2 }); // speaker + possessive: one entity
    expect(byName.Lisbon.type).toBe('place');
    expect(byName.Google.type).toBe('organization');
    expect(byName['March 2021'].type).toBe('date');
    expect(byName.$450.type).toBe('money');
    expect(byName['mel@example.org'].type).toBe('email');
    expect(byName.Caroline.salience).toBe(1);
    expect(body.relationships).toContainEqual({
      source: 'Caroline',
      predicate: 'sister: work at',
      target: 'Google',
      evidence: "Caroline's sister works at Google and paid $450 for it.",
      memory_id: null,
      chunk_id: null,
    });
    expect(body.persisted).toBe(false);
    expect(await graphRows('entities')).toBe(0);
  });

  it('types a name by what the text says it is, a dog, a city or a company (issue 19)', async () => {
    const res = await extract('leo', {
      text: 'I adopted a beagle called Rex last spring. My dog Rex loves the beach. We moved to a city called Porto. She works at a startup named Acme. Our cat, Misu, sleeps all day.',
    });
    expect(res.statusCode, res.body).toBe(200);
    const byName = Object.fromEntries(res.json().entities.map((e: { name: string; type: string }) => [e.name, e]));
    expect(byName.Rex).toMatchObject({ type: 'animal', mentions: 2 });
    expect(byName.Misu).toMatchObject({ type: 'animal', mentions: 1 });
    expect(byName.Porto.type).toBe('place');
    expect(byName.Acme.type).toBe('organization');
  });

  it('persists and looks up an animal, related by the infinitive of its verb', async () => {
    const m = await index('lou', 'Lou adopted a beagle named Rex in April. She walks him every evening.');
    const res = await extract('lou', { memory_ids: [m.memory_id], persist: true });
    expect(res.statusCode, res.body).toBe(200);
    const got = await lookup('lou', 'rex');
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json().entity).toEqual({ name: 'Rex', type: 'animal', mentions: 1 });
    expect(got.json().relationships).toEqual([
      {
        source: 'Lou',
        predicate: 'adopt',
        target: 'Rex',
        evidence: 'Lou adopted a beagle named Rex in April.',
        memory_id: m.memory_id,
        chunk_id: m.chunk_ids[0],
      },
    ]);
  });

  it("the README's examples are what the routes return", async () => {
    // POST /entities: the walkthrough's text, and the answer the README shows for it.
    const res = await extract('alice', readmeCurlBody('# entities in a text'));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(readmeJson('### `POST /entities`'));

    // GET /entities?name=Rex after the walkthrough's index, update and persist of that memory.
    const m = await index('alice', 'Alice adopted a beagle named Rex in March. She walks him every morning.');
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/memory/${m.memory_id}`,
      headers: await auth('alice'),
      payload: readmeCurlBody('# correct it'),
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect((await extract('alice', { memory_ids: [m.memory_id], persist: true })).statusCode).toBe(200);
    const got = await lookup('alice', 'Rex');
    expect(got.statusCode, got.body).toBe(200);
    const shown = JSON.parse(
      got.body
        .replace(/"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"/g, '"uuid"')
        .replace(/"created_at":"[^"]*"/g, '"created_at":"…"'),
    );
    expect(shown).toEqual(readmeJson('### `GET /entities?user_id=&name=`'));
  });

  it('extracts from stored memories with the chunk of every relationship', async () => {
    const m = await index('bea', 'Bea: I went hiking with Tomasz near Zakopane last weekend.');
    const res = await extract('bea', { memory_ids: [m.memory_id] });
    expect(res.statusCode, res.body).toBe(200);
    const rel = res.json().relationships.find((r: { target: string }) => r.target === 'Zakopane');
    expect(rel).toMatchObject({ source: 'Bea', memory_id: m.memory_id, chunk_id: m.chunk_ids[0] });
  });

  it('persists the graph and finds an entity by any of its names, with relationships and memories', async () => {
    const name = rareWord('Xylophanes');
    const m = await index('cai', `Cai: My friend ${name} works at Initech in Reykjavik. ${name}'s dog is called Rex.`);
    const res = await extract('cai', { memory_ids: [m.memory_id], persist: true });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().persisted).toBe(true);
    for (const asked of [name, `${name}'s`, name.toUpperCase()]) {
      const got = await lookup('cai', asked);
      expect(got.statusCode, got.body).toBe(200);
      const body = got.json();
      expect(body.entity).toEqual({ name, type: 'person', mentions: 2 });
      expect(body.relationships).toContainEqual(
        expect.objectContaining({ source: name, predicate: 'work at', target: 'Initech', memory_id: m.memory_id }),
      );
      expect(body.memories).toEqual([
        { memory_id: m.memory_id, chunk_ids: m.chunk_ids, text: expect.stringContaining(name), created_at: expect.any(String) },
      ]);
    }
    // Persisting the same memory again does not duplicate anything.
    const before = await Promise.all(['entities', 'entity_mentions', 'entity_relationships'].map(graphRows));
    await extract('cai', { memory_ids: [m.memory_id], persist: true });
    expect(await Promise.all(['entities', 'entity_mentions', 'entity_relationships'].map(graphRows))).toEqual(before);
    expect((await lookup('cai', 'Nobody At All')).statusCode).toBe(404);
  });

  it('persisting text needs memory:write; reading needs memory:read', async () => {
    expect((await extract('dan', { text: 'Dan met Eve in Oslo.', persist: true }, ['memory:read'])).json().code).toBe('FORBIDDEN');
    expect((await extract('dan', { text: 'Dan met Eve in Oslo.' }, ['memory:read'])).statusCode).toBe(200);
    expect((await extract('dan', { text: 'Dan met Eve in Oslo.', persist: true })).statusCode).toBe(200);
    expect((await lookup('dan', 'Oslo', 'dan', ['memory:write'])).json().code).toBe('FORBIDDEN');
    expect((await lookup('dan', 'Oslo', 'dan', ['memory:read'])).json().entity).toEqual({ name: 'Oslo', type: 'place', mentions: 1 });
  });

  it('refuses bad input with the standard error body', async () => {
    for (const payload of [{}, { text: 'x', memory_ids: [randomUUID()] }, { text: 'x', extra: 1 }, { memory_ids: [] }, { text: '   ' }]) {
      const res = await extract('eve', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toEqual({ code: 'VALIDATION_FAILED', detail: expect.any(String), request_id: expect.any(String) });
    }
    expect((await extract('eve', { text: 'a'.repeat(60_000) })).statusCode).toBe(413);
    expect((await lookup('eve', 'a'.repeat(201))).statusCode).toBe(400);
  });

  it("another tenant can neither read the graph nor use another user's memory ids", async () => {
    const m = await index('fay', 'Fay: My cousin Quillon works at Umbrella Corp in Raccoon City.');
    expect((await extract('fay', { memory_ids: [m.memory_id], persist: true })).statusCode).toBe(200);
    expect((await lookup('fay', 'Quillon')).statusCode).toBe(200);
    // Another user's own graph has no such name; their token cannot name fay.
    expect((await lookup('gus', 'Quillon')).statusCode).toBe(404);
    const cross = await lookup('fay', 'Quillon', 'gus');
    expect(cross.statusCode).toBe(403);
    expect(cross.json().code).toBe('CROSS_TENANT');
    expect((await extract('gus', { user_id: 'fay', text: 'hello' })).json().code).toBe('CROSS_TENANT');
    // Fay's memory id used by gus: not found, and nothing of fay's is read or written.
    const stolen = await extract('gus', { memory_ids: [m.memory_id], persist: true });
    expect(stolen.statusCode).toBe(404);
    expect(stolen.json().code).toBe('NOT_FOUND');
    // Under RLS another tenant's transaction sees none of fay's graph rows, even asking for them by
    // fay's user_hash; fay's own transaction sees them.
    const fayHash = (await t.owner.query<{ h: string }>(`SELECT user_hash AS h FROM memories WHERE id = $1`, [m.memory_id])).rows[0]!.h;
    const rowsOf = (tenant: string) =>
      t.db.withTenant(tenant, async (tx) =>
        Promise.all(
          TENANT_TABLES.filter((x) => x.startsWith('entit')).map(
            async (x) => (await tx.query(`SELECT 1 FROM ${x} WHERE user_hash = $1`, [fayHash])).rows.length,
          ),
        ),
      );
    expect(await rowsOf('0'.repeat(64))).toEqual([0, 0, 0, 0]);
    expect((await rowsOf(fayHash))[0]).toBeGreaterThan(0);
  });

  it('deleting a memory removes what only it supported; erase removes the whole graph', async () => {
    const one = await index('hal', 'Hal: My aunt Wendeline lives in Tromso.');
    const two = await index('hal', 'Hal: My aunt Wendeline visited Bergen with Oskarine.');
    await extract('hal', { memory_ids: [one.memory_id, two.memory_id], persist: true });
    await extract('hal', { text: 'Hal met Pernille in Narvik.', persist: true });
    expect((await lookup('hal', 'Oskarine')).statusCode).toBe(200);
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/memory/${two.memory_id}`, headers: await auth('hal') });
    expect(del.statusCode).toBe(204);
    expect((await lookup('hal', 'Oskarine')).statusCode).toBe(404); // only the deleted memory mentioned her
    expect((await lookup('hal', 'Bergen')).statusCode).toBe(404);
    const w = (await lookup('hal', 'Wendeline')).json();
    expect(w.entity.mentions).toBe(1);
    expect(w.memories.map((x: { memory_id: string }) => x.memory_id)).toEqual([one.memory_id]);
    expect(w.relationships.every((r: { memory_id: string }) => r.memory_id === one.memory_id)).toBe(true);
    expect((await lookup('hal', 'Pernille')).statusCode).toBe(200); // from text: kept until erase

    const halHash = (await t.owner.query<{ h: string }>(`SELECT user_hash AS h FROM memories WHERE id = $1`, [one.memory_id])).rows[0]!.h;
    const erase = await t.app.inject({ method: 'DELETE', url: '/api/v1/memory/?user_id=hal', headers: await auth('hal') });
    expect(erase.statusCode).toBe(200);
    for (const table of ['entities', 'entity_aliases', 'entity_mentions', 'entity_relationships']) {
      const { rows } = await t.owner.query(`SELECT 1 FROM ${table} WHERE user_hash = $1`, [halHash]);
      expect(rows, table).toEqual([]);
    }
    expect((await lookup('hal', 'Pernille')).statusCode).toBe(404);
  });

  it('counts and times the operations, without user ids or names in the labels', async () => {
    await extract('kim', { text: 'Kim met Ottoline in Ghent.' });
    await lookup('kim', 'Ottoline');
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/memory_entities_operations_total\{operation="extract",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/memory_entities_operations_total\{operation="lookup",outcome="error"\} [1-9]/);
    expect(text).toMatch(/memory_entities_latency_ms_count\{operation="extract"\} [1-9]/);
    expect(text).toMatch(/relay_memory_requests_total\{route="\/api\/v1\/memory\/entities",method="POST",status="200"\}/);
    expect(text).not.toContain('kim');
    expect(text).not.toContain('Ottoline');
  });

  it('with ENTITIES_ON_INGEST every ingested memory joins the graph', async () => {
    const other = await createTestApp({ env: { ENTITIES_ON_INGEST: 'true' } });
    try {
      const token = await other.token('ivy');
      const res = await other.app.inject({
        method: 'POST',
        url: '/api/v1/memory/index',
        headers: { authorization: `Bearer ${token}` },
        payload: { user_id: 'ivy', text: 'Ivy: Marguerite and I flew to Valparaiso.' },
      });
      expect(res.statusCode).toBe(201);
      const got = await other.app.inject({ method: 'GET', url: '/api/v1/memory/entities?name=Valparaiso', headers: { authorization: `Bearer ${token}` } });
      expect(got.statusCode, got.body).toBe(200);
      expect(got.json().memories[0].memory_id).toBe(res.json().memory_id);
    } finally {
      await other.close();
    }
  });

  // Last: on PGlite it closes the app to have the data directory written out.
  it('a rare entity name is stored nowhere in clear: not in the database files, not in the logs', async () => {
    const rare = rareWord('Zorbulon');
    const visible = `visible-metadata-${randomUUID()}`;
    const m = await index('jan', `Jan: My friend ${rare} took me to Quetzaltenango.`);
    const plain = await t.app.inject({
      method: 'POST',
      url: '/api/v1/memory/index',
      headers: await auth('jan'),
      payload: { user_id: 'jan', text: 'Jan: nothing here.', metadata: { tag: visible } },
    });
    expect(plain.statusCode).toBe(201);
    expect((await extract('jan', { memory_ids: [m.memory_id], persist: true })).statusCode).toBe(200);
    expect((await extract('jan', { text: `I met my cousin ${rare} in Quetzaltenango.`, persist: true })).statusCode).toBe(200);
    expect(await graphRows('entity_aliases')).toBeGreaterThan(0);
    // Table contents as text, through the owner (no RLS), first.
    for (const table of ['entities', 'entity_aliases', 'entity_mentions', 'entity_relationships']) {
      const { rows } = await t.owner.query<Record<string, unknown>>(`SELECT * FROM ${table}`);
      const cells = rows.flatMap((r) => Object.values(r)).map((v) => (v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(String(v))));
      for (const needle of [rare, rare.toLowerCase()]) expect(cells.filter((c) => c.includes(needle)), table).toEqual([]);
    }
    expect((await lookup('jan', rare)).json().entity.name).toBe(rare);
    const files = await storedFiles(t, dataDir);
    expect(containing(files, visible).length).toBeGreaterThan(0); // the scan can find clear text
    expect(containing(files, rare)).toEqual([]);
    expect(containing(files, rare.toLowerCase())).toEqual([]);
    expect(t.logs.join('')).not.toContain(rare);
  });
});
