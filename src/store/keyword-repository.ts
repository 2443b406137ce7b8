import { queryPrepared, type Queryable } from './database.js';
import { insertRows } from './insert-rows.js';
import { filterConditions, type SearchFilters } from './memory-repository.js';

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

/** A keyword candidate: its id and score only; the vector side fetches its row (vector-search.ts). */
export interface KeywordHit {
  chunkId: string;
  bm25: number;
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
    await insertRows(
      tx,
      {
        into: 'keyword_docs',
        columns: ['chunk_id', 'user_hash', 'term_count'],
        tail: 'ON CONFLICT (user_hash, chunk_id) DO UPDATE SET term_count = EXCLUDED.term_count',
      },
      userHash,
      docs.map((d) => [d.chunkId, d.length]),
    );
    const postings = docs.flatMap((doc) => [...doc.tf].map(([term, tf]) => [term, doc.chunkId, tf]));
    if (postings.length === 0) return;
    await insertRows(
      tx,
      {
        into: 'keyword_postings',
        columns: ['user_hash', 'term', 'chunk_id', 'tf'],
        tail: 'ON CONFLICT (user_hash, term, chunk_id) DO UPDATE SET tf = EXCLUDED.tf',
      },
      userHash,
      postings,
    );
  },

  /** Removes a user's whole index (reindex starts from scratch). */
  async clear(tx: Queryable, userHash: string): Promise<void> {
    await tx.query(`DELETE FROM keyword_docs WHERE user_hash = $1`, [userHash]);
  },

  /**
   * The top `limit` chunks by BM25 for the keyed query terms, in one statement: per-user N and average
   * length, document frequencies, scores, the filters. Ids and scores only: the rows (ciphertext,
   * cosine) come with the vector candidates' statement, which parses the query vector once for both.
   */
  async search(
    tx: Queryable,
    userHash: string,
    queryTerms: readonly string[],
    limit: number,
    filters: SearchFilters,
    options: { bm25?: Bm25Params } = {},
  ): Promise<KeywordSearchResult> {
    if (queryTerms.length === 0) return { hits: [], docCount: 0, df: new Map() };
    const params = options.bm25 ?? BM25_DEFAULTS;
    const args: unknown[] = [userHash, queryTerms, limit, params.k1, params.b];
    const where = ['c.user_hash = $1', ...filterConditions(filters, args, 'c.')];
    const { rows } = await queryPrepared<{ id: string | null; score: number; n: number; df: Record<string, number> | null }>(
      tx,
      'keyword_bm25',
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
           JOIN keyword_docs d ON d.user_hash = $1 AND d.chunk_id = p.chunk_id
           CROSS JOIN stats s
          WHERE p.user_hash = $1 AND p.term = ANY($2::bigint[])
          GROUP BY p.chunk_id
       ), top AS (
         SELECT c.id, scored.score
           FROM scored JOIN memory_chunks c ON c.user_hash = $1 AND c.id = scored.chunk_id
          WHERE ${where.join(' AND ')}
          ORDER BY scored.score DESC, c.id LIMIT $3
       )
       SELECT top.id, top.score, stats.n, (SELECT json_object_agg(term::text, df) FROM df) AS df
         FROM stats LEFT JOIN top ON true
        ORDER BY top.score DESC NULLS LAST, top.id`,
      args,
    );
    const first = rows[0];
    const df = new Map(Object.entries(first?.df ?? {}).map(([t, n]) => [t, Number(n)]));
    const hits = rows.filter((r) => r.id !== null).map((r) => ({ chunkId: r.id!, bm25: Number(r.score) }));
    return { hits, docCount: Number(first?.n ?? 0), df };
  },
};
