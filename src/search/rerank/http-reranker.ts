import { z } from 'zod';
import type { RerankCandidate, Reranker } from './reranker.js';

/**
 * Which request body the endpoint speaks:
 * - `cohere`: `{model?, query, documents, top_n}` — Cohere, Jina, Voyage, Infinity, vLLM, llama.cpp;
 * - `tei`: `{query, texts, truncate}` — Hugging Face text-embeddings-inference.
 * Either response shape is accepted whatever was sent.
 */
export type RerankApiFormat = 'cohere' | 'tei';

export interface HttpRerankerOptions {
  /** The full rerank endpoint, used as given: `http://tei:8080/rerank`, `https://api.cohere.com/v2/rerank`. */
  url: string;
  /** Sent as `model` (Cohere/Jina need one; TEI serves a single model and gets none). */
  model?: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  format?: RerankApiFormat;
  /**
   * What its scores are, for relevance: `probability` (Cohere, Jina, Voyage: relevance_score in 0..1,
   * taken as it is, clamped) or `logit` (TEI's raw scores: passed through the logistic function).
   * Default: probability for the cohere format, logit for tei.
   */
  scoreScale?: 'probability' | 'logit';
  /** Injected fetch (tests); default: the global fetch. */
  fetch?: typeof fetch;
}

const Index = z.number().int().min(0);
/** Cohere / Jina: `{results: [{index, relevance_score}]}` (extra fields such as `document` ignored). */
const CohereResponse = z.object({ results: z.array(z.object({ index: Index, relevance_score: z.number() })) });
/** TEI: `[{index, score}]`. */
const TeiResponse = z.array(z.object({ index: Index, score: z.number() }));

/**
 * A reranker behind an HTTP `/rerank` endpoint. Honours the caller's AbortSignal (the guard's time
 * budget); any transport error, non-2xx status or response that does not give exactly one finite
 * score per candidate is a failure. Error messages name the endpoint and the status, never the
 * query, the candidates or the response body (which may echo them).
 */
export class HttpReranker implements Reranker {
  readonly name: string;
  private readonly endpoint: string;
  private readonly where: string;
  private readonly format: RerankApiFormat;
  private readonly headers: Record<string, string>;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: HttpRerankerOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new Error('http reranker: url is not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('http reranker: url must be http(s)');
    this.endpoint = url.toString();
    this.where = `${url.origin}${url.pathname}`;
    this.format = options.format ?? 'cohere';
    this.name = `http:${options.model ?? url.host}`;
    this.headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (options.apiKey) this.headers.authorization = `Bearer ${options.apiKey}`;
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The model's score as a relevance in [0, 1] (see scoreScale). */
  relevance(score: number): number {
    const scale = this.options.scoreScale ?? (this.format === 'tei' ? 'logit' : 'probability');
    return scale === 'logit' ? 1 / (1 + Math.exp(-score)) : Math.min(1, Math.max(0, score));
  }

  async rerank(query: string, candidates: readonly RerankCandidate[], signal: AbortSignal): Promise<number[]> {
    if (candidates.length === 0) return [];
    const texts = candidates.map((c) => c.text);
    const body =
      this.format === 'tei'
        ? { query, texts, truncate: true }
        : { ...(this.options.model ? { model: this.options.model } : {}), query, documents: texts, top_n: texts.length };

    let text: string;
    let status: number;
    try {
      const res = await this.fetchFn(this.endpoint, { method: 'POST', headers: this.headers, body: JSON.stringify(body), signal });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : this.fail('request aborted');
      throw this.fail(`request failed (${err instanceof Error ? err.name : 'error'})`);
    }
    if (status < 200 || status > 299) throw this.fail(`HTTP ${status}`);

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // No cause: the SyntaxError quotes the body, which may echo the candidates.
      throw this.fail('malformed JSON in response');
    }
    return this.scores(json, candidates.length);
  }

  /** One finite score per candidate, in candidate order; anything else is a bad shape. */
  private scores(json: unknown, count: number): number[] {
    const cohere = CohereResponse.safeParse(json);
    const tei = cohere.success ? undefined : TeiResponse.safeParse(json);
    const items = cohere.success
      ? cohere.data.results.map((r) => ({ index: r.index, score: r.relevance_score }))
      : tei?.success
        ? tei.data
        : undefined;
    if (!items) throw this.fail('invalid response: expected {results:[{index, relevance_score}]} or [{index, score}]');
    if (items.length !== count) throw this.fail(`invalid response: ${items.length} scores for ${count} candidates`);
    const out = new Array<number | undefined>(count).fill(undefined);
    for (const { index, score } of items) {
      if (index >= count) throw this.fail('invalid response: index out of range');
      if (out[index] !== undefined) throw this.fail('invalid response: duplicate index');
      out[index] = score;
    }
    // As many unique in-range indexes as candidates: every slot is filled.
    return out as number[];
  }

  private fail(what: string): Error {
    return new Error(`http reranker (${this.where}): ${what}`);
  }
}
