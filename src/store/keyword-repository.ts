import type { Queryable } from './database.js';
import { filterConditions, live, type ChunkHit, type SearchFilters } from './memory-repository.js';

/**
 * SQL of the blind keyword index (tables keyword_docs and keyword_postings). Terms arrive already
 * keyed (src/search/keyword/blind-terms.ts): the database sees integers, never words.
 */

export interface KeywordDocInsert {
  chunkId: string;
  length: number;
  /** Keyed term (decimal int64) → term frequency. */
  tf: Map<string, number>;
}

export interface KeywordHit extends ChunkHit {
  /** BM25 score of the chunk (score is the same number). */
  bm25: number;
  /** Cosine similarity to the query vector, when one was given. */
  cosine: number | null;
}

export interface KeywordSearchResult {
  hits: KeywordHit[];
  /** The user's indexed chunks (BM25's N). */
  docCount: number;
  /** Document frequency of each query term found (terms absent from the index are absent here). */
  df: Map<string, number>;
}

export interface Bm25Params {
  k1: number;
  b: number;
}

export const BM25_DEFAULTS: Bm25Params = { k1: 1.2, b: 0.75 };

export const keywordRepository = {
  async insert(tx: Queryable, userHash: string, docs: readonly KeywordDocInsert[]): Promise<void> {
    if (docs.length === 0) return;
    await tx.query(
      `INSERT INTO keyword_docs (chunk_id, user_hash, term_count)
       SELECT unnest($1::uuid[]), $2, unnest($3::int[])
       ON CONFLICT (chunk_id) DO UPDATE SET term_count = EXCLUDED.term_count`,
      [docs.map((d) => d.chunkId), userHash, docs.map((d) => d.length)],
    );
    const chunkIds: string[] = [];
    const termList: string[] = [];
    const tfs: number[] = [];
    for (const doc of docs) {
      for (const [term, tf] of doc.tf) {
        chunkIds.push(doc.chunkId);
        termList.push(term);
        tfs.push(tf);
      }
    }
    if (termList.length === 0) return;
    await tx.query(
      `INSERT INTO keyword_postings (user_hash, term, chunk_id, tf)
       SELECT $1, unnest($2::bigint[]), unnest($3::uuid[]), unnest($4::int[])
       ON CONFLICT (user_hash, term, chunk_id) DO UPDATE SET tf = EXCLUDED.tf`,
      [userHash, termList, chunkIds, tfs],
    );
  },

  /**
   * For each chunk id: the ids of the user's `span` chunks written just before it and just after it
   * (by created_at, id): the neighbouring turns of a conversation written one memory per turn.
   */
  async neighbours(tx: Queryable, userHash: string, chunkIds: readonly string[], span: number): Promise<Map<string, string[]>> {
    if (chunkIds.length === 0 || span < 1) return new Map();
    const { rows } = await tx.query<{ id: string; neighbours: string[] }>(
      `SELECT c.id, ARRAY(
                (SELECT b.id::text FROM memory_chunks b
                  WHERE b.user_hash = $1 AND (b.created_at, b.id) < (c.created_at, c.id) AND ${live('b.')}
                  ORDER BY b.created_at DESC, b.id DESC LIMIT $3)
                UNION ALL
                (SELECT a.id::text FROM memory_chunks a
                  WHERE a.user_hash = $1 AND (a.created_at, a.id) > (c.created_at, c.id) AND ${live('a.')}
                  ORDER BY a.created_at, a.id LIMIT $3)) AS neighbours
         FROM memory_chunks c WHERE c.user_hash = $1 AND c.id = ANY($2::uuid[])`,
      [userHash, chunkIds, span],
    );
    return new Map(rows.map((r) => [r.id, r.neighbours]));
  },

  /** Removes a user's whole index (reindex starts from scratch). */
  async clear(tx: Queryable, userHash: string): Promise<void> {
    await tx.query(`DELETE FROM keyword_docs WHERE user_hash = $1`, [userHash]);
  },

  /**
   * The top `limit` chunks by BM25 for the keyed query terms, in one statement: per-user N and average
   * length, document frequencies, scores, the filters, and the chunk rows (ciphertext included).
   */
  async search(
    tx: Queryable,
    userHash: string,
    queryTerms: readonly string[],
    limit: number,
    filters: SearchFilters,
    options: { bm25?: Bm25Params; embedding?: number[]; dimensions?: number } = {},
  ): Promise<KeywordSearchResult> {
    if (queryTerms.length === 0) return { hits: [], docCount: 0, df: new Map() };
    const params = options.bm25 ?? BM25_DEFAULTS;
    const args: unknown[] = [userHash, queryTerms, limit, params.k1, params.b];
    let cosine = 'NULL::float8';
    if (options.embedding && options.dimensions) {
      args.push(`[${options.embedding.join(',')}]`);
      const d = Math.trunc(options.dimensions);
      cosine = `1 - (c.embedding::vector(${d}) <=> $${args.length}::vector(${d}))`;
    }
    const where = ['c.user_hash = $1', ...filterConditions(filters, args, 'c.')];
    const { rows } = await tx.query<{
      id: string | null;
      memory_id: string;
      ordinal: number;
      ciphertext: Uint8Array;
      source: string | null;
      metadata: Record<string, unknown>;
      created_at: Date;
      score: number;
      cosine: number | null;
      n: number;
      df: Record<string, number> | null;
    }>(
      `WITH stats AS (
         SELECT count(*)::float8 AS n, COALESCE(avg(term_count), 0)::float8 AS avgdl
           FROM keyword_docs WHERE user_hash = $1
       ), df AS (
         SELECT term, count(*)::float8 AS df
           FROM keyword_postings WHERE user_hash = $1 AND term = ANY($2::bigint[]) GROUP BY term
       ), scored AS (
         SELECT p.chunk_id,
                sum(ln(1 + (s.n - df.df + 0.5) / (df.df + 0.5))
                    * p.tf * ($4::float8 + 1)
                    / (p.tf + $4::float8 * (1 - $5::float8 + $5::float8 * d.term_count / GREATEST(s.avgdl, 1)))) AS score
           FROM keyword_postings p
           JOIN df ON df.term = p.term
           JOIN keyword_docs d ON d.chunk_id = p.chunk_id
           CROSS JOIN stats s
          WHERE p.user_hash = $1 AND p.term = ANY($2::bigint[])
          GROUP BY p.chunk_id
       ), top AS (
         SELECT c.id, c.memory_id, c.ordinal, c.ciphertext, c.source, c.metadata, c.created_at, scored.score
           FROM scored JOIN memory_chunks c ON c.id = scored.chunk_id
          WHERE ${where.join(' AND ')}
          ORDER BY scored.score DESC, c.id LIMIT $3
       )
       SELECT top.*, CASE WHEN top.id IS NULL THEN NULL ELSE ${cosine} END AS cosine, stats.n, (SELECT json_object_agg(term::text, df) FROM df) AS df
         FROM stats LEFT JOIN top ON true LEFT JOIN memory_chunks c ON c.id = top.id
        ORDER BY top.score DESC NULLS LAST, top.id`,
      args,
    );
    const first = rows[0];
    const df = new Map(Object.entries(first?.df ?? {}).map(([t, n]) => [t, Number(n)]));
    const hits = rows
      .filter((r) => r.id !== null)
      .map((r) => ({
        chunkId: r.id!,
        memoryId: r.memory_id,
        ordinal: r.ordinal,
        ciphertext: r.ciphertext,
        source: r.source,
        metadata: r.metadata,
        createdAt: r.created_at,
        score: Number(r.score),
        bm25: Number(r.score),
        cosine: r.cosine === null ? null : Number(r.cosine),
      }));
    return { hits, docCount: Number(first?.n ?? 0), df };
  },
};
