import type { EngramClient, SearchOptions } from '@engram/client';
import type { CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import { Document } from '@langchain/core/documents';
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';

/** What `filters` may hold: exact source, metadata containment, a creation-time range (as `POST /query`). */
export type EngramSearchFilters = NonNullable<SearchOptions['filters']>;

/**
 * A Document's metadata: the memory's own metadata, then Engram's fields (which win on a name clash).
 */
export type EngramDocumentMetadata = Record<string, unknown> & {
  /** The memory the text came from (also the Document's `id`). */
  memoryId: string;
  /** The chunk the text is: a memory over ~800 characters is stored as several chunks. */
  chunkId: string;
  /** The service's score (higher is better; see Engram's README, "Scores"). */
  score: number;
  /** The calibrated probability, 0–1, that this result is relevant to the query. */
  relevance: number;
  source: string | null;
  /** RFC 3339, when the memory was created. */
  createdAt: string;
};

export interface EngramRetrieverInput extends BaseRetrieverInput {
  /** A client bound to the end user (its `userId`, or the token's subject): the retriever searches that user's memories only. */
  client: EngramClient;
  /** Results asked of the service (1–100, default 4). */
  k?: number;
  /** Server-side filters: `{ source, metadata, createdAfter, createdBefore }`. */
  filters?: EngramSearchFilters;
  /** Drop results whose score is below this (-1–1). */
  minScore?: number;
  /** Drop results whose calibrated relevance is below this (0–1). */
  minRelevance?: number;
  /** false: skip the reranker; default: the service's setting. */
  rerank?: boolean;
}

/**
 * A LangChain retriever over one user's Engram memories (`POST /api/v1/memory/query`).
 *
 * Each Document is one memory: `pageContent` is the text of its best-matching chunk (the whole text for a
 * memory of one chunk, i.e. up to ~800 characters), `id` is the memory id, `metadata` is
 * {@link EngramDocumentMetadata}. The service returns chunks; when several chunks of one memory come back,
 * only the best is kept, so fewer than `k` Documents may be returned. Order: best first.
 */
export class EngramRetriever extends BaseRetriever<EngramDocumentMetadata> {
  static override lc_name() {
    return 'EngramRetriever';
  }

  override lc_namespace = ['engram', 'retrievers'];

  client: EngramClient;
  k: number;
  filters?: EngramSearchFilters;
  minScore?: number;
  minRelevance?: number;
  rerank?: boolean;

  constructor(fields: EngramRetrieverInput) {
    super(fields);
    this.client = fields.client;
    this.k = fields.k ?? 4;
    this.filters = fields.filters;
    this.minScore = fields.minScore;
    this.minRelevance = fields.minRelevance;
    this.rerank = fields.rerank;
  }

  override async _getRelevantDocuments(query: string, _runManager?: CallbackManagerForRetrieverRun): Promise<Document<EngramDocumentMetadata>[]> {
    const hits = await this.client.search(query, {
      k: this.k,
      filters: this.filters,
      minScore: this.minScore,
      minRelevance: this.minRelevance,
      rerank: this.rerank,
    });
    const seen = new Set<string>();
    const documents: Document<EngramDocumentMetadata>[] = [];
    for (const hit of hits) {
      if (seen.has(hit.memoryId)) continue;
      seen.add(hit.memoryId);
      documents.push(
        new Document<EngramDocumentMetadata>({
          id: hit.memoryId,
          pageContent: hit.text,
          metadata: {
            ...hit.metadata,
            memoryId: hit.memoryId,
            chunkId: hit.chunkId,
            score: hit.score,
            relevance: hit.relevance,
            source: hit.source,
            createdAt: hit.createdAt,
          },
        }),
      );
    }
    return documents;
  }
}
