import type { DataKeys } from '../crypto/data-keys.js';
import { fieldAad, open } from '../crypto/envelope.js';
import type { UserHasher } from '../crypto/user-hash.js';
import type { Database, Queryable } from '../store/database.js';
import { entityRepository as repo } from '../store/entity-repository.js';
import { lockTenant } from '../store/tenant-lock.js';
import type { EntityType } from './types.js';

/**
 * The whole of a user's graph as far as a picture can hold it: the most mentioned entities and the
 * relationships among them, names and predicates decrypted. Evidence and the memories behind an
 * entity stay with the lookup of one entity (EntityService.lookup).
 */
export const GraphLimits = { entitiesDefault: 100, entitiesMax: 300, relationshipsMax: 1000 } as const;

export interface UserGraph {
  entities: Array<{ id: string; name: string; type: EntityType; mentions: number }>;
  relationships: Array<{ sourceId: string; targetId: string; source: string; predicate: string; target: string; memoryId: string | null }>;
  /** More entities or relationships exist than were returned. */
  truncated: boolean;
}

export interface GraphDeps {
  db: Database;
  dataKeys: DataKeys<Queryable>;
  hashUser: UserHasher;
}

export async function readGraph(deps: GraphDeps, userId: string, limit: number): Promise<UserGraph> {
  const userHash = deps.hashUser(userId);
  return deps.db.withTenant(userHash, async (tx) => {
    await lockTenant(tx, userHash, 'shared'); // wholly before or after an erase
    const dek = await deps.dataKeys.find(tx, userHash);
    if (!dek) return { entities: [], relationships: [], truncated: false };
    const top = await repo.topEntities(tx, userHash, limit);
    const names = new Map(
      top.rows.map((e) => [e.id, open(dek, e.name_ciphertext, fieldAad(userHash, 'entities', e.id, 'name')).toString('utf8')]),
    );
    const rels = names.size > 0 ? await repo.relationshipsAmong(tx, userHash, [...names.keys()], GraphLimits.relationshipsMax) : { rows: [], more: false };
    return {
      entities: top.rows.map((e) => ({ id: e.id, name: names.get(e.id)!, type: e.type as EntityType, mentions: e.mentions })),
      relationships: rels.rows.map((r) => ({
        sourceId: r.source_id,
        targetId: r.target_id,
        source: names.get(r.source_id)!,
        predicate: open(dek, r.predicate_ciphertext, fieldAad(userHash, 'entity_relationships', r.id, 'predicate')).toString('utf8'),
        target: names.get(r.target_id)!,
        memoryId: r.memory_id,
      })),
      truncated: top.more || rels.more,
    };
  });
}
