import { APP_ROLE, type Queryable, type Topology } from './database.js';

/** A user hash as stored (64 hex digits), or '' (no tenant: RLS shows no row). */
const TENANT = /^(?:[0-9a-f]{64})?$/;

function tenantLiteral(userHash: string): string {
  // SET takes no parameters; the value is checked, so quoting it is all the escaping it needs.
  if (!TENANT.test(userHash)) throw new Error('a tenant is a user hash of 64 hex digits');
  return `'${userHash}'`;
}

/**
 * The statements that start a tenant's transaction, as the scripts to send one after the other (the
 * first with BEGIN in front): drop to the app role and name the tenant, both SET LOCAL so they end
 * with the transaction. RLS policies read `app.user_hash`; the role cannot bypass them. Parallel
 * workers are off: a tenant's statements read one user's rows, and starting workers for them cost
 * more than they saved (about 44 ms a query for a large user on a Citus shard, docs/BENCHMARKS.md).
 * One script on one server: one round trip.
 *
 * On Citus the tenant must reach the workers, where the shards and their policies are: once
 * `citus.propagate_set_commands` is 'local', Citus sends each later SET LOCAL of the transaction to
 * every worker connection of it (a set_config() call stays on the coordinator, and a tenant would
 * see none of its rows). Citus sends the whole query string a SET came in, not the SET alone, so the
 * propagated SETs go in a script of their own, with nothing else in it; the role needs no
 * propagation (Citus connects to the workers as the current role). `citus.multi_task_query_log_level
 * = 'error'` refuses any statement of a tenant transaction that would fan out to several shards:
 * every statement names its user_hash and runs on one shard, and one that does not is a bug that
 * fails loudly. Two round trips on Citus.
 */
export function tenantScripts(userHash: string, topology: Topology): string[] {
  const tenant = [`SET LOCAL max_parallel_workers_per_gather = 0`, `SET LOCAL app.user_hash = ${tenantLiteral(userHash)}`];
  if (topology !== 'citus') return [[`SET LOCAL ROLE ${APP_ROLE}`, ...tenant].join('; ')];
  return [
    [
      `SET LOCAL citus.multi_task_query_log_level = 'error'`,
      `SET LOCAL ROLE ${APP_ROLE}`,
      // Last: nothing before it in this script is sent on.
      `SET LOCAL citus.propagate_set_commands = 'local'`,
    ].join('; '),
    tenant.join('; '),
  ];
}

/**
 * Switches the tenant of a transaction that tenantScripts started (key rotation walks many tenants in
 * one transaction): the new value reaches the workers as the first one did.
 */
export async function enterTenant(tx: Queryable, userHash: string): Promise<void> {
  await tx.query(`SET LOCAL app.user_hash = ${tenantLiteral(userHash)}`);
}
