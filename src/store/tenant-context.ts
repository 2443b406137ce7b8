import pg from 'pg';
import { APP_ROLE, type Queryable } from './database.js';

/**
 * Starts a tenant's transaction: drop to the app role and name the tenant, both with is_local=true
 * so they end with the transaction. RLS policies read `app.user_hash`; the role cannot bypass them.
 * One statement, one round trip.
 */
export async function enterTenant(tx: Queryable, userHash: string): Promise<void> {
  await tx.query(`SELECT set_config('role', $1, true), set_config('app.user_hash', $2, true)`, [APP_ROLE, userHash]);
}

/**
 * BEGIN and the same two settings as one simple-protocol script, for a pg client: one round trip
 * instead of two. A script takes no parameters, so the values are quoted with pg's escapeLiteral.
 */
export function beginTenantScript(userHash: string): string {
  const role = pg.escapeLiteral(APP_ROLE);
  return `BEGIN; SELECT set_config('role', ${role}, true), set_config('app.user_hash', ${pg.escapeLiteral(userHash)}, true)`;
}
