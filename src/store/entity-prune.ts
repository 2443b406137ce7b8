import type { Queryable } from './database.js';

/**
 * What a deleted memory supported in the knowledge graph goes with it. Deleting a memory (or its
 * chunks) removes its entity mentions by cascade; an entity that no mention supports any more is then
 * deleted here, in the same transaction, with its aliases and relationships (cascade). A statement,
 * not a trigger: Citus runs no triggers with transition tables on distributed tables.
 */

/**
 * SQL for the ids of the entities mentioned in the memories that `memoryIds` (a subquery) selects, as
 * a text[]: read in the deleting statement itself, which still sees the mentions it removes. `$1` is
 * the user hash.
 */
export const mentionedEntities = (memoryIds: string) =>
  `ARRAY(SELECT DISTINCT entity_id::text FROM entity_mentions WHERE user_hash = $1 AND memory_id IN (${memoryIds}))`;

/** Deletes those of `entityIds` that no mention supports any more; returns how many went. */
export async function pruneEntities(tx: Queryable, userHash: string, entityIds: readonly string[] | null): Promise<number> {
  if (!entityIds || entityIds.length === 0) return 0;
  const { rows } = await tx.query(
    `DELETE FROM entities e
      WHERE e.user_hash = $1 AND e.id = ANY($2::uuid[])
        AND NOT EXISTS (SELECT 1 FROM entity_mentions m WHERE m.user_hash = $1 AND m.entity_id = e.id)
      RETURNING 1`,
    [userHash, entityIds],
  );
  return rows.length;
}
