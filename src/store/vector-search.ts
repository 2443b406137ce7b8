import { queryPrepared, type Queryable } from './database.js';
import { cosineQueryParam } from './vector-literal.js';
import { filterConditions, live, type ChunkHit, type SearchFilters } from './memory-repository.js';

/**
 * The vector side of a search (docs/ARCHITECTURE.md, "Filtered vector search" and "Search pipeline").
 * Every statement filters on user_hash: RLS is the guarantee, the explicit predicate lets the planner
 * use the tenant indexes.
 *
 * - exactBelow: users with fewer chunks than this are scanned exactly (recall 1, every row fetched);
 * - efSearch: the HNSW candidate list (hnsw.ef_search, at least k) for larger users: recall vs time;
 * - maxScanTuples: how many index tuples an iterative scan may visit (hnsw.max_scan_tuples) before
 *   giving up; a short answer then falls back to the exact scan.
 */
export interface VectorSearchOptions {
  exactBelow: number;
  efSearch: number;
  maxScanTuples: number;
}

export const DEFAULT_VECTOR_SEARCH: VectorSearchOptions = { exactBelow: 2000, efSearch: 100, maxScanTuples: 20_000 };

export interface CandidateRequest {
  userHash: string;
  embedding: number[];
  dimensions: number;
  /** Nearest chunks wanted. */
  k: number;
  filters: SearchFilters;
  options?: VectorSearchOptions;
  /** Chunks to fetch as well, with their cosine (the keyword candidates): ids the caller already filtered. */
  include?: readonly string[];
  /** Neighbouring chunks (by created_at, id) to list for every row returned; 0 for none. */
  neighbourSpan?: number;
}

export interface CandidateRows {
  /** The k nearest chunks matching the filters, nearest first (score = cosine similarity). */
  nearest: ChunkHit[];
  /** Every chunk fetched (nearest and included) by id, score = cosine similarity. */
  rows: Map<string, ChunkHit>;
  /** Chunk id → the ids, among these rows, of the chunks at most `neighbourSpan` places before or after it in the user's timeline (created_at, id). */
  neighbours: Map<string, string[]>;
}

/**
 * The user's k nearest chunks by cosine distance, with the filters applied, plus the rows of the
 * `include` ids and everyone's neighbours. Exact for users with few chunks, HNSW (iterative scan)
 * otherwise, and exact again whenever the index comes back short: a user with at least k matching
 * chunks always gets k results.
 *
 * A user below `exactBelow` (the common case) costs one statement: the bounded count, the exact scan,
 * the included rows and the neighbour lists together, the query vector parsed once. A larger user
 * costs that statement (which then only counts), the HNSW statements, and one statement for the
 * included rows and the neighbours.
 */
export async function vectorCandidates(tx: Queryable, req: CandidateRequest): Promise<CandidateRows> {
  const options = req.options ?? DEFAULT_VECTOR_SEARCH;
  const include = req.include ?? [];
  const span = req.neighbourSpan ?? 0;
  const first = await exactRows(tx, req, include, options.exactBelow);
  if (first.userChunks < options.exactBelow) return first;

  let nearest = await hnswSearch(tx, req, options);
  // The graph walk stops at max_scan_tuples: when the filters keep too few of the rows it visits
  // (a user's chunks far from the query among another user's), the exact scan has the answer.
  if (nearest.length < req.k) nearest = await exactSearch(tx, req);
  const rows = new Map(nearest.map((h) => [h.chunkId, h]));
  const more = include.filter((id) => !rows.has(id));
  if (more.length === 0 && span < 1) return { nearest, rows, neighbours: new Map() };
  const extra = await rowsById(tx, req, [...more, ...(span > 0 ? rows.keys() : [])], span);
  for (const [id, hit] of extra.rows) if (!rows.has(id)) rows.set(id, hit);
  return { nearest, rows, neighbours: extra.neighbours };
}

/** The k nearest chunks alone (the filtered-search bench and tests). */
export async function vectorSearch(
  tx: Queryable,
  userHash: string,
  embedding: number[],
  dimensions: number,
  k: number,
  filters: SearchFilters,
  options: VectorSearchOptions = DEFAULT_VECTOR_SEARCH,
): Promise<ChunkHit[]> {
  return (await vectorCandidates(tx, { userHash, embedding, dimensions, k, filters, options })).nearest;
}

const HIT_COLUMNS = 'id, memory_id, ordinal, ciphertext, source, metadata, created_at';

type DbHit = {
  id: string;
  memory_id: string;
  ordinal: number;
  ciphertext: Uint8Array;
  source: string | null;
  metadata: Record<string, unknown>;
  created_at: Date;
  distance: number;
};

const toHit = (r: DbHit): ChunkHit => ({
  chunkId: r.id,
  memoryId: r.memory_id,
  ordinal: r.ordinal,
  ciphertext: r.ciphertext,
  source: r.source,
  metadata: r.metadata,
  createdAt: r.created_at,
  score: 1 - Number(r.distance),
});


