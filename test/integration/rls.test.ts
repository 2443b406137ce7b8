import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Queryable } from '../../src/store/database.js';
import { migrateDatabase, openDatabase } from '../../src/store/open.js';
import { maintenanceOnClient, maintenanceOnPGlite, pgliteOf } from '../../src/store/maintenance.js';
import { openPGlite } from '../../src/store/pglite.js';
import { tenantCatalog } from '../../src/store/tenant-catalog.js';
import { backend, onServer, createPostgresDatabase, withDatabase } from '../helpers/database.js';

/**
 * Acceptance 3, at the database level: as the app role, with no tenant, with the wrong tenant, and
 * on a pooled connection reused after another tenant's transaction, no other tenant's row is
 * visible or writable; the app role is not a superuser and cannot switch RLS off.
 */
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const space = { model: 'test-model', dimensions: 3 };

interface Harness {
  /** Runs SQL as the app role itself (its own login on PostgreSQL, SET ROLE on PGlite). */
  asApp<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** The service's own database handle (pooled, max one connection on PostgreSQL). */
  db: Database;
  /** The owner / superuser, for seeding and inspecting. */
  owner: Queryable;
  close(): Promise<void>;
}

async function pgliteHarness(): Promise<Harness> {
  const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' }, {
    migrate: true, embedding: space, strictRoles: false, log: () => {}, warn: () => {},
  });
  const pglite = (db as Awaited<ReturnType<typeof openPGlite>>).pglite;
  return {
    db,
    owner: pglite,
    asApp: (fn) =>
      pglite.transaction(async (tx) => {
        await tx.query('SET LOCAL ROLE engram_app');
        return fn(tx);
      }),
    close: () => db.close(),
  };
}

async function postgresHarness(): Promise<Harness> {
  const created = await createPostgresDatabase();
  await migrateDatabase({ kind: 'postgres', url: created.url, ownerUrl: created.url, poolMax: 1 }, space, () => {});
  const owner = new pg.Client({ connectionString: created.url });
  await owner.connect();
  // The app role logs in directly (trust auth on the test server), as production should.
  await owner.query('ALTER ROLE engram_app LOGIN');
  const appUrl = new URL(created.url);
  appUrl.username = 'engram_app';
  appUrl.password = '';
  const app = new pg.Client({ connectionString: withDatabase(appUrl.toString(), created.name) });
  await app.connect();
  const db = await openDatabase({ kind: 'postgres', url: created.url, ownerUrl: created.url, poolMax: 1 }, {
    migrate: false, embedding: space, strictRoles: false, log: () => {}, warn: () => {},
  });
  return {
    db,
    owner,
    async asApp(fn) {
      await app.query('BEGIN');
      try {
        return await fn(app);
      } finally {
        await app.query('ROLLBACK');
      }
    },
    async close() {
      await db.close();
      await app.end();
      await owner.end();
      await created.drop();
    },
  };
}

async function seed(owner: Queryable, userHash: string): Promise<string> {
  const id = randomUUID();
  await owner.query(
    `INSERT INTO memories (id, user_hash, text_ciphertext, chunk_count) VALUES ($1, $2, $3, 1)`,
    [id, userHash, randomBytes(40)],
  );
  await owner.query(
    `INSERT INTO memory_chunks (id, user_hash, memory_id, ordinal, ciphertext, embedding, embedding_model, created_at)
     VALUES ($1, $2, $3, 0, $4, '[1,0,0]', 'test-model', now())`,
    [randomUUID(), userHash, id, randomBytes(40)],
  );
  await owner.query(`INSERT INTO user_keys (user_hash, kek_version, wrapped_dek) VALUES ($1, 1, $2)`, [userHash, randomBytes(60)]);
  return id;
}

