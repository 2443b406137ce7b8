import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runImport, toItem } from '../../src/cli/import.js';

/** `engram import` against a scripted service: retries, splitting, per-item retries (issue 9). */
type Reply = { status: number; headers?: Record<string, string>; body?: unknown };

function service(script: (items: Array<{ text: string }>, call: number) => Reply) {
  const calls: Array<Array<{ text: string }>> = [];
  const fetch = (async (_url: string, init: { body: string }) => {
    const items = (JSON.parse(init.body) as { items: Array<{ text: string }> }).items;
    calls.push(items);
    const reply = script(items, calls.length);
    return new Response(JSON.stringify(reply.body ?? {}), { status: reply.status, headers: reply.headers });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

const ok = (items: Array<{ text: string }>, status = () => 201) => ({
  status: 200,
  body: { items: items.map((_, index) => ({ index, status: status() })), stored: items.length, deduplicated: 0, failed: 0 },
});
const input = (n: number) => Readable.from(Array.from({ length: n }, (_, i) => `${JSON.stringify({ text: `t${i}` })}\n`).join(''));
const run = (n: number, fetch: typeof globalThis.fetch, batchSize = 10) =>
  runImport(input(n), { url: 'http://engram.test', token: 't', batchSize, dedup: true, fetch });

describe('engram import transport', () => {
  it('waits as Retry-After says on a 429 or 503 and sends the batch again', async () => {
    const s = service((items, call) => (call === 1 ? { status: 429, headers: { 'retry-after': '1' } } : call === 2 ? { status: 503 } : ok(items)));
    const summary = await run(3, s.fetch);
    expect(s.calls).toHaveLength(3);
    expect(summary).toMatchObject({ stored: 3, failures: [] });
  });

  it('splits a batch larger than the whole rate-limit budget (X-RateLimit-Limit) and halves on 413', async () => {
    const s = service((items) =>
      items.length > 4
        ? { status: 413 }
        : items.length > 2
          ? { status: 429, headers: { 'retry-after': '1', 'x-ratelimit-limit': '2' } }
          : ok(items),
    );
    const summary = await run(10, s.fetch);
    expect(summary.stored).toBe(10);
    expect(s.calls.map((c) => c.length).slice(0, 3)).toEqual([10, 5, 3]); // 413 halves; 429 with a budget of 2 splits
    expect(s.calls.filter((c) => c.length <= 2).flat().map((i) => i.text)).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`));
  });

  it('sends items that came back 503 again, alone, and reports items that still fail with their lines', async () => {
    let first = true;
    const s = service((items) => {
      if (first) {
        first = false;
        return {
          status: 200,
          body: { items: items.map((_, index) => (index === 1 ? { index, status: 503, error: { code: 'OVERLOADED', detail: 'busy' } } : index === 2 ? { index, status: 400, error: { code: 'VALIDATION_FAILED', detail: 'items[2].text bad' } } : { index, status: 201 })) },
        };
      }
      return ok(items, () => 200);
    });
    const summary = await run(3, s.fetch);
    expect(s.calls.map((c) => c.map((i) => i.text))).toEqual([['t0', 't1', 't2'], ['t1']]);
    expect(summary).toMatchObject({ stored: 1, deduplicated: 1, failures: [{ line: 3, code: 'VALIDATION_FAILED', detail: 'item.text bad' }] });
  });

  it('maps export lines to items: nulls dropped, dates kept, expired lines skipped', () => {
    const line = { memory_id: 'x', text: 'a', source: null, metadata: { k: 1 }, chunk_count: 1, created_at: '2020-01-01T00:00:00.000Z', updated_at: '2020-01-02T00:00:00.000Z', expires_at: null };
    expect(toItem(JSON.stringify(line), Date.now(), true)).toEqual({
      item: { text: 'a', metadata: { k: 1 }, created_at: line.created_at, updated_at: line.updated_at },
    });
    expect(toItem(JSON.stringify({ ...line, expires_at: '2020-01-03T00:00:00Z' }), Date.now(), false)).toEqual({ expired: true });
    expect(toItem(JSON.stringify({ text: 'b' }), Date.now(), false)).toEqual({ item: { text: 'b', dedup: false } });
    expect(toItem('[1]', Date.now(), true)).toEqual({ error: 'not a JSON object' });
  });
});