/** The tenant predicate and the filters: `$1` is the user hash, the filters' values follow. */
function searchPredicate(userHash: string, filters: SearchFilters, alias = '') {
  const params: unknown[] = [userHash];
  const where = [`${alias}user_hash = $1`, ...filterConditions(filters, params, alias)];
  return { where: where.join(' AND '), params };
}

/**
 * One statement: the user's chunks counted up to `bound` (an index-only scan of at most `bound`
 * entries, cheap whatever the user's size), and, only when the count is below it, an exact scan of the
 * user's live chunks: each one's distance, whether it matches the filters, and its place in the user's
 * timeline (created_at, id). From that scan: the k nearest matching chunks, then the rows of those and
 * of the `include` ids with their distances and places (packed: see PackedRow). A user at or above
 * the bound gets the count alone.
 *
 * The scan orders by `embedding <=> q`, not the indexed expression `embedding::vector(N) <=> q`, so the
 * planner cannot take the HNSW index: it reads the user's rows through (user_hash, created_at, id) and
 * computes each distance once. The places give the neighbours in JS (neighboursByPlace): a window
 * over the rows the scan reads anyway, instead of two index scans per returned row.
 */
async function exactRows(
  tx: Queryable,
  req: CandidateRequest,
  include: readonly string[],
  bound: number,
): Promise<CandidateRows & { userChunks: number }> {
  const params: unknown[] = [req.userHash];
  const add = (value: unknown) => `$${params.push(value)}`;
  const matches = filterConditions(req.filters, params, 'm.').join(' AND ');
  const d = Math.trunc(req.dimensions);
  const q = add(cosineQueryParam(req.embedding));
  const ids = add(include);
  const limit = add(bound);
  const { rows } = await queryPrepared<{ n: number; found: PackedRow[] | null }>(
    tx,
    'vector_exact',
    `WITH cnt AS (
            SELECT count(*)::int AS n FROM (SELECT 1 FROM memory_chunks WHERE user_hash = $1 LIMIT ${limit}) s
          ),
          scan AS MATERIALIZED (
            SELECT m.id, m.embedding <=> ${q}::vector(${d}) AS distance, ${matches} AS matches,
                   row_number() OVER (ORDER BY m.created_at, m.id) AS place
              FROM memory_chunks m
             WHERE m.user_hash = $1 AND ${live('m.')} AND (SELECT n FROM cnt) < ${limit}
          ),
          nearest AS (
            SELECT id FROM scan WHERE matches ORDER BY distance, id LIMIT ${add(req.k)}
          )
     SELECT cnt.n, (
              SELECT json_agg(json_build_array(c.id, c.memory_id, c.ordinal, encode(c.ciphertext, 'base64'), c.source,
                                               c.metadata, c.created_at, s.distance, s.place, s.id IN (SELECT id FROM nearest)))
                FROM scan s JOIN memory_chunks c ON c.id = s.id
               WHERE c.user_hash = $1
                 AND (s.id IN (SELECT id FROM nearest) OR s.id = ANY(${ids}::uuid[]))
            ) AS found
       FROM cnt`,
    params,
  );
  const userChunks = rows[0]?.n ?? 0;
  const found = (rows[0]?.found ?? []).map(unpack);
  const byDistance = found.filter((r) => r.nearest).sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1));
  const span = req.neighbourSpan ?? 0;
  return {
    userChunks,
    nearest: byDistance.map(toHit),
    rows: new Map(found.map((r) => [r.id, toHit(r)])),
    neighbours: span > 0 ? neighboursByPlace(found, span) : new Map(),
  };
}

/**
 * A row of the exact statement, packed: id, memory_id, ordinal, ciphertext (base64), source,
 * metadata, created_at (ISO 8601), distance, place, nearest. The rows come back as one JSON value
 * rather than 81 rows of 10 columns: on PGlite every column of every row costs its own buffer copy
 * and parser call in JS (about 2 ms a query here), one JSON text costs one; on PostgreSQL the two are
 * about even (docs/BENCHMARKS.md, "Query speed").
 */
type PackedRow = [string, string, number, string, string | null, Record<string, unknown>, string, number, number, boolean];

function unpack(r: PackedRow): DbHit & { nearest: boolean; place: number } {
  const [id, memoryId, ordinal, ciphertext, source, metadata, createdAt, distance, place, nearest] = r;
  return {
    id,
    memory_id: memoryId,
    ordinal,
    ciphertext: Buffer.from(ciphertext, 'base64'),
    source,
    metadata,
    created_at: new Date(createdAt),
    distance,
    place,
    nearest,
  };
}

/**
 * Each row's neighbours among the rows: those whose place in the user's timeline is at most `span`
 * away. The places number every live chunk of the user, so a chunk between two rows that was not
 * fetched still counts in the distance, as in the per-row scans of rowsById.
 */
