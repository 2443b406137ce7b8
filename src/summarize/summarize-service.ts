import type { DataKeys } from '../crypto/data-keys.js';
import type { UserHasher } from '../crypto/user-hash.js';
import type { Embedder } from '../embed/embedder.js';
import { Errors } from '../errors/app-error.js';
import { openChunk } from '../memory/chunk-crypto.js';
import { Limits } from '../memory/limits.js';
import type { MemoryService } from '../memory/memory-service.js';
import type { Metrics } from '../metrics/metrics.js';
import { chunkRepository, type ChunkRow } from '../store/chunk-repository.js';
import type { Database, Queryable } from '../store/database.js';
import { lockTenant } from '../store/tenant-lock.js';
import { render } from './compose.js';
import { extractiveSummary } from './extractive.js';
import { LlmUnavailable, type LlmClient } from './llm-client.js';
import { llmSummary } from './llm-summarizer.js';
import { sentenceUnits, wordCount } from './sentences.js';
import {
  SummarizeLimits,
  SUMMARY_STYLES,
  type FallbackReason,
  type SourceChunk,
  type SummarizeInput,
  type SummaryMethod,
  type SummaryResult,
  type SummarySentence,
  type SummaryStyle,
} from './types.js';
import { embedTexts } from '../memory/embed-texts.js';

export interface SummarizeServiceDeps {
  db: Database;
  embedder: Embedder;
  dataKeys: DataKeys<Queryable>;
  hashUser: UserHasher;
  metrics: Metrics;
  /** For `query` summaries: what retrieval returns is what gets summarized. */
  memory: MemoryService;
  /** The optional LLM method; undefined: extractive only. */
  llm?: LlmClient;
  /** Characters of memory text one LLM request may carry. */
  llmMaxInputChars?: number;
}

interface Loaded {
  chunks: SourceChunk[];
  truncated: boolean;
}

const elapsedMs = (since: number) => performance.now() - since;

/**
 * Summaries of a user's memories: chosen by ids, by a query or by a time range; computed on request
 * and never stored. Plaintext stays in this process, except what is sent to a configured LLM.
 */
export class SummarizeService {
  constructor(private readonly deps: SummarizeServiceDeps) {}

  async summarize(input: SummarizeInput): Promise<SummaryResult> {
    const style = input.style ?? 'bullets';
    const budget = validate(input, style);
    const wantsLlm = input.method === 'llm' || (input.method !== 'extractive' && this.deps.llm !== undefined);
    const { metrics } = this.deps;
    const started = performance.now();
    let method: SummaryMethod = wantsLlm && this.deps.llm ? 'llm' : 'extractive';
    try {
      const loaded = await this.load(input);
      let fallbackReason: FallbackReason | undefined = wantsLlm && !this.deps.llm ? 'llm_not_configured' : undefined;
      let sentences: SummarySentence[] | undefined;
      if (loaded.chunks.length === 0) {
        // Nothing matched: an empty summary, and no LLM call.
        method = 'extractive';
        sentences = [];
      } else if (method === 'llm') {
        try {
          sentences = await this.viaLlm(loaded.chunks, style, budget, input.query);
        } catch (err) {
          if (!(err instanceof LlmUnavailable)) throw err;
          fallbackReason = err.reason;
          method = 'extractive';
        }
      }
      sentences ??= await this.extractive(loaded, style, budget, input.query);
      const summary = render(style, sentences.map((s) => ({ line: s.text, createdAt: s.createdAt })));
      metrics.summaries.inc({ method, outcome: fallbackReason ? 'fallback' : 'ok' });
      return {
        summary,
        style,
        method,
        ...(fallbackReason ? { fallbackReason } : {}),
        sentences,
        memoryCount: new Set(loaded.chunks.map((c) => c.memoryId)).size,
        truncated: loaded.truncated,
      };
    } catch (err) {
      metrics.summaries.inc({ method, outcome: 'error' });
      throw err;
    } finally {
      metrics.summarizeLatency.observe({ method }, elapsedMs(started));
    }
  }

  /** The decrypted chunks to summarize, in reading order: memory time, then request order, then ordinal. */
  private async load(input: SummarizeInput): Promise<Loaded> {
    if (input.query !== undefined) {
      const { hits } = await this.deps.memory.query({
        userId: input.userId,
        query: input.query,
        k: input.k ?? SummarizeLimits.queryKDefault,
      });
      const chunks = hits.map((h) => ({ memoryId: h.memoryId, chunkId: h.chunkId, ordinal: 0, text: h.text, createdAt: h.createdAt }));
      return { chunks: inReadingOrder(chunks, []), truncated: false };
    }
    const userHash = this.deps.hashUser(input.userId);
    return this.deps.db.withTenant(userHash, async (tx) => {
      await lockTenant(tx, userHash, 'shared'); // wholly before or after an erase
      let rows: ChunkRow[];
      let truncated = false;
      if (input.memoryIds) {
        const ids = input.memoryIds.map((id) => id.toLowerCase());
        rows = await chunkRepository.ofMemories(tx, userHash, ids);
        // Another tenant's id is indistinguishable from a missing one: 404, as the read routes answer.
        const found = new Set(rows.map((r) => r.memoryId));
        if (ids.some((id) => !found.has(id))) throw Errors.notFound('memory');
      } else {
        ({ chunks: rows, truncated } = await chunkRepository.inTimeRange(
          tx,
          userHash,
          { after: input.createdAfter, before: input.createdBefore },
          SummarizeLimits.rangeMemoriesMax,
        ));
      }
      if (rows.length === 0) return { chunks: [], truncated };
      const dek = await this.deps.dataKeys.find(tx, userHash);
      if (!dek) throw Errors.decryptFailed();
      const chunks = rows.map((r) => ({
        memoryId: r.memoryId,
        chunkId: r.chunkId,
        ordinal: r.ordinal,
        createdAt: r.createdAt,
        text: openChunk(dek, { userHash, memoryId: r.memoryId, chunkId: r.chunkId, ordinal: r.ordinal }, r.ciphertext),
      }));
      return { chunks: inReadingOrder(chunks, input.memoryIds ?? []), truncated };
    });
  }

