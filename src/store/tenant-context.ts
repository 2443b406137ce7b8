import { APP_ROLE, type Queryable, type Topology } from './database.js';

/** A user hash as stored (64 hex digits), or '' (no tenant: RLS shows no row). */
const TENANT = /^(?:[0-9a-f]{64})?$/;

function tenantLiteral(userHash: string): string {
  // SET takes no parameters; the value is checked, so quoting it is all the escaping it needs.
  if (!TENANT.test(userHash)) throw new Error('a tenant is a user hash of 64 hex digits');
  return `'${userHash}'`;
}

/**
 * The statements that start a tenant's transaction: drop to the app role and name the tenant, both
 * SET LOCAL so they end with the transaction. RLS policies read `app.user_hash`; the role cannot
 * bypass them. One script, one round trip.
 *
 * On Citus the tenant must reach the workers, where the shards and their policies are: Citus sends
 * the transaction's SET LOCAL commands to every worker connection of the transaction once
 * `citus.propagate_set_commands` is 'local' (a set_config() call stays on the coordinator, and a
 * tenant would see none of its rows). `citus.multi_task_query_log_level = 'error'` refuses any
 * statement of a tenant transaction that would fan out to several shards: every statement names its
 * user_hash and runs on one shard, and one that does not is a bug that fails loudly.
 */
export function tenantScript(userHash: string, topology: Topology): string {
  const citus =
    topology === 'citus'
      ? [`SET LOCAL citus.propagate_set_commands = 'local'`, `SET LOCAL citus.multi_task_query_log_level = 'error'`]
      : [];
  return [...citus, `SET LOCAL ROLE ${APP_ROLE}`, `SET LOCAL app.user_hash = ${tenantLiteral(userHash)}`].join('; ');
}

/**
 * Switches the tenant of a transaction that tenantScript started (key rotation walks many tenants in
 * one transaction): the new value reaches the workers as the first one did.
 */
export async function enterTenant(tx: Queryable, userHash: string): Promise<void> {
  await tx.query(`SET LOCAL app.user_hash = ${tenantLiteral(userHash)}`);
}
