import type { Queryable } from './database.js';

/**
 * Which tenants have maintenance work, read as engram_maintenance (store/maintenance.ts): only
 * user_hash and version columns are visible to it. Pages are keyset-ordered by user_hash, so a
 * run that stops (a crash, Ctrl-C) resumes where the work is, and finished rows drop out.
 */
export const tenantCatalog = {
  async keysByVersion(q: Queryable): Promise<Map<number, number>> {
    const { rows } = await q.query<{ v: number; n: number }>(
      `SELECT kek_version AS v, count(*)::int AS n FROM user_keys GROUP BY kek_version ORDER BY kek_version`,
    );
    return new Map(rows.map((r) => [r.v, r.n]));
  },

  /** Tenants whose data key is wrapped by a KEK version other than `version`. */
  async keysNotOn(q: Queryable, version: number, after: string, limit: number): Promise<string[]> {
    const { rows } = await q.query<{ user_hash: string }>(
      `SELECT user_hash FROM user_keys WHERE kek_version <> $1 AND user_hash > $2 ORDER BY user_hash LIMIT $3`,
      [version, after, limit],
    );
    return rows.map((r) => r.user_hash);
  },

  async legacyChunkCount(q: Queryable): Promise<number> {
    const { rows } = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM memory_chunks WHERE aad_version = 1`);
    return rows[0]!.n;
  },

  /** Tenants with chunks still under the version-1 AAD. */
  async legacyChunkTenants(q: Queryable, after: string, limit: number): Promise<string[]> {
    const { rows } = await q.query<{ user_hash: string }>(
      `SELECT DISTINCT user_hash FROM memory_chunks WHERE aad_version = 1 AND user_hash > $1 ORDER BY user_hash LIMIT $2`,
      [after, limit],
    );
    return rows.map((r) => r.user_hash);
  },

  /** Tenants with memories that have expired (the sweeper's work, lifecycle/sweeper.ts). */
  async expiredTenants(q: Queryable, after: string, limit: number): Promise<string[]> {
    const { rows } = await q.query<{ user_hash: string }>(
      `SELECT DISTINCT user_hash FROM memories WHERE expires_at <= now() AND user_hash > $1 ORDER BY user_hash LIMIT $2`,
      [after, limit],
    );
    return rows.map((r) => r.user_hash);
  },
};
