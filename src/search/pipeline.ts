import { openChunk } from '../memory/chunk-crypto.js';
import type { Queryable } from '../store/database.js';
import { keywordRepository, type Bm25Params, type KeywordSearchResult } from '../store/keyword-repository.js';
import type { ChunkHit, SearchFilters } from '../store/memory-repository.js';
import { vectorCandidates, type VectorSearchOptions } from '../store/vector-search.js';
import { CONTEXT_DEFAULTS, spreadContext, type ContextParams } from './context.js';
import { bm25Ceiling, fuse, FUSION_DEFAULTS, type Candidate, type ChunkRef, type FusionParams, type KeywordSide } from './fusion.js';
import { blindQuery, keywordKey } from './keyword/blind-terms.js';
import { relevancePath, withRelevance } from './relevance.js';
import { reachable, rerankStage, type RerankRunner } from './rerank/stage.js';

/**
 * Hybrid retrieval, one tenant transaction: keyword candidates (blind BM25 index, one SQL statement:
 * ids and scores) and vector candidates (store/vector-search.ts: the nearest chunks, the keyword
 * candidates' rows and everyone's neighbours, one statement for a user below the exact-scan bound) →
 * fusion → conversation context → decrypt → rerank (optional) → relevance → min_score, min_relevance → top k. Every stage is its
 * own module and replaceable.
 */
export interface SearchParams {
  /** Candidates taken from each index. */
  pool: number;
  bm25: Bm25Params;
  fusion: FusionParams;
  context: ContextParams;
  /** Candidates handed to a reranker (at least k). */
  rerankDepth: number;
}

export const SEARCH_DEFAULTS: SearchParams = {
  pool: 60,
  bm25: { k1: 1.2, b: 0.5 },
  fusion: FUSION_DEFAULTS,
  context: CONTEXT_DEFAULTS,
  rerankDepth: 30,
};

export interface SearchRequest {
  userHash: string;
  dek: Buffer;
  query: string;
  /**
   * The query's embedding, or its promise when it is still being computed (the service overlaps the
   * model with the transaction): the keyword statement runs first, the vector statement awaits it.
   */
  embedding: number[] | Promise<number[]>;
  dimensions: number;
  k: number;
  filters: SearchFilters;
  /** How the vector search trades recall for time (VECTOR_SEARCH_*); its defaults when absent. */
  vectorSearch?: VectorSearchOptions;
  minScore?: number;
  /** Hits whose calibrated relevance is below are dropped. */
  minRelevance?: number;
  /** The reranker to apply (the guard in the service), or undefined for none. */
  reranker?: RerankRunner;
}

export interface SearchHit {
  hit: ChunkHit;
  text: string;
  score: number;
  scores: HitScores;
  /** The neighbouring chunk whose lead gave this hit its context score (context.ts). */
  contextFrom?: ChunkRef;
  /** The calibrated probability that the hit is relevant (search/relevance.ts). */
  relevance: number;
}

/** A hit as the rerank stage leaves it, before its relevance. */
export type RankedHit = Omit<SearchHit, 'relevance'>;

/** A hit's score parts: cosine, keyword share, their fusion, the context lift, the reranker's score. */
export interface HitScores {
  vector: number | null;
  keyword: number | null;
  fused: number;
  context: number;
  rerank: number | null;
}

export interface SearchOutcome {
  hits: SearchHit[];
  reranked: boolean;
}

export interface SearchPipelineOptions {
  /** Use the blind keyword index (KEYWORD_INDEX_ENABLED). */
  keywordIndex: boolean;
  params?: Partial<SearchParams>;
}

export class SearchPipeline {
  private options!: SearchPipelineOptions;
  private params!: SearchParams;

  constructor(options: SearchPipelineOptions) {
    this.configure(options);
  }

  /** Replaces the options: benchmarks compare variants (vector only, keyword only, …) on one database. */
  configure(options: SearchPipelineOptions): void {
    this.options = options;
    this.params = { ...SEARCH_DEFAULTS, ...options.params };
  }

  async run(tx: Queryable, req: SearchRequest): Promise<SearchOutcome> {
    const { pool, bm25, context } = this.params;
    const size = Math.max(pool, req.k);
    let terms: string[] = [];
    let found: KeywordSearchResult | null = null;
    if (this.options.keywordIndex) {
      terms = blindQuery(keywordKey(req.dek), req.query);
      found = await keywordRepository.search(tx, req.userHash, terms, size, req.filters, { bm25 });
    }
    const embedding = await req.embedding;
    const vector = await vectorCandidates(tx, {
      userHash: req.userHash,
      embedding,
      dimensions: req.dimensions,
      k: size,
      filters: req.filters,
      options: req.vectorSearch,
      include: found?.hits.map((h) => h.chunkId) ?? [],
      neighbourSpan: context.weight > 0 ? context.span : 0,
    });
    let keyword: KeywordSide | null = null;
    if (found) {
      // A keyword candidate's row comes from the vector statement, with its cosine as the score there.
      const hits = found.hits.flatMap(({ chunkId, bm25: score }) => {
        const row = vector.rows.get(chunkId);
        return row ? [{ ...row, score, bm25: score, cosine: row.score }] : [];
      });
      keyword = { hits, ceiling: bm25Ceiling(found.docCount, found.df, terms, bm25.k1) };
    }
    let candidates: readonly Candidate[] = fuse(vector.nearest, keyword, this.params.fusion);
    if (candidates.length === 0) return { hits: [], reranked: false };
    if (context.weight > 0) candidates = spreadContext(candidates, vector.neighbours, context);
    // Decrypt only what can still reach the answer: the top k, or what of the reranker's depth its
    // bound leaves in reach.
    const reranking = req.reranker !== undefined && req.reranker.enabled !== false;
    const depth = reranking ? Math.max(req.k, this.params.rerankDepth) : req.k;
    // The first candidate left out: the last hit's "next" for its relevance when nothing reranks.
    const beyond = candidates[depth]?.scores.retrieval;
    candidates = candidates.slice(0, depth);
    if (reranking) candidates = reachable(candidates, req.k, req.reranker!.maxLift);
    const texts = candidates.map((c) =>
      openChunk(req.dek, { userHash: req.userHash, memoryId: c.hit.memoryId, chunkId: c.hit.chunkId, ordinal: c.hit.ordinal }, c.hit.ciphertext),
    );
    const ranked = await rerankStage(req.query, candidates, texts, req.reranker);
    const hits = withRelevance(ranked.hits, relevancePath(this.options.keywordIndex, ranked.reranked), {
      external: ranked.reranked ? req.reranker?.relevance : undefined,
      beyond: ranked.reranked ? undefined : beyond,
    });
    const minScore = req.minScore ?? Number.NEGATIVE_INFINITY;
    const minRelevance = req.minRelevance ?? 0;
    return {
      reranked: ranked.reranked,
      hits: hits.filter((h) => h.score >= minScore && h.relevance >= minRelevance).slice(0, req.k),
    };
  }
}
