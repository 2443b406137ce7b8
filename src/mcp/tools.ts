import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { Limits, Patterns } from '../memory/limits.js';
import type { ApiResponse, EngramApi } from './api.js';

const API = '/api/v1/memory';

const MemoryId = z.string().uuid().describe('The id of a memory, as returned by add_memory, search_memories or list_memories');
const Metadata = z
  .record(z.string().regex(new RegExp(Patterns.metadataKey)), z.unknown())
  .describe('Optional JSON object stored with the memory (unencrypted, filterable), e.g. {"topic":"travel"}');

const Source = z.string().regex(new RegExp(Patterns.source));
const Instant = z.string().datetime({ offset: true });
/** The same filters as POST /query's `filters`. */
const Filters = z
  .object({
    source: Source.optional().describe('Only memories from this source'),
    metadata: Metadata.optional().describe('Only memories whose metadata holds every given key/value, e.g. {"topic":"travel"}'),
    created_after: Instant.optional().describe('Only memories created at or after this instant (RFC 3339)'),
    created_before: Instant.optional().describe('Only memories created before this instant (RFC 3339)'),
  })
  .strict();

/** What a tool returns: a short text for the model, and the API's JSON as structured content. */
function result(res: ApiResponse, text: (body: Record<string, unknown>) => string): CallToolResult {
  const body = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Record<string, unknown>;
  if (res.status >= 400) {
    return {
      isError: true,
      content: [{ type: 'text', text: `${String(body.code ?? `HTTP_${res.status}`)}: ${String(body.detail ?? 'request failed')}` }],
      structuredContent: body,
    };
  }
  return { content: [{ type: 'text', text: text(body) }], structuredContent: body };
}

const line = (m: Record<string, unknown>) =>
  `[${String(m.memory_id)}] ${String(m.text ?? '')}${m.created_at ? ` (${String(m.created_at)})` : ''}`;

/**
 * Engram as an MCP server: the tools agent hosts know from mem0. The user is always the token's
 * subject: no tool takes a user id (unknown arguments are refused), so a model cannot be talked
 * into reading another user's memories. `subject` is that subject (verified by the service).
 */
