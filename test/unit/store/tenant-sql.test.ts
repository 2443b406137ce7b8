import { describe, expect, it } from 'vitest';
import type { Queryable } from '../../../src/store/database.js';
import { insertRows } from '../../../src/store/insert-rows.js';
import { enterTenant, tenantScripts } from '../../../src/store/tenant-context.js';

const HASH = 'ab'.repeat(32);

function recorder() {
  const calls: { sql: string; params: unknown[] }[] = [];
  const q: Queryable = {
    query: async <R>(sql: string, params: unknown[] = []) => {
      calls.push({ sql, params });
      return { rows: [] as R[] };
    },
  };
  return { q, calls };
}

describe('tenant statements', () => {
  it('starts a tenant transaction with SET LOCAL only; on Citus the settings reach the workers and fan-out is refused', () => {
    const tenant = `SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL app.user_hash = '${HASH}'`;
    expect(tenantScripts(HASH, 'single')).toEqual([`SET LOCAL ROLE engram_app; ${tenant}`]);
    // On Citus: first the coordinator's settings, propagation switched on last (nothing before it is sent
    // on), then the settings for the workers in a script of their own (Citus sends a SET's whole script).
    expect(tenantScripts(HASH, 'citus')).toEqual([
      `SET LOCAL citus.multi_task_query_log_level = 'error'; SET LOCAL ROLE engram_app; SET LOCAL citus.propagate_set_commands = 'local'`,
      tenant,
    ]);
    expect(tenantScripts('', 'single')[0]).toContain(`app.user_hash = ''`);
  });

  it('refuses anything but a user hash in the script (it is written into SQL, not bound)', async () => {
    for (const bad of [`x'; RESET ROLE; --`, 'AB'.repeat(32), 'ab'.repeat(31), `${HASH}'`]) {
      expect(() => tenantScripts(bad, 'single'), bad).toThrow(/64 hex digits/);
      await expect(enterTenant(recorder().q, bad), bad).rejects.toThrow(/64 hex digits/);
    }
  });
});

describe('insertRows', () => {
  it('writes multi-row VALUES with $1 the tenant in every row, casts where asked, the tail after', async () => {
    const { q, calls } = recorder();
    await insertRows(q, { into: 't', columns: ['id', 'user_hash', 'doc'], casts: { doc: 'jsonb' }, tail: 'ON CONFLICT DO NOTHING' }, HASH, [
      ['a', '{}'],
      ['b', '[]'],
    ]);
    expect(calls).toEqual([
      { sql: 'INSERT INTO t (id, user_hash, doc) VALUES ($2, $1, $3::jsonb), ($4, $1, $5::jsonb) ON CONFLICT DO NOTHING', params: [HASH, 'a', '{}', 'b', '[]'] },
    ]);
  });

  it('splits large inserts into pages under the parameter limit, every row kept once', async () => {
    const { q, calls } = recorder();
    const rows = Array.from({ length: 25_001 }, (_, i) => [i, `chunk-${i}`, 1]);
    await insertRows(q, { into: 'keyword_postings', columns: ['user_hash', 'term', 'chunk_id', 'tf'] }, HASH, rows);
    expect(calls.length).toBe(3);
    for (const c of calls) expect(c.params.length).toBeLessThanOrEqual(30_001);
    const terms = calls.flatMap((c) => c.params.slice(1).filter((_, i) => i % 3 === 0));
    expect(terms).toEqual(rows.map((r) => r[0]));
  });
});
