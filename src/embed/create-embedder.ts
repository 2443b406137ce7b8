import type { Config } from '../config/schema.js';
import type { Embedder } from './embedder.js';
import { createOpenAIEmbedder } from './openai.js';
import { createUseLiteEmbedder } from './use-lite.js';

export function createEmbedder(cfg: Config['embeddings']): Embedder {
  return cfg.provider === 'openai'
    ? createOpenAIEmbedder({ url: cfg.url, model: cfg.model, apiKey: cfg.apiKey, timeoutMs: cfg.timeoutMs })
    : createUseLiteEmbedder({ threads: cfg.threads, timeoutMs: cfg.timeoutMs, queueMax: cfg.queueMax });
}
