import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Scope } from '../../../auth/token-verifier.js';
import { AppError, Errors } from '../../../errors/app-error.js';
import type { Turn } from '../../../memory/facts.js';
import { prepareMemory, type IndexInput } from '../../../memory/ingest.js';
import { Limits } from '../../../memory/limits.js';
import { actingUser } from '../../plugins/auth.js';
import type { Mem0RoutesOptions } from './index.js';
import { checkFields, optionalObject, parseExpiration, parseFilters, SCOPE_KEYS, toMem0 } from './wire.js';

type Body = Record<string, unknown>;
const hide = { hide: true, body: { type: 'object' } } as const;


function turnsOf(messages: unknown): Turn[] {
  if (typeof messages === 'string') return [{ role: 'user', content: messages }];
  if (!Array.isArray(messages) || messages.length === 0) throw Errors.validation('messages must be a non-empty array of { role, content } (or a string)');
  if (messages.length > Limits.batchItems) throw Errors.validation(`messages: at most ${Limits.batchItems} per request`);
  return messages.map((m, i) => {
    const at = `messages[${i}]`;
    if (typeof m !== 'object' || m === null) throw Errors.validation(`${at} must be an object { role, content }`);
    const { role, content, name, ...rest } = m as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw Errors.validation(`${at} has an unknown field "${Object.keys(rest)[0]!.slice(0, 64)}"`);
    if (typeof role !== 'string' || !/^(user|assistant|system|tool)$/.test(role)) throw Errors.validation(`${at}.role must be user, assistant, system or tool`);
    if (typeof content === 'object' && content !== null) throw Errors.notSupported(`${at}.content: images and other non-text content are not supported by Engram`);
    if (typeof content !== 'string') throw Errors.validation(`${at}.content must be a string`);
    if (name !== undefined && (typeof name !== 'string' || name.length > 64)) throw Errors.validation(`${at}.name must be a string of at most 64 characters`);
    return { role, content, ...(name ? { name } : {}) };
  });
}

/** What the rate limiter charges: one ingest unit per turn of a well-formed add (as the batch route), else one. */
const turnsCost = (request: FastifyRequest) => {
  const messages = (request.body as { messages?: unknown } | undefined)?.messages;
  return Array.isArray(messages) && messages.length >= 1 && messages.length <= Limits.batchItems ? messages.length : 1;
};

const userOf = (request: FastifyRequest, scope: Scope, given: unknown) => {
  if (given !== undefined && typeof given !== 'string') throw Errors.validation('user_id must be a string');
  return actingUser(request, scope, given);
};

