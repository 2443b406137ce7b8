import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Queryable } from '../../src/store/database.js';
import { prepareEmbeddingSpace } from '../../src/store/embedding-space.js';
import type { SearchFilters } from '../../src/store/memory-repository.js';
import { DEFAULT_VECTOR_SEARCH, vectorCandidates, vectorSearch } from '../../src/store/vector-search.js';
import { migrate } from '../../src/store/migrate.js';
import { openPGlite } from '../../src/store/pglite.js';
import { openPostgres } from '../../src/store/postgres.js';
import { backend, createPostgresDatabase, onServer } from '../helpers/database.js';

// A user whose chunks are drowned among a big user's: the big user's 21,000 chunks all lie nearer
// the query than any of the small user's. An HNSW scan filtered to the small user visits the big
// user's tuples first and gives up at hnsw.max_scan_tuples (20,000) with nothing: the search must
// still return k results whenever at least k chunks match. 8-d vectors keep the table quick to build.
const DIM = 8;
const K = 10;
const BIG = 'b'.repeat(64);
// On Citus: a user hash whose shard is BIG's (beforeAll), so both share one shard and its HNSW index,
// as on one server; users of different shards never meet in an index.
let SMALL = 'a'.repeat(64);
const BIG_CHUNKS = 21_000;
const SMALL_CHUNKS = 3_000;
const QUERY = [1, 0, 0, 0, 0, 0, 0, 0];
const RECENT = new Date('2026-06-01T00:00:00Z');

let db: Database;
let owner: Queryable;
let cleanup: () => Promise<void>;

/** `n` chunks (a memory each) for `user` around +e1 (sign 1) or -e1 (sign -1), with sources, kinds and dates to filter on. */
async function seed(user: string, n: number, sign: number) {
  await owner.query(
    `INSERT INTO memories (id, user_hash, source, metadata, text_ciphertext, chunk_count, created_at)
     SELECT gen_random_uuid(), $1, CASE WHEN i % 100 = 0 THEN 'note' ELSE 'chat' END,
            jsonb_build_object('kind', CASE WHEN i % 50 = 0 THEN 'plan' WHEN i % 1000 = 1 THEN 'rare' ELSE 'event' END), '\\x00', 1,
            CASE WHEN i % 20 = 0 THEN $3::timestamptz ELSE $3::timestamptz - interval '400 days' END
       FROM generate_series(1, $2) i`,
    [user, n, RECENT],
  );
  await owner.query(
    `INSERT INTO memory_chunks (id, user_hash, memory_id, ordinal, ciphertext, embedding, embedding_model, source, metadata, created_at)
     SELECT gen_random_uuid(), m.user_hash, m.id, 0, '\\x00',
            l2_normalize(ARRAY[$2 * 3 + random() - 0.5, random() - 0.5, random() - 0.5, random() - 0.5,
                               random() - 0.5, random() - 0.5, random() - 0.5, random() - 0.5]::real[]::vector),
            'test-8d', m.source, m.metadata, m.created_at
       FROM memories m WHERE m.user_hash = $1`,
    [user, sign],
  );
}

beforeAll(async () => {
  if (onServer()) {
    const created = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: created.url });
    await client.connect();
    owner = client;
    const pgdb = await openPostgres({ url: created.url, poolMax: 2 });
    db = pgdb;
    cleanup = async () => {
      await pgdb.close();
      await client.end();
      await created.drop();
    };
    // Statistics stay as ANALYZE below leaves them, whatever autovacuum does meanwhile.
    await migrate(client);
    if (backend() === 'citus') SMALL = await sameShardAs(client, BIG);
    await client.query('ALTER TABLE memory_chunks SET (autovacuum_enabled = false)');
  } else {
    const lite = await openPGlite('memory://');
    db = lite;
    owner = lite.pglite;
    cleanup = () => lite.close();
    await migrate(lite.pglite);
  }
  await seed(BIG, BIG_CHUNKS, 1);
  await seed(SMALL, SMALL_CHUNKS, -1);
  await prepareEmbeddingSpace(owner, 'test-8d', DIM);
  // With accurate statistics the planner picks the HNSW index for the small user too (3,000 rows).
  await owner.query('ANALYZE memory_chunks');
}, 300_000);

afterAll(async () => {
  await cleanup?.();
});

/** The first of a run of user hashes that lands in the same shard as `userHash`. */
async function sameShardAs(q: Queryable, userHash: string): Promise<string> {
  for (let i = 0; ; i++) {
    const candidate = `${'a'.repeat(60)}${i.toString(16).padStart(4, '0')}`;
    const { rows } = await q.query<{ same: boolean }>(
      `SELECT get_shard_id_for_distribution_column('memory_chunks', $1::text) = get_shard_id_for_distribution_column('memory_chunks', $2::text) AS same`,
      [candidate, userHash],
    );
    if (rows[0]!.same) return candidate;
  }
}

const search = (user: string, filters: SearchFilters = {}, k = K) =>
  db.withTenant(user, (tx) => vectorSearch(tx, user, QUERY, DIM, k, filters));

