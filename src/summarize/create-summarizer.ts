import type { Config } from '../config/schema.js';
import { createLlmClient, type LlmClient } from './llm-client.js';
import { SummarizeService, type SummarizeServiceDeps } from './summarize-service.js';

/** The summarizer as configured: with the LLM client when LLM_URL is set. close() stops the breaker's timers. */
export function createSummarizer(
  llm: Config['llm'],
  deps: Omit<SummarizeServiceDeps, 'llm' | 'llmMaxInputChars'>,
): SummarizeService & { close(): void; llm?: LlmClient } {
  const client = llm
    ? createLlmClient({
        url: llm.url,
        model: llm.model,
        apiKey: llm.apiKey,
        timeoutMs: llm.timeoutMs,
        breakerResetMs: llm.breakerResetMs,
        onState: (state) => deps.metrics.summarizeLlmBreakerState.set(state),
      })
    : undefined;
  const service = new SummarizeService({ ...deps, llm: client, llmMaxInputChars: llm?.maxInputChars });
  // The LLM client (and its breaker) is shared with the mem0-compatible add's fact extraction (memory/facts.ts).
  return Object.assign(service, { close: () => client?.close(), llm: client });
}
