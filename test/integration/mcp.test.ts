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
