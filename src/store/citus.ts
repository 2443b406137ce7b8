import type { Queryable } from './database.js';
import { detectTopology } from './postgres.js';

/**
 * The Citus side of the owner's preparation and of `engram verify`: only called on a Citus
 * coordinator (topology 'citus', detected in postgres.ts).
 */

/** Column privileges (the maintenance role's) granted on the distributed tables, per table and role. */
type ColumnGrant = { table: string; role: string; privilege: string; columns: string[] };

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Citus creates every shard with the table's policies and table-level grants, but not its column
 * grants, and refuses GRANT on a column list of a distributed table; a shard moved by the rebalancer is
 * created again without them. The maintenance role may read only some columns (user_hash and version
 * or expiry columns, migrations 1764100000000 and 1764410000000): those grants, as the coordinator's
 * tables hold them, are applied to every shard here. Idempotent; run by the owner at every
 * `engram migrate` (and serve with MIGRATE_ON_START), and so after adding workers and rebalancing.
 * Returns the number of shard grants applied.
 */
export async function grantColumnsOnShards(owner: Queryable): Promise<number> {
  const { rows } = await owner.query<ColumnGrant>(
    `SELECT c.relname AS table, r.rolname AS role, g.privilege_type AS privilege,
            array_agg(a.attname::text ORDER BY a.attnum) AS columns
       FROM pg_dist_partition p
       JOIN pg_class c ON c.oid = p.logicalrelid
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attacl IS NOT NULL
       CROSS JOIN LATERAL aclexplode(a.attacl) g
       JOIN pg_roles r ON r.oid = g.grantee
      WHERE p.partmethod = 'h'
      GROUP BY c.relname, r.rolname, g.privilege_type
      ORDER BY 1, 2, 3`,
  );
  let applied = 0;
  for (const grant of rows) {
    const columns = grant.columns.map(quoteIdent).join(', ');
    const command = `GRANT ${grant.privilege} (${columns}) ON %s TO ${quoteIdent(grant.role)}`;
    const { rows: results } = await owner.query<{ success: boolean; result: string }>(
      `SELECT success, result FROM run_command_on_shards($1::regclass, $2)`,
      [grant.table, command],
    );
    const failed = results.find((r) => !r.success);
    if (failed) throw new Error(`could not grant ${grant.role} its columns of ${grant.table} on a shard: ${failed.result}`);
    applied += results.length;
  }
  return applied;
}

/** After migrations, as the owner: what a Citus coordinator needs beyond them. Nothing elsewhere. */
export async function prepareTopology(owner: Queryable): Promise<void> {
  if ((await detectTopology(owner)) === 'citus') await grantColumnsOnShards(owner);
}

export interface ClusterReport {
  nodes: { host: string; port: number; role: string; active: boolean; coordinator: boolean; shards: number }[];
  /** Distributed tables and how many shards each has. */
  tables: { table: string; method: string; shards: number; colocation: number }[];
}

/** The cluster as the coordinator's metadata describes it (engram verify). */
export async function describeCluster(q: Queryable): Promise<ClusterReport> {
  const nodes = await q.query<ClusterReport['nodes'][number]>(
    `SELECT n.nodename AS host, n.nodeport AS port, n.noderole::text AS role, n.isactive AS active, n.groupid = 0 AS coordinator,
            (SELECT count(*)::int FROM pg_dist_placement pl WHERE pl.groupid = n.groupid) AS shards
       FROM pg_dist_node n ORDER BY n.groupid, n.nodeid`,
  );
  const tables = await q.query<{ table: string; method: string; shards: number; colocation: number }>(
    `SELECT p.logicalrelid::regclass::text AS table, p.partmethod::text AS method, p.colocationid AS colocation,
            (SELECT count(*)::int FROM pg_dist_shard s WHERE s.logicalrelid = p.logicalrelid) AS shards
       FROM pg_dist_partition p ORDER BY 1`,
  );
  return { nodes: nodes.rows, tables: tables.rows };
}
