import type { Queryable } from './database.js';
import type { Maintenance } from './maintenance.js';
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

/** A shard (table_123456) the maintenance role may not read: a moved shard without its column grants. */
function isShardGrantMissing(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '42501' && /permission denied for table \w+_\d+\b/.test(e.message ?? '');
}

/**
 * The maintenance runner on Citus, healing itself after a shard move: a move (rebalancing, a worker
 * drained) creates the shard again without the column grants, and the next pass of the sweeper or
 * `engram keys` would be refused there. Such a refusal re-applies the grants to every shard
 * (grantColumnsOnShards) and runs the (read-only) step again, once.
 */
export function healingShardGrants(maintenance: Maintenance, owner: Queryable): Maintenance {
  return async (fn) => {
    try {
      return await maintenance(fn);
    } catch (err) {
      if (!isShardGrantMissing(err)) throw err;
      await grantColumnsOnShards(owner);
      return maintenance(fn);
    }
  };
}

/** The roles the service's connections use (Citus opens its worker connections as them). */
const SERVICE_ROLES = ['engram_app', 'engram_maintenance'];

/**
 * Before migrations, as the owner: the service roles on every worker. Citus sends CREATE ROLE to the
 * workers it knows when a role is made, so on a new cluster the first migration's roles reach them;
 * but a role this server already had (another database made it) does not exist on a worker that
 * joined later, and the migrations' grants would fail there. Created where missing, as on the
 * coordinator (the same LOGIN attribute).
 */
export async function createRolesOnWorkers(owner: Queryable): Promise<void> {
  const { rows: roles } = await owner.query<{ name: string; login: boolean }>(
    `SELECT rolname AS name, rolcanlogin AS login FROM pg_roles WHERE rolname = ANY($1)`,
    [SERVICE_ROLES],
  );
  for (const role of roles) {
    const command =
      // On a worker Citus refuses role DDL unless told this one is not to be propagated further.
      `DO $r$ BEGIN PERFORM set_config('citus.enable_create_role_propagation', 'off', true); ` +
      `IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role.name}') THEN ` +
      `CREATE ROLE ${quoteIdent(role.name)} ${role.login ? 'LOGIN' : 'NOLOGIN'} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT; ` +
      `END IF; END $r$`;
    const { rows } = await owner.query<{ node: string; success: boolean; result: string }>(
      `SELECT nodename || ':' || nodeport AS node, success, result FROM run_command_on_workers($1)`,
      [command],
    );
    const failed = rows.filter((r) => !r.success);
    if (failed.length > 0) throw new Error(`could not create role ${role.name} on ${failed.map((r) => `${r.node}: ${r.result}`).join('; ')}`);
  }
}

/** Before migrations, as the owner: what a Citus coordinator needs first. Nothing elsewhere. */
export async function prepareTopologyBeforeMigrations(owner: Queryable): Promise<void> {
  if ((await detectTopology(owner)) === 'citus') await createRolesOnWorkers(owner);
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