export function memoriesRoutes(app: FastifyInstance, { memory, facts }: Mem0RoutesOptions) {
  // add: the turns in order (role and name in metadata); with infer and an LLM, the facts it extracts.
  app.post('/v3/memories/add/', { schema: hide, config: { rateLimitClass: 'ingest', rateLimitCost: turnsCost } }, async (request) => {
    const body = request.body as Body;
    checkFields(body, 'body', {
      supported: ['messages', 'user_id', ...SCOPE_KEYS, 'metadata', 'infer', 'timestamp', 'expiration_date'],
      ignored: ['output_format', 'version', 'async_mode', 'source'],
      unsupported: {
        custom_categories: 'no categories', custom_instructions: 'no extraction instructions', agent_custom_instructions: 'no extraction instructions',
        includes: 'no extraction instructions', excludes: 'no extraction instructions', structured_data_schema: 'no structured extraction',
        enable_graph: 'the entity graph is built with POST /api/v1/memory/entities', immutable: 'memories can always be updated',
      },
    });
    const userId = userOf(request, Scope.Write, body.user_id);
    const turns = turnsOf(body.messages);
    const metadata = { ...optionalObject(body.metadata, 'metadata') };
    for (const k of SCOPE_KEYS) {
      if (body[k] === undefined || body[k] === null) continue;
      if (typeof body[k] !== 'string') throw Errors.validation(`${k} must be a string`);
      metadata[k] = body[k];
    }
    if (body.timestamp !== undefined && (typeof body.timestamp !== 'number' || !Number.isFinite(body.timestamp) || body.timestamp < 0)) {
      throw Errors.validation('timestamp must be Unix seconds');
    }
    const createdAt = typeof body.timestamp === 'number' ? new Date(body.timestamp * 1000) : undefined;
    const expiresAt = parseExpiration(body.expiration_date, 'expiration_date');
    const infer = body.infer === undefined ? true : body.infer;
    if (typeof infer !== 'boolean') throw Errors.validation('infer must be a boolean');
    const texts = infer && facts ? await facts.extract(turns, request.log) : undefined;
    const items: Omit<IndexInput, 'userId'>[] = texts
      ? texts.map((text) => ({ text, source: 'mem0', metadata: { ...metadata, kind: 'fact' }, expiresAt, createdAt }))
      : turns.map((t) => ({ text: t.content, source: 'mem0', metadata: { ...metadata, role: t.role, ...(t.name ? { name: t.name } : {}) }, expiresAt, createdAt }));
    // Every item is checked before any is stored: a bad one refuses the request and stores nothing.
    items.forEach((item, i) => {
      try {
        prepareMemory({ userId, ...item });
      } catch (err) {
        if (err instanceof AppError) throw new AppError(err.code, `${texts ? `facts[${i}]` : `messages[${i}]`}: ${err.detail}`);
        throw err;
      }
    });
    const outcomes = await memory.indexBatch(userId, items);
    return outcomes.map((outcome, i) => {
      if (!outcome.ok) throw outcome.error;
      const r = outcome.result;
      const item = items[i]!;
      const m = toMem0(userId, { memoryId: r.memoryId, text: item.text, metadata: item.metadata ?? {}, createdAt: r.createdAt, updatedAt: r.updatedAt, expiresAt: r.expiresAt });
      return { ...m, event: r.deduplicated ? 'NOOP' : 'ADD', data: { memory: item.text } };
    });
  });

  // get all: page numbers over the user's memories, newest first, with mem0's filters.
  app.post('/v3/memories/', { schema: hide, config: { rateLimitClass: 'read' } }, async (request) => {
    const body = (request.body ?? {}) as Body;
    checkFields(body, 'body', { supported: ['filters'], ignored: ['latest_only', 'fields'], unsupported: { categories: 'no categories', show_expired: 'expired memories are deleted' } });
    const query = request.query as Record<string, string | undefined>;
    const page = intParam(query.page, 'page', 1, 1, 10_000);
    const pageSize = intParam(query.page_size, 'page_size', 100, 1, Limits.pageMax);
    const { userId: named, filters } = parseFilters(body.filters);
    const userId = actingUser(request, Scope.Read, named);
    const [count, listed] = await Promise.all([
      memory.count(userId, filters),
      memory.list(userId, { limit: pageSize, filters, offset: (page - 1) * pageSize }),
    ]);
    const link = (p: number) => `${request.protocol}://${request.host}/v3/memories/?page=${p}&page_size=${pageSize}`;
    return {
      count,
      next: page * pageSize < count ? link(page + 1) : null,
      previous: page > 1 ? link(page - 1) : null,
      results: listed.memories.map((m) => toMem0(userId, m)),
    };
  });

  app.post('/v3/memories/search/', { schema: hide, config: { rateLimitClass: 'query' } }, async (request) => {
    const body = request.body as Body;
    checkFields(body, 'body', {
      supported: ['query', 'filters', 'top_k', 'threshold', 'rerank', 'metadata'],
      ignored: ['output_format', 'version', 'keyword_search', 'latest_only', 'fields', 'source'],
      unsupported: { categories: 'no categories', show_expired: 'expired memories are deleted', reference_date: 'no reference date' },
    });
    if (typeof body.query !== 'string') throw Errors.validation('query must be a string');
    const topK = body.top_k === undefined ? 10 : body.top_k;
    if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > 100) throw Errors.validation('top_k must be an integer in 1..100');
    if (body.threshold !== undefined && (typeof body.threshold !== 'number' || body.threshold < 0 || body.threshold > 1)) throw Errors.validation('threshold must be a number in 0..1');
    if (body.rerank !== undefined && typeof body.rerank !== 'boolean') throw Errors.validation('rerank must be a boolean');
    const { userId: named, filters } = parseFilters(body.filters, optionalObject(body.metadata, 'metadata'));
    const userId = actingUser(request, Scope.Read, named);
    const { hits } = await memory.query({
      userId,
      query: body.query,
      k: topK,
      // mem0's threshold is a similarity in 0..1: Engram's calibrated relevance (README, "Scores").
      minRelevance: body.threshold as number | undefined,
      rerank: body.rerank as boolean | undefined,
      filters,
    });
    return {
      results: hits.map((h) => toMem0(userId, h, { score: h.relevance, chunk_id: h.chunkId })),
    };
  });
}

function intParam(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw Errors.validation(`${name} must be an integer in ${min}..${max}`);
  return n;
}
