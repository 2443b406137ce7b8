import CircuitBreaker from 'opossum';
import type { FallbackReason } from './types.js';

/**
 * A client for one OpenAI-compatible `POST /v1/chat/completions` endpoint (OpenAI, vLLM, Ollama,
 * LocalAI, llama.cpp server, …) behind a timeout and a circuit breaker (opossum: closed, open,
 * half-open). Every failure is an LlmUnavailable with a reason the caller reports when it falls
 * back; error messages never hold the prompt or the response body (either may echo memory text).
 */

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface LlmClientOptions {
  /** Full chat-completions URL; a URL ending in `/v1` gets `/chat/completions` appended. */
  url: string;
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** Whole-request bound (connect, generate, read the body). */
  timeoutMs: number;
  /** How long the breaker stays open before it lets one trial request through. */
  breakerResetMs: number;
  maxTokens?: number;
  /** Breaker state changes: 0 closed, 1 half-open, 2 open (a metrics gauge). */
  onState?: (state: 0 | 1 | 2) => void;
  /** Injected fetch (tests); default: the global fetch. */
  fetch?: typeof fetch;
}

export interface LlmClient {
  readonly model: string;
  /** The assistant message's text. Rejects with LlmUnavailable. */
  complete(messages: ChatMessage[]): Promise<string>;
  close(): void;
}

export class LlmUnavailable extends Error {
  constructor(
    readonly reason: FallbackReason,
    message: string,
  ) {
    super(message);
    this.name = 'LlmUnavailable';
  }
}

/** The breaker opens when at least half of the last requests failed, once this many were made. */
const BREAKER_VOLUME_THRESHOLD = 3;
const BREAKER_ERROR_PERCENT = 50;
/** The window over which failures are counted. */
const BREAKER_WINDOW_MS = 60_000;
/** Responses larger than this are refused (a runaway or hostile endpoint). */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const DEFAULT_MAX_TOKENS = 1024;

export function resolveChatUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('LLM_URL must be http(s)');
  const path = parsed.pathname.replace(/\/+$/, '');
  if (path.endsWith('/v1')) parsed.pathname = `${path}/chat/completions`;
  return parsed.toString();
}

export function createLlmClient(opts: LlmClientOptions): LlmClient {
  const endpoint = resolveChatUrl(opts.url);
  const fetchFn: typeof fetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;

  async function request(messages: ChatMessage[]): Promise<string> {
    const signal = AbortSignal.timeout(opts.timeoutMs);
    const res = await fetchFn(endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: opts.model, messages, temperature: 0, max_tokens: opts.maxTokens ?? DEFAULT_MAX_TOKENS }),
      signal,
    });
    const body = await readLimited(res);
    if (!res.ok) throw new LlmUnavailable('llm_error', `LLM endpoint answered HTTP ${res.status}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new LlmUnavailable('llm_bad_output', 'LLM endpoint answered malformed JSON');
    }
    const content = (parsed as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]?.message?.content;
    if (typeof content !== 'string') throw new LlmUnavailable('llm_bad_output', 'LLM response has no choices[0].message.content');
    return content;
  }

  const breaker = new CircuitBreaker(request, {
    // The fetch aborts itself at the same bound; this one also covers a body that never ends.
    timeout: opts.timeoutMs,
    resetTimeout: opts.breakerResetMs,
    errorThresholdPercentage: BREAKER_ERROR_PERCENT,
    volumeThreshold: BREAKER_VOLUME_THRESHOLD,
    rollingCountTimeout: BREAKER_WINDOW_MS,
  });
  breaker.on('open', () => opts.onState?.(2));
  breaker.on('halfOpen', () => opts.onState?.(1));
  breaker.on('close', () => opts.onState?.(0));
  opts.onState?.(0);

  return {
    model: opts.model,
    async complete(messages) {
      try {
        return await breaker.fire(messages);
      } catch (err) {
        throw toUnavailable(err);
      }
    },
    close() {
      breaker.shutdown();
    },
  };
}

function toUnavailable(err: unknown): LlmUnavailable {
  if (err instanceof LlmUnavailable) return err;
  const e = err as { code?: string; name?: string };
  if (e?.code === 'EOPENBREAKER') return new LlmUnavailable('llm_circuit_open', 'LLM circuit breaker is open');
  if (e?.code === 'ETIMEDOUT' || e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return new LlmUnavailable('llm_timeout', 'LLM request timed out');
  }
  return new LlmUnavailable('llm_error', 'LLM request failed');
}

async function readLimited(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) throw new LlmUnavailable('llm_bad_output', 'LLM response too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