  private async extractive(loaded: Loaded, style: SummaryStyle, budget: Budget, query?: string): Promise<SummarySentence[]> {
    const units = sentenceUnits(loaded.chunks);
    // Fragments ("Thanks!") are candidates only when nothing else is there.
    let candidates = units.filter((u) => wordCount(u.text) >= 3);
    if (candidates.length === 0) candidates = units;
    if (candidates.length === 0) return [];
    if (candidates.length > SummarizeLimits.candidateSentencesMax) {
      candidates = candidates.slice(0, SummarizeLimits.candidateSentencesMax);
      loaded.truncated = true;
    }
    const vectors = await this.embed([...candidates.map((u) => u.text), ...(query ? [query] : [])]);
    const focus = query ? vectors.pop() : undefined;
    const picked = extractiveSummary(candidates, vectors, { style, ...budget, focus });
    return picked.map(({ unit, line }) => ({
      text: line,
      memoryIds: [unit.chunk.memoryId],
      chunkIds: [unit.chunk.chunkId],
      createdAt: unit.chunk.createdAt,
    }));
  }

  private async viaLlm(chunks: SourceChunk[], style: SummaryStyle, budget: Budget, focus?: string): Promise<SummarySentence[]> {
    const pieces = await llmSummary(this.deps.llm!, chunks, {
      style,
      ...budget,
      maxInputChars: this.deps.llmMaxInputChars ?? 24_000,
      focus,
    });
    return pieces.map((p) => ({
      text: p.line,
      memoryIds: [...new Set(p.chunks.map((c) => c.memoryId))],
      chunkIds: p.chunks.map((c) => c.chunkId),
      createdAt: p.createdAt,
    }));
  }

  private embed(texts: string[]): Promise<number[][]> {
    return embedTexts(this.deps.embedder, this.deps.metrics, texts);
  }
}

interface Budget {
  maxSentences: number;
  maxChars: number;
}

/** The domain's own checks (the CLI calls it without the HTTP schema); returns the length budget. */
function validate(input: SummarizeInput, style: SummaryStyle): Budget {
  const L = SummarizeLimits;
  const selectors = [input.memoryIds !== undefined, input.query !== undefined, !!(input.createdAfter || input.createdBefore)];
  if (selectors.filter(Boolean).length !== 1) {
    throw Errors.validation('give exactly one of memory_ids, query, or a time range (created_after / created_before)');
  }
  if (!SUMMARY_STYLES.includes(style)) throw Errors.validation(`style must be one of ${SUMMARY_STYLES.join(', ')}`);
  if (input.memoryIds && (input.memoryIds.length < 1 || input.memoryIds.length > L.memoryIdsMax)) {
    throw Errors.validation(`memory_ids must hold 1..${L.memoryIdsMax} ids`);
  }
  if (input.query !== undefined && (!input.query.trim() || input.query.length > Limits.queryChars)) {
    throw Errors.validation(`query must be 1..${Limits.queryChars} characters, not blank`);
  }
  if (input.k !== undefined && (input.query === undefined || !isInt(input.k, 1, L.queryKMax))) {
    throw Errors.validation(`k applies to a query and must be an integer in 1..${L.queryKMax}`);
  }
  for (const at of [input.createdAfter, input.createdBefore]) {
    if (at && Number.isNaN(at.getTime())) throw Errors.validation('created_after / created_before must be valid timestamps');
  }
  if (input.createdAfter && input.createdBefore && input.createdAfter >= input.createdBefore) {
    throw Errors.validation('created_after must be before created_before');
  }
  const tldr = style === 'tldr';
  const maxSentences = input.maxSentences ?? (tldr ? L.tldrSentencesDefault : L.maxSentencesDefault);
  const maxChars = input.maxChars ?? (tldr ? L.tldrCharsDefault : L.maxCharsDefault);
  if (!isInt(maxSentences, 1, L.maxSentencesMax)) throw Errors.validation(`max_sentences must be an integer in 1..${L.maxSentencesMax}`);
  if (!isInt(maxChars, L.maxCharsMin, L.maxCharsMax)) {
    throw Errors.validation(`max_chars must be an integer in ${L.maxCharsMin}..${L.maxCharsMax}`);
  }
  return { maxSentences, maxChars };
}

const isInt = (n: number, lo: number, hi: number) => Number.isInteger(n) && n >= lo && n <= hi;

/** Memory time, then the order the caller listed the memories in (ties within a millisecond), then ordinal. */
function inReadingOrder(chunks: SourceChunk[], requestOrder: readonly string[]): SourceChunk[] {
  const rank = new Map(requestOrder.map((id, i) => [id.toLowerCase(), i]));
  return [...chunks].sort(
    (a, b) =>
      a.createdAt.getTime() - b.createdAt.getTime() ||
      (rank.get(a.memoryId) ?? 0) - (rank.get(b.memoryId) ?? 0) ||
      a.memoryId.localeCompare(b.memoryId) ||
      a.ordinal - b.ordinal,
  );
}
