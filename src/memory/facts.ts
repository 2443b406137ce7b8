import type { ChatMessage, LlmClient } from '../summarize/llm-client.js';
import { LlmUnavailable } from '../summarize/llm-client.js';

/** A conversation turn as the mem0-compatible add receives it. */
export interface Turn {
  role: string;
  content: string;
  name?: string;
}

export interface FactLog {
  warn(obj: object, msg: string): void;
}

/**
 * mem0's `infer`: the facts worth remembering from a conversation, extracted by the configured LLM
 * (LLM_URL: the same client, timeout and circuit breaker as the summaries). `undefined` means the
 * LLM could not answer usefully and the caller stores the turns instead; an empty list means the
 * conversation held nothing to remember. Neither the prompt nor the answer is ever logged.
 */
export interface FactExtractor {
  extract(turns: Turn[], log: FactLog): Promise<string[] | undefined>;
}

const MAX_FACTS = 50;
const MAX_FACT_CHARS = 2000;

const SYSTEM = [
  'You extract memories from a conversation between a user and an assistant.',
  'List the distinct, self-contained facts about the user (preferences, plans, people, places, events, details) that are worth remembering later.',
  'Write each fact as one short sentence in the language of the conversation, naming the person instead of "I".',
  'Leave out greetings, questions without information and what the assistant said unless the user confirmed it.',
  'Answer with JSON only: {"facts": ["…", "…"]}; {"facts": []} when there is nothing to remember.',
].join(' ');

export function createFactExtractor(llm: LlmClient, maxInputChars: number): FactExtractor {
  return {
    async extract(turns, log) {
      const transcript = turns.map((t) => `${t.name ?? t.role}: ${t.content}`).join('\n');
      if (transcript.length > maxInputChars) {
        log.warn({ event: 'infer_fallback', reason: 'too_long' }, 'conversation longer than LLM_MAX_INPUT_CHARS: storing the turns');
        return undefined;
      }
      const messages: ChatMessage[] = [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: transcript },
      ];
      let answer: string;
      try {
        answer = await llm.complete(messages);
      } catch (err) {
        const reason = err instanceof LlmUnavailable ? err.reason : 'llm_error';
        log.warn({ event: 'infer_fallback', reason }, 'fact extraction unavailable: storing the turns');
        return undefined;
      }
      const facts = parseFacts(answer);
      if (!facts) log.warn({ event: 'infer_fallback', reason: 'llm_bad_output' }, 'fact extraction gave no usable JSON: storing the turns');
      return facts;
    },
  };
}

/** `{"facts": [string, …]}`, possibly inside a ```json fence; anything else: undefined. */
export function parseFacts(answer: string): string[] | undefined {
  const body = answer.trim().replace(/^```(?:json)?\s*/i, '').replace(/\s*```$/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const facts = (parsed as { facts?: unknown })?.facts;
  if (!Array.isArray(facts) || !facts.every((f) => typeof f === 'string')) return undefined;
  const kept = [...new Set(facts.map((f) => f.trim()).filter((f) => f.length > 0 && f.length <= MAX_FACT_CHARS))];
  return kept.slice(0, MAX_FACTS);
}