/** The true nearest chunks, by an exact scan as the owner. */
async function exact(user: string, where = 'true', k = K): Promise<string[]> {
  const { rows } = await owner.query<{ id: string }>(
    `SELECT id FROM memory_chunks WHERE user_hash = $1 AND ${where}
      ORDER BY embedding <=> $2::vector, id LIMIT $3`,
    [user, `[${QUERY.join(',')}]`, k],
  );
  return rows.map((r) => r.id);
}

describe('filtered vector search keeps k results', () => {
  it('returns the k nearest chunks of a user drowned among a big user', async () => {
    const hits = await search(SMALL);
    expect(hits).toHaveLength(K);
    expect(hits.map((h) => h.chunkId)).toEqual(await exact(SMALL));
  });

  it('returns k results with source, metadata and time filters when at least k chunks match', async () => {
    const cases: [SearchFilters, string][] = [
      [{ source: 'note' }, `source = 'note'`], // 30 match
      [{ metadata: { kind: 'plan' } }, `metadata @> '{"kind":"plan"}'`], // 60 match
      [{ createdAfter: new Date(RECENT.getTime() - 86_400_000) }, `created_at >= '${new Date(RECENT.getTime() - 86_400_000).toISOString()}'`], // 150
      [{ createdBefore: RECENT, source: 'chat' }, `created_at < '${RECENT.toISOString()}' AND source = 'chat'`],
    ];
    for (const [filters, where] of cases) {
      const hits = await search(SMALL, filters);
      expect(hits, JSON.stringify(filters)).toHaveLength(K);
      expect(new Set(hits.map((h) => h.chunkId))).toEqual(new Set(await exact(SMALL, where)));
    }
  });

  it('returns every match when fewer than k chunks match, and nothing of another user', async () => {
    const hits = await search(SMALL, { metadata: { kind: 'rare' } }); // i % 1000 = 1: 3 rows
    expect(hits.map((h) => h.chunkId)).toEqual(await exact(SMALL, `metadata @> '{"kind":"rare"}'`));
    expect(hits).toHaveLength(3);
    const none = await search(SMALL, { source: 'nowhere' });
    expect(none).toEqual([]);
    const bigIds = new Set(await exact(BIG, 'true', 100));
    expect((await search(SMALL, {}, 50)).some((h) => bigIds.has(h.chunkId))).toBe(false);
  });

  it('serves the big user from the index, in distance order', async () => {
    const hits = await search(BIG);
    expect(hits).toHaveLength(K);
    const scores = hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(hits.every((h) => h.score > 0.5)).toBe(true);
  });

  it('keeps the guarantee when the index path is forced for the drowned user (fallback to exact)', async () => {
    const hits = await db.withTenant(SMALL, (tx) =>
      vectorSearch(tx, SMALL, QUERY, DIM, K, {}, { exactBelow: 1, efSearch: 40, maxScanTuples: 20_000 }),
    );
    expect(hits.map((h) => h.chunkId)).toEqual(await exact(SMALL));
  });

  it('fetches the keyword candidates and every row\'s neighbours among them with the nearest, on the exact and the index path', async () => {
    // The farthest chunks stand in for keyword candidates the vector side would not find itself.
    const far = (await exact(SMALL, 'true', SMALL_CHUNKS)).slice(-5);
    const { rows: truth } = await owner.query<{ id: string; distance: number; around: (string | null)[] }>(
      `SELECT id, embedding <=> $2::vector AS distance,
              ARRAY[lag(id, 2) OVER w, lag(id) OVER w, lead(id) OVER w, lead(id, 2) OVER w]::text[] AS around
         FROM memory_chunks WHERE user_hash = $1 WINDOW w AS (ORDER BY created_at, id)`,
      [SMALL, `[${QUERY.join(',')}]`],
    );
    const byId = new Map(truth.map((r) => [r.id, r]));
    // And the timeline neighbours of the nearest, so that most rows have neighbours among the rows.
    const nearestIds = await exact(SMALL);
    const include = [...new Set([...far, ...nearestIds.flatMap((id) => byId.get(id)!.around.filter((n): n is string => n !== null))])];
    for (const exactBelow of [SMALL_CHUNKS + 1, DEFAULT_VECTOR_SEARCH.exactBelow]) {
      const found = await db.withTenant(SMALL, (tx) =>
        vectorCandidates(tx, {
          userHash: SMALL,
          embedding: QUERY,
          dimensions: DIM,
          k: K,
          filters: {},
          options: { ...DEFAULT_VECTOR_SEARCH, exactBelow },
          include,
          neighbourSpan: 2,
        }),
      );
      expect(found.nearest.map((h) => h.chunkId)).toEqual(await exact(SMALL));
      expect(new Set(found.rows.keys())).toEqual(new Set([...found.nearest.map((h) => h.chunkId), ...include]));
      expect(nearestIds.every((id) => (found.neighbours.get(id) ?? []).length >= 2)).toBe(true);
      for (const [id, hit] of found.rows) {
        const want = byId.get(id)!;
        expect(hit.score).toBeCloseTo(1 - Number(want.distance), 6);
        // Neighbours are reported among the rows returned (the candidates), as places in the timeline.
        expect(new Set(found.neighbours.get(id))).toEqual(new Set(want.around.filter((n) => n !== null && found.rows.has(n))));
      }
    }
  });
});