export function neighboursByPlace(rows: readonly { id: string; place: number }[], span: number): Map<string, string[]> {
  const sorted = [...rows].sort((a, b) => a.place - b.place);
  const out = new Map<string, string[]>();
  for (let i = 0; i < sorted.length; i++) {
    const near: string[] = [];
    for (let j = i - 1; j >= 0 && sorted[i]!.place - sorted[j]!.place <= span; j--) near.push(sorted[j]!.id);
    for (let j = i + 1; j < sorted.length && sorted[j]!.place - sorted[i]!.place <= span; j++) near.push(sorted[j]!.id);
    out.set(sorted[i]!.id, near);
  }
  return out;
}

/**
 * The index path's second statement: the rows of `ids` with their distances and, when span > 0, the
 * ids of the `span` live chunks written just before and just after each (two short scans of the
 * (user_hash, created_at, id) index per row, each stopping after `span` entries), kept to the rows
 * returned, as on the exact path.
 */
async function rowsById(tx: Queryable, req: CandidateRequest, ids: readonly string[], span: number): Promise<CandidateRows> {
  const params: unknown[] = [req.userHash, cosineQueryParam(req.embedding), ids];
  const d = Math.trunc(req.dimensions);
  const around = (alias: string, cmp: '<' | '>', dir: string) =>
    `(SELECT ${alias}.id::text FROM memory_chunks ${alias}
       WHERE ${alias}.user_hash = $1 AND (${alias}.created_at, ${alias}.id) ${cmp} (c.created_at, c.id) AND ${live(`${alias}.`)}
       ORDER BY ${alias}.created_at ${dir}, ${alias}.id ${dir} LIMIT $4)`;
  const neighbours = span > 0 ? `ARRAY(${around('b', '<', 'DESC')} UNION ALL ${around('a', '>', 'ASC')})` : 'NULL::text[]';
  if (span > 0) params.push(span);
  const { rows } = await tx.query<DbHit & { neighbours: string[] | null }>(
    `SELECT c.${HIT_COLUMNS.split(', ').join(', c.')}, c.embedding <=> $2::vector(${d}) AS distance, ${neighbours} AS neighbours
       FROM memory_chunks c WHERE c.user_hash = $1 AND c.id = ANY($3::uuid[])`,
    params,
  );
  const rowMap = new Map(rows.map((r) => [r.id, toHit(r)]));
  const kept = (list: string[] | null) => (list ?? []).filter((id) => rowMap.has(id));
  return { nearest: [], rows: rowMap, neighbours: new Map(span > 0 ? rows.map((r) => [r.id, kept(r.neighbours)]) : []) };
}

/**
 * The HNSW path for a user with many chunks. For this transaction only: iterative scan, ef_search,
 * max_scan_tuples. Unfiltered, a large user's rows are many: the planner may still cost a sort of all
 * of them below the walk (it underrates reading every row's vector), and that exact
 * sort grows with the user. enable_sort = off steers it to the index; it is put back after.
 */
async function hnswSearch(tx: Queryable, req: CandidateRequest, options: VectorSearchOptions): Promise<ChunkHit[]> {
  const { where, params } = searchPredicate(req.userHash, req.filters);
  const steer = params.length === 1; // the user hash alone: no filters
  // SET LOCAL, not set_config(): on Citus only SET commands reach the shard that runs the scan. The
  // values are integers of our own, so they are written into the statements.
  const settings = [
    `hnsw.iterative_scan = relaxed_order`,
    `hnsw.ef_search = ${Math.trunc(Math.max(options.efSearch, req.k))}`,
    `hnsw.max_scan_tuples = ${Math.trunc(options.maxScanTuples)}`,
    ...(steer ? ['enable_sort = off'] : []),
  ];
  for (const setting of settings) await tx.query(`SET LOCAL ${setting}`);
  const n = params.length;
  const d = Math.trunc(req.dimensions);
  const distance = `(embedding::vector(${d}) <=> $${n + 1}::vector(${d}))`;
  // relaxed_order may return rows slightly out of order; the outer ORDER BY restores it.
  const { rows } = await tx.query<DbHit>(
    `SELECT * FROM (
       SELECT ${HIT_COLUMNS}, ${distance} AS distance
         FROM memory_chunks WHERE ${where}
        ORDER BY ${distance} LIMIT $${n + 2}
     ) hits ORDER BY distance, id`,
    [...params, cosineQueryParam(req.embedding), req.k],
  );
  if (steer) await tx.query(`SET LOCAL enable_sort = on`);
  return rows.map(toHit);
}

/** Every matching row of the user, ordered by true distance (see fetchRows on why not the index). */
async function exactSearch(tx: Queryable, req: CandidateRequest): Promise<ChunkHit[]> {
  const { where, params } = searchPredicate(req.userHash, req.filters);
  const n = params.length;
  const { rows } = await tx.query<DbHit>(
    `SELECT ${HIT_COLUMNS}, (embedding <=> $${n + 1}::vector(${Math.trunc(req.dimensions)})) AS distance
       FROM memory_chunks WHERE ${where}
      ORDER BY distance, id LIMIT $${n + 2}`,
    [...params, cosineQueryParam(req.embedding), req.k],
  );
  return rows.map(toHit);
}
