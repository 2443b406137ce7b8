import type { Queryable } from './database.js';

/** PostgreSQL's limit is 65,535 parameters a statement; pages stay well below it. */
const MAX_PARAMS = 30_000;

export interface RowsInsert {
  /** The table. */
  into: string;
  /** Its columns, in the order of each row's values; `user_hash` takes the tenant, not a row value. */
  columns: readonly string[];
  /** A cast per column where the parameter's type needs one (e.g. `{ metadata: 'jsonb' }`). */
  casts?: Readonly<Record<string, string>>;
  /** What follows VALUES (e.g. an ON CONFLICT clause). */
  tail?: string;
}

/**
 * Inserts many rows of one tenant as multi-row `INSERT ... VALUES` statements, `$1` the user hash in
 * every row. Not `INSERT ... SELECT FROM unnest(...)`: on Citus that form is pulled through the
 * coordinator (and copied into the shard, which RLS refuses), while a VALUES list whose rows all
 * name one user_hash is a single-shard statement. Pages of rows keep each statement under the
 * parameter limit.
 */
export async function insertRows(tx: Queryable, spec: RowsInsert, userHash: string, rows: readonly unknown[][]): Promise<void> {
  const perRow = spec.columns.filter((c) => c !== 'user_hash').length;
  const pageSize = Math.max(1, Math.floor(MAX_PARAMS / Math.max(perRow, 1)));
  for (let start = 0; start < rows.length; start += pageSize) {
    const page = rows.slice(start, start + pageSize);
    const params: unknown[] = [userHash];
    const tuples = page.map((row) => {
      let i = 0;
      const values = spec.columns.map((column) => {
        if (column === 'user_hash') return '$1';
        params.push(row[i++]);
        const cast = spec.casts?.[column];
        return cast ? `$${params.length}::${cast}` : `$${params.length}`;
      });
      return `(${values.join(', ')})`;
    });
    await tx.query(`INSERT INTO ${spec.into} (${spec.columns.join(', ')}) VALUES ${tuples.join(', ')} ${spec.tail ?? ''}`, params);
  }
}