/** As an attacker with the app role's login would: SET LOCAL, sent on to the workers on Citus. */
const setTenant = async (q: Queryable, hash: string) => {
  if (backend() === 'citus') await q.query(`SET LOCAL citus.propagate_set_commands = 'local'`);
  await q.query(`SET LOCAL app.user_hash = '${hash}'`);
};
const count = async (q: Queryable, table: string) =>
  Number((await q.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
const TABLES = ['memories', 'memory_chunks', 'user_keys'];

describe(`row-level security (${backend()})`, () => {
  let h: Harness;
  let aMemory: string;

  beforeAll(async () => {
    h = onServer() ? await postgresHarness() : await pgliteHarness();
    aMemory = await seed(h.owner, A);
    await seed(h.owner, B);
  });
  afterAll(async () => h?.close());

  it('every tenant table has RLS enabled and forced, with select/insert/update/delete policies', async () => {
    const { rows } = await h.owner.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; cmds: string[] }>(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
              ARRAY(SELECT p.polcmd::text FROM pg_policy p WHERE p.polrelid = c.oid AND p.polroles = '{0}' ORDER BY 1) AS cmds,
              ARRAY(SELECT p.polcmd::text || ':' || array_to_string(ARRAY(SELECT rolname FROM pg_roles WHERE oid = ANY(p.polroles)), ',')
                      FROM pg_policy p WHERE p.polrelid = c.oid AND p.polroles <> '{0}' ORDER BY 1) AS others
         FROM pg_class c WHERE c.relname = ANY($1) ORDER BY c.relname`,
      [TABLES],
    );
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.relrowsecurity, row.relname).toBe(true);
      expect(row.relforcerowsecurity, row.relname).toBe(true);
      expect(row.cmds, row.relname).toEqual(['a', 'd', 'r', 'w']); // for everyone: insert, delete, select, update
      // Besides: only SELECT, only for the maintenance role (listing tenants for key rotation).
      for (const other of (row as unknown as { others: string[] }).others) expect(other, row.relname).toBe('r:engram_maintenance');
    }
  });

  it('the app role is not a superuser, does not bypass RLS, and owns no table', async () => {
    const { rows } = await h.owner.query<{ rolsuper: boolean; rolbypassrls: boolean; owns: number }>(
      `SELECT rolsuper, rolbypassrls,
              (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid) AS owns
         FROM pg_roles r WHERE rolname = 'engram_app'`,
    );
    expect(rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, owns: 0 });
    await h.asApp(async (q) => {
      const { rows: who } = await q.query<{ current_user: string }>('SELECT current_user');
      expect(who[0]!.current_user).toBe('engram_app');
    });
  });

  it('with no tenant set, the app role sees and changes nothing', async () => {
    await h.asApp(async (q) => {
      for (const table of TABLES) expect(await count(q, table), table).toBe(0);
      const upd = await q.query(`UPDATE memories SET source = 'x' RETURNING 1`);
      expect(upd.rows).toHaveLength(0);
      const del = await q.query(`DELETE FROM memory_chunks RETURNING 1`);
      expect(del.rows).toHaveLength(0);
    });
    await expect(
      h.asApp((q) =>
        q.query(`INSERT INTO memories (id, user_hash, text_ciphertext, chunk_count) VALUES ($1, $2, '\\x00', 1)`, [randomUUID(), A]),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('with the wrong tenant set, another tenant\'s rows are invisible and unwritable', async () => {
    await h.asApp(async (q) => {
      await setTenant(q, B);
      const { rows } = await q.query<{ user_hash: string }>(`SELECT user_hash FROM memories`);
      expect(rows.map((r) => r.user_hash)).toEqual([B]);
      expect((await q.query(`SELECT 1 FROM memories WHERE id = $1`, [aMemory])).rows).toHaveLength(0);
      expect((await q.query(`UPDATE memories SET source = 'hijack' WHERE id = $1 RETURNING 1`, [aMemory])).rows).toHaveLength(0);
      expect((await q.query(`DELETE FROM user_keys WHERE user_hash = $1 RETURNING 1`, [A])).rows).toHaveLength(0);
      // Moving one's own row to another tenant is refused by the WITH CHECK of the update policy.
      // (Citus refuses it earlier: a row cannot change its distribution column.)
      await expect(q.query(`UPDATE memories SET user_hash = $1`, [A])).rejects.toThrow(
        backend() === 'citus' ? /modifying the partition value/ : /row-level security/,
      );
    });
    await expect(
      h.asApp(async (q) => {
        await setTenant(q, B);
        await q.query(`INSERT INTO user_keys (user_hash, kek_version, wrapped_dek) VALUES ($1, 1, '\\x00')`, ['c'.repeat(64)]);
      }),
    ).rejects.toThrow(/row-level security/);
    const { rows } = await h.owner.query<{ source: string | null }>(`SELECT source FROM memories WHERE id = $1`, [aMemory]);
    expect(rows[0]!.source).toBeNull();
  });

  it('a pooled connection reused after another tenant\'s transaction carries no tenant or role over', async () => {
    // On PostgreSQL the service pool has one connection, so both calls below use the same one. Each
    // statement names its tenant (on Citus a tenant transaction refuses any that would not).
    const visible = async (tx: Queryable) => {
      const counts: number[] = [];
      for (const u of [A, B]) {
        const { rows } = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM memories WHERE user_hash = $1`, [u]);
        counts.push(rows[0]!.n);
      }
      return counts;
    };
    expect(await h.db.withTenant(A, visible)).toEqual([1, 0]);
    expect(await h.db.withTenant(B, visible)).toEqual([0, 1]);
    if (backend() === 'citus') {
      // A statement that would fan out to every shard does not run in a tenant transaction.
      await expect(h.db.withTenant(A, (tx) => tx.query(`SELECT DISTINCT user_hash FROM memories`))).rejects.toThrow(/multi-task query/);
    } else {
      const { rows } = await h.db.withTenant(A, (tx) => tx.query<{ user_hash: string }>(`SELECT DISTINCT user_hash FROM memories`));
      expect(rows.map((r) => r.user_hash)).toEqual([A]);
    }
    // Outside any tenant transaction the setting is gone and the role is back to the login.
    const q: Queryable = h.db.kind === 'postgres' ? (h.db as unknown as { pool: pg.Pool }).pool : (h.owner as Queryable);
    const { rows } = await q.query<{ tenant: string | null; role: string }>(
      `SELECT current_setting('app.user_hash', true) AS tenant, current_user AS role`,
    );
    expect(rows[0]!.tenant ?? '').toBe('');
    expect(rows[0]!.role).not.toBe('engram_app');
  });

  it('the app role cannot disable or unforce RLS, drop policies, or turn row_security off to read', async () => {
    for (const stmt of [
      'ALTER TABLE memories DISABLE ROW LEVEL SECURITY',
      'ALTER TABLE memories NO FORCE ROW LEVEL SECURITY',
      'DROP POLICY memories_select ON memories',
      'ALTER ROLE engram_app BYPASSRLS',
    ]) {
      await expect(h.asApp((q) => q.query(stmt)), stmt).rejects.toThrow(/must be owner|must be superuser|permission denied|must have|not have permission/);
    }
    // With row_security off, PostgreSQL raises instead of silently bypassing for a non-bypass role.
    await expect(
      h.asApp(async (q) => {
        await q.query('SET LOCAL row_security = off');
        await q.query('SELECT * FROM memories');
      }),
    ).rejects.toThrow(/row-level security/);
  });

  it('the maintenance role lists tenants and versions across RLS, and reads or writes nothing else', async () => {
    const asMaintenance = <T>(fn: (q: Queryable) => Promise<T>): Promise<T> => {
      const pglite = pgliteOf(h.db);
      return pglite ? maintenanceOnPGlite(pglite)(fn) : maintenanceOnClient(h.owner as pg.Client)(fn);
    };
    const tenants = await asMaintenance((q) => tenantCatalog.keysNotOn(q, 99, '', 10));
    expect(tenants).toEqual([A, B]);
    expect(await asMaintenance((q) => tenantCatalog.legacyChunkTenants(q, '', 10))).toEqual([A, B]);
    // The expiry sweeper's work list: user_hash and expires_at of memories, nothing else of them.
    await h.owner.query(`UPDATE memories SET expires_at = now() - interval '1 second' WHERE user_hash = $1`, [B]);
    try {
      expect(await asMaintenance((q) => tenantCatalog.expiredTenants(q, '', 10))).toEqual([B]);
    } finally {
      await h.owner.query(`UPDATE memories SET expires_at = NULL WHERE user_hash = $1`, [B]);
    }
    for (const stmt of [
      'SELECT wrapped_dek FROM user_keys',
      'SELECT ciphertext FROM memory_chunks',
      'SELECT embedding FROM memory_chunks',
      'SELECT * FROM memories',
      'SELECT text_ciphertext FROM memories',
      'SELECT content_hash FROM memories',
      'SELECT metadata FROM memories',
      `DELETE FROM memories`,
      `UPDATE memories SET expires_at = now()`,
      `UPDATE user_keys SET kek_version = 2`,
      `DELETE FROM memory_chunks`,
    ]) {
      await expect(asMaintenance((q) => q.query(stmt)), stmt).rejects.toThrow(/permission denied/);
    }
    // The app role is not a member, so it cannot become it.
    const { rows } = await h.owner.query<{ member: boolean }>(`SELECT pg_has_role('engram_app', 'engram_maintenance', 'MEMBER') AS member`);
    expect(rows[0]!.member).toBe(false);
    if (onServer()) {
      await expect(h.asApp((q) => q.query('SET LOCAL ROLE engram_maintenance'))).rejects.toThrow(/permission denied/);
    }
  });
});
