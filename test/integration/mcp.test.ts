import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

const TOOLS = ['add_memory', 'delete_memory', 'extract_entities', 'get_memory', 'list_memories', 'search_memories', 'summarize_memories', 'update_memory'];
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> };
const text = (r: ToolResult) => r.content.map((c) => c.text ?? '').join('\n');

/** The SDK's own client over both transports, against the real service. */
describe(`MCP server (${backend()})`, () => {
  let t: TestApp;
  let url: string;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  async function httpClient(token: string) {
    const client = new Client({ name: 'engram-test', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return client;
  }

  async function stdioClient(token: string) {
    const client = new Client({ name: 'engram-test', version: '0.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: ['--import', TSX, 'src/cli/main.ts', 'mcp', '--url', url],
        env: { ...(process.env as Record<string, string>), ENGRAM_TOKEN: token },
        stderr: 'ignore',
      }),
    );
    return client;
  }

  for (const transport of ['streamable HTTP at /mcp', 'stdio (engram mcp)'] as const) {
    it(`${transport}: lists the tools, adds, searches, gets, deletes`, async () => {
      const token = await t.token(`mcp-${transport.startsWith('stdio') ? 'stdio' : 'http'}`);
      const client = transport.startsWith('stdio') ? await stdioClient(token) : await httpClient(token);
      try {
        const { tools } = await client.listTools();
        expect(tools.map((tool) => tool.name).sort()).toEqual(expect.arrayContaining(TOOLS));
        for (const tool of tools) expect(tool.description?.length).toBeGreaterThan(20);

        const added = (await client.callTool({ name: 'add_memory', arguments: { text: 'The user is allergic to hazelnuts.', source: 'chat' } })) as ToolResult;
        expect(added.isError).toBeFalsy();
        const id = String(added.structuredContent?.memory_id);
        expect(id).toMatch(/^[0-9a-f-]{36}$/);

        const found = (await client.callTool({ name: 'search_memories', arguments: { query: 'what food allergies?', limit: 3 } })) as ToolResult;
        expect(text(found)).toContain('hazelnuts');
        expect((found.structuredContent?.results as { memory_id: string }[])[0]!.memory_id).toBe(id);

        const got = (await client.callTool({ name: 'get_memory', arguments: { memory_id: id } })) as ToolResult;
        expect(text(got)).toContain('allergic to hazelnuts');
        const updated = (await client.callTool({
          name: 'update_memory',
          arguments: { memory_id: id, text: 'The user is allergic to hazelnuts and almonds.', metadata: { topic: 'health' } },
        })) as ToolResult;
        expect(updated.isError, text(updated)).toBeFalsy();
        expect(updated.structuredContent).toMatchObject({ memory_id: id, text: 'The user is allergic to hazelnuts and almonds.', metadata: { topic: 'health' } });
        const refound = (await client.callTool({ name: 'search_memories', arguments: { query: 'almonds', limit: 1 } })) as ToolResult;
        expect(text(refound)).toContain('hazelnuts and almonds');
        const nothing = (await client.callTool({ name: 'update_memory', arguments: { memory_id: id } })) as ToolResult;
        expect(nothing.isError).toBe(true);

        const listed = (await client.callTool({ name: 'list_memories', arguments: {} })) as ToolResult;
        expect(text(listed)).toContain(id);
        // The list route's filters: the memory's metadata is now {topic: health}.
        const health = (await client.callTool({ name: 'list_memories', arguments: { metadata: { topic: 'health' } } })) as ToolResult;
        expect(text(health)).toContain(id);
        const other = (await client.callTool({ name: 'list_memories', arguments: { metadata: { topic: 'travel' } } })) as ToolResult;
        expect(text(other)).toBe('No memories.');
        const bySource = (await client.callTool({ name: 'list_memories', arguments: { source: 'nowhere' } })) as ToolResult;
        expect(text(bySource)).toBe('No memories.');
        const summary = (await client.callTool({ name: 'summarize_memories', arguments: { memory_ids: [id], style: 'tldr' } })) as ToolResult;
        expect(summary.isError).toBeFalsy();
        expect(text(summary)).toContain('hazelnuts');
        const entities = (await client.callTool({ name: 'extract_entities', arguments: { text: 'Maya Lindqvist moved to Oslo in May.' } })) as ToolResult;
        expect(entities.isError).toBeFalsy();
        expect(text(entities)).toContain('Maya Lindqvist (person)');

        const deleted = (await client.callTool({ name: 'delete_memory', arguments: { memory_id: id } })) as ToolResult;
        expect(deleted.isError).toBeFalsy();
        const again = (await client.callTool({ name: 'get_memory', arguments: { memory_id: id } })) as ToolResult;
        expect(again.isError).toBe(true);
        expect(text(again)).toMatch(/^NOT_FOUND/);
      } finally {
        await client.close();
      }
    });
  }

  it('add_memory and search_memories take the options of POST /index and POST /query (issue 18, part 5)', async () => {
    // Parity with the REST bodies, from the service's own OpenAPI document: every field but user_id.
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown>; $ref?: string } }> } }>>;
      components?: { schemas?: Record<string, { properties?: Record<string, unknown> }> };
    };
    const restFields = (path: string) => {
      const schema = doc.paths[path]!.post!.requestBody!.content['application/json']!.schema;
      const props = schema.properties ?? doc.components!.schemas![schema.$ref!.split('/').pop()!]!.properties!;
      // created_at / updated_at backdate imports: deliberately not offered to a model.
      return Object.keys(props).filter((f) => !['user_id', 'created_at', 'updated_at'].includes(f)).sort();
    };
    const client = await httpClient(await t.token('mcp-parity'));
    try {
      const { tools } = await client.listTools();
      const toolFields = (name: string) => Object.keys(tools.find((tool) => tool.name === name)!.inputSchema.properties ?? {});
      for (const [tool, path] of [['add_memory', '/api/v1/memory/index'], ['search_memories', '/api/v1/memory/query']] as const) {
        const missing = restFields(path).filter((f) => !toolFields(tool).includes(f));
        expect(missing, `${tool} lacks ${missing.join(', ')}`).toEqual([]);
      }

      const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as ToolResult;
      const kept = await call('add_memory', { text: 'Rex the beagle sleeps in a basket by the stove.', metadata: { topic: 'pets' }, ttl_seconds: 3600 });
      expect(kept.isError, text(kept)).toBeFalsy();
      const expires = Date.parse(String((await call('get_memory', { memory_id: kept.structuredContent!.memory_id })).structuredContent!.expires_at));
      expect(expires - Date.now()).toBeGreaterThan(3500_000);
      expect(expires - Date.now()).toBeLessThanOrEqual(3600_000);
      await call('add_memory', { text: 'The cat naps on the warm windowsill.', metadata: { topic: 'cats' }, expires_at: null });
      const copy = await call('add_memory', { text: 'The cat naps on the warm windowsill.', dedup: false });
      expect(copy.structuredContent).toMatchObject({ deduplicated: false });
      expect(text(await call('add_memory', { text: 'x', ttl_seconds: 60, expires_at: '2999-01-01T00:00:00Z' }))).toMatch(/^VALIDATION_FAILED: .*expires_at/);
      expect(text(await call('add_memory', { text: 'x', expires_at: '2000-01-01T00:00:00Z' }))).toMatch(/^VALIDATION_FAILED: .*future/);

      const ids = (r: ToolResult) => ((r.structuredContent!.results as { memory_id: string }[] | undefined) ?? []).map((h) => h.memory_id);
      expect(ids(await call('search_memories', { query: 'where does the pet sleep?', k: 1, filters: { metadata: { topic: 'pets' } } }))).toEqual([kept.structuredContent!.memory_id]);
      expect(ids(await call('search_memories', { query: 'where does the pet sleep?', filters: { created_after: '2999-01-01T00:00:00Z' } }))).toEqual([]);
      expect(ids(await call('search_memories', { query: 'where does the pet sleep?', limit: 2 }))).toHaveLength(2);
      const plain = await call('search_memories', { query: 'beagle basket', rerank: false });
      expect(plain.structuredContent).toMatchObject({ reranked: false });
      const strict = await call('search_memories', { query: 'the capital of Mongolia', min_relevance: 0.5 });
      expect(text(strict)).toBe('No matching memories.');
      expect(ids(await call('search_memories', { query: 'beagle basket', min_score: 0.99 }))).toEqual([]);
      expect((await call('search_memories', { query: 'beagle', k: 1, limit: 2 })).isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it("another user's memory is refused, and no tool takes a user id", async () => {
    const alice = await httpClient(await t.token('alice'));
    const bob = await httpClient(await t.token('bob'));
    try {
      const added = (await alice.callTool({ name: 'add_memory', arguments: { text: "Alice's locker code is 4417." } })) as ToolResult;
      const id = String(added.structuredContent?.memory_id);

      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const read = (await bob.callTool({ name: 'get_memory', arguments: { memory_id: id } })) as ToolResult;
      expect(read.isError).toBe(true);
      expect(text(read)).toMatch(/^NOT_FOUND/);
      const search = (await bob.callTool({ name: 'search_memories', arguments: { query: 'locker code' } })) as ToolResult;
      expect(JSON.stringify(search)).not.toContain('4417');
      const del = (await bob.callTool({ name: 'delete_memory', arguments: { memory_id: id } })) as ToolResult;
      expect(del.isError).toBe(true);
      const upd = (await bob.callTool({ name: 'update_memory', arguments: { memory_id: id, text: "Alice's locker code is 0000." } })) as ToolResult;
      expect(upd.isError).toBe(true);
      expect(text(upd)).toMatch(/^NOT_FOUND/);
      const updAs = (await bob.callTool({ name: 'update_memory', arguments: { memory_id: id, text: 'x', user_id: 'alice' } })) as ToolResult;
      expect(updAs.isError).toBe(true);

      // A user id smuggled into the arguments is refused, not obeyed.
      const smuggled = (await bob.callTool({ name: 'search_memories', arguments: { query: 'locker code', user_id: 'alice' } })) as ToolResult;
      expect(smuggled.isError).toBe(true);
      expect(JSON.stringify(smuggled)).not.toContain('4417');

      expect(text((await alice.callTool({ name: 'get_memory', arguments: { memory_id: id } })) as ToolResult)).toContain('4417');
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  it('refuses /mcp without a valid token, and GET with 405', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    expect((await fetch(`${url}/mcp`, { method: 'POST', headers, body })).status).toBe(401);
    const forged = await fetch(`${url}/mcp`, { method: 'POST', headers: { ...headers, authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.' }, body });
    expect(forged.status).toBe(401);
    const get = await fetch(`${url}/mcp`, { headers: { authorization: `Bearer ${await t.token('alice')}` } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});