export function createMcpServer(api: EngramApi, version: string, subject: string): McpServer {
  const server = new McpServer({ name: 'engram', version });
  // The token's subject, named explicitly in the bodies that take a user id: the same user the
  // service would default to, never one a tool argument chose.
  const user = { user_id: subject };

  server.registerTool(
    'add_memory',
    {
      title: 'Add a memory',
      description:
        "Store something worth remembering about the user (a fact, a preference, an event). Engram encrypts it and makes it searchable. Use one call per self-contained piece of information.",
      inputSchema: z
        .object({
          text: z.string().min(1).max(Limits.textBytes).describe('The memory, in plain language, e.g. "Alice is allergic to peanuts"'),
          source: Source.optional().describe('Where it came from, e.g. "chat"'),
          metadata: Metadata.optional(),
          expires_at: Instant.nullable().optional().describe('When to forget it (RFC 3339, in the future), or null: never'),
          ttl_seconds: z.number().int().min(1).max(Limits.ttlSecondsMax).optional().describe('Or: forget it this many seconds from now'),
          dedup: z.boolean().optional().describe('false: store a copy even when the same text is already stored (default true)'),
        })
        .strict(),
    },
    // created_at / updated_at of POST /index are for imports (backdating): not offered to a model.
    async ({ text, source, metadata, expires_at, ttl_seconds, dedup }) =>
      result(await api('POST', `${API}/index`, { body: { ...user, text, source, metadata, expires_at, ttl_seconds, dedup } }), (b) =>
        b.deduplicated ? `Already stored as memory ${String(b.memory_id)}.` : `Stored memory ${String(b.memory_id)}.`,
      ),
  );

  server.registerTool(
    'search_memories',
    {
      title: 'Search memories',
      description:
        "Find the user's memories most relevant to a question or topic, best first. Call it before answering anything that depends on what the user said earlier.",
      inputSchema: z
        .object({
          query: z.string().min(1).max(Limits.queryChars).describe('What to look for, as a question or keywords'),
          k: z.number().int().min(1).max(Limits.kMax).optional().describe(`How many results (default ${Limits.kDefault})`),
          limit: z.number().int().min(1).max(Limits.kMax).optional().describe('The same as k (mem0 style)'),
          filters: Filters.optional(),
          source: Source.optional().describe('The same as filters.source'),
          min_relevance: z.number().min(0).max(1).optional().describe('Drop results less likely relevant than this (0-1; 0.5: more likely relevant than not)'),
          min_score: z.number().min(-1).max(1).optional().describe("Drop results whose score is below this (the score's scale depends on the path; prefer min_relevance)"),
          rerank: z.boolean().optional().describe('false: skip the reranker (default: rerank)'),
        })
        .strict()
        .refine((a) => a.k === undefined || a.limit === undefined, { message: 'give k or limit, not both' })
        .refine((a) => a.source === undefined || a.filters?.source === undefined, { message: 'give source or filters.source, not both' }),
    },
    async ({ query, k, limit, filters, source, min_relevance, min_score, rerank }) =>
      result(
        await api('POST', `${API}/query`, {
          body: { ...user, query, k: k ?? limit, filters: source ? { ...filters, source } : filters, min_relevance, min_score, rerank },
        }),
        (b) => {
          const hits = (b.results as Record<string, unknown>[] | undefined) ?? [];
          if (hits.length === 0) return 'No matching memories.';
          return hits.map((h, i) => `${i + 1}. (relevance ${Number(h.relevance).toFixed(2)}) ${line(h)}`).join('\n');
        },
      ),
  );

  server.registerTool(
    'get_memory',
    {
      title: 'Get a memory',
      description: 'Read one memory in full by its id.',
      inputSchema: z.object({ memory_id: MemoryId }).strict(),
    },
    async ({ memory_id }) => result(await api('GET', `${API}/${memory_id}`), (b) => line(b)),
  );

  server.registerTool(
    'list_memories',
    {
      title: 'List memories',
      description: "List the user's memories, newest first, a page at a time. Pass next_cursor back as cursor for the next page.",
      inputSchema: z
        .object({
          limit: z.number().int().min(1).max(Limits.pageMax).optional().describe(`Memories per page (default ${Limits.pageDefault})`),
          cursor: z.string().max(200).optional().describe('next_cursor from the previous page'),
          source: Source.optional().describe('Only memories from this source'),
          metadata: Metadata.optional().describe('Only memories whose metadata holds every given key/value, e.g. {"topic":"travel"}'),
        })
        .strict(),
    },
    async ({ limit, cursor, source, metadata }) =>
      result(await api('GET', API, { query: { limit, cursor, source, metadata: metadata && JSON.stringify(metadata) } }), (b) => {
        const memories = (b.memories as Record<string, unknown>[] | undefined) ?? [];
        const lines = memories.map(line);
        if (b.next_cursor) lines.push(`(more: cursor ${String(b.next_cursor)})`);
        return lines.length ? lines.join('\n') : 'No memories.';
      }),
  );

  server.registerTool(
    'update_memory',
    {
      title: 'Update a memory',
      description:
        'Correct or change a stored memory by its id, e.g. when the user corrects something ("I moved to Berlin, not Munich") or a fact changes. Prefer this to adding a contradicting memory. Give only the fields to change: text replaces the whole text (it is searched by the new text from then on); metadata replaces the whole metadata object.',
      inputSchema: z
        .object({
          memory_id: MemoryId,
          text: z.string().min(1).max(Limits.textBytes).optional().describe('The full corrected text, e.g. "Alice lives in Berlin"'),
          source: Source.nullable().optional().describe('A new source, or null to clear it'),
          metadata: Metadata.optional().describe('Replaces the whole metadata object (not merged); {} clears it'),
          expires_at: Instant.nullable().optional().describe('When to forget it (RFC 3339, in the future), or null: never'),
          ttl_seconds: z.number().int().min(1).max(Limits.ttlSecondsMax).optional().describe('Or: forget it this many seconds from now'),
        })
        .strict()
        .refine((a) => Object.keys(a).some((k) => k !== 'memory_id'), {
          message: 'give at least one of text, source, metadata, expires_at, ttl_seconds',
        }),
    },
    async ({ memory_id, ...change }) =>
      result(await api('PATCH', `${API}/${memory_id}`, { body: { ...user, ...change } }), (b) => `Updated memory. Now: ${line(b)}`),
  );

  server.registerTool(
    'delete_memory',
    {
      title: 'Delete a memory',
      description: 'Delete one memory by its id, e.g. when the user asks to forget something or it is wrong.',
      inputSchema: z.object({ memory_id: MemoryId }).strict(),
      annotations: { destructiveHint: true },
    },
    async ({ memory_id }) => result(await api('DELETE', `${API}/${memory_id}`), () => `Deleted memory ${memory_id}.`),
  );

  server.registerTool(
    'summarize_memories',
    {
      title: 'Summarize memories',
      description:
        "Summarize the user's memories about a topic (query), or specific memories (memory_ids). Every summary sentence cites the memories it came from. Use style 'timeline' for what happened when.",
      inputSchema: z
        .object({
          query: z.string().min(1).max(Limits.queryChars).optional().describe('The topic to summarize, e.g. "her travel plans"'),
          memory_ids: z.array(MemoryId).min(1).max(100).optional().describe('Or: exactly these memories'),
          style: z.enum(['bullets', 'paragraph', 'tldr', 'timeline']).optional().describe('Default bullets'),
          max_sentences: z.number().int().min(1).max(50).optional().describe('At most this many sentences (default 5)'),
        })
        .strict()
        .refine((a) => (a.query === undefined) !== (a.memory_ids === undefined), { message: 'give either query or memory_ids' }),
    },
    async ({ query, memory_ids, style, max_sentences }) =>
      result(
        await api('POST', `${API}/summarize`, { body: { ...user, query, memory_ids, style, max_sentences } }),
        (b) => String(b.summary || 'Nothing to summarize.'),
      ),
  );

  server.registerTool(
    'extract_entities',
    {
      title: 'Extract entities',
      description:
        'Find the people, organizations, places, dates, amounts and other entities, and how they relate, in a text or in stored memories. With persist=true they are added to the user\'s knowledge graph.',
      inputSchema: z
        .object({
          text: z.string().min(1).max(Limits.textBytes).optional().describe('A text to analyse'),
          memory_ids: z.array(MemoryId).min(1).max(50).optional().describe('Or: stored memories to analyse'),
          persist: z.boolean().optional().describe("Add what is found to the user's graph (default false)"),
        })
        .strict()
        .refine((a) => (a.text === undefined) !== (a.memory_ids === undefined), { message: 'give either text or memory_ids' }),
    },
    async ({ text, memory_ids, persist }) =>
      result(await api('POST', `${API}/entities`, { body: { ...user, text, memory_ids, persist } }), (b) => {
        const entities = (b.entities as { name: string; type: string }[] | undefined) ?? [];
        const relations = (b.relationships as { source: string; predicate: string; target: string }[] | undefined) ?? [];
        const lines = entities.map((e) => `${e.name} (${e.type})`);
        for (const r of relations.slice(0, 20)) lines.push(`${r.source} —${r.predicate}→ ${r.target}`);
        return lines.length ? lines.join('\n') : 'No entities found.';
      }),
  );

  return server;
}
