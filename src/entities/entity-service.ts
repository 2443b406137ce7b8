import { randomUUID } from 'node:crypto';
import type { DataKeys } from '../crypto/data-keys.js';
import { fieldAad, open, seal } from '../crypto/envelope.js';
import type { UserHasher } from '../crypto/user-hash.js';
import { Errors } from '../errors/app-error.js';
import { openChunk } from '../memory/chunk-crypto.js';
import { chunkText } from '../memory/chunker.js';
import { Limits } from '../memory/limits.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Database, Queryable } from '../store/database.js';
import { entityRepository as repo, type MentionInsert, type RelationshipInsert } from '../store/entity-repository.js';
import { lockTenant } from '../store/tenant-lock.js';
import { nameIndexer } from './blind-index.js';
import { extractYielding } from './extract.js';
import { GraphLimits, readGraph, type UserGraph } from './graph.js';
import { nameKey } from './normalize.js';
import type { EntityType, Extraction, Segment } from './types.js';

export const EntityLimits = {
  memoryIdsMax: 50,
  nameChars: 200,
  relationshipsMax: 200,
  memoriesMax: 50,
} as const;

export interface ExtractInput {
  userId: string;
  text?: string;
  memoryIds?: string[];
  persist?: boolean;
}

export interface GraphRelationship {
  source: string;
  predicate: string;
  target: string;
  evidence: string;
  memoryId: string | null;
  chunkId: string | null;
}

export interface EntityResult {
  entities: Array<{ name: string; type: EntityType; mentions: number; salience: number }>;
  relationships: GraphRelationship[];
  persisted: boolean;
}

export interface EntityLookup {
  entity: { name: string; type: EntityType; mentions: number };
  relationships: GraphRelationship[];
  memories: Array<{ memoryId: string; chunkIds: string[]; text: string; createdAt: Date }>;
}

export interface EntityServiceDeps {
  db: Database;
  dataKeys: DataKeys<Queryable>;
  hashUser: UserHasher;
  metrics: Metrics;
}

const elapsedMs = (since: number) => performance.now() - since;

/**
 * The per-user knowledge graph: extracts entities and relationships from text or stored memories
 * and, on request, persists them sealed with the user's data key. Names are found again only
 * through their blind index (blind-index.ts). Knows nothing of HTTP.
 */
export class EntityService {
  constructor(private readonly deps: EntityServiceDeps) {}

  async extract(input: ExtractInput): Promise<EntityResult> {
    return this.measure('extract', async () => {
      const hasText = input.text !== undefined;
      const ids = input.memoryIds;
      if (hasText === (ids !== undefined)) throw Errors.validation('give either text or memory_ids');
      const userHash = this.deps.hashUser(input.userId);
      let segments: Segment[];
      if (hasText) {
        if (!input.text!.trim()) throw Errors.validation('text must not be blank');
        if (Buffer.byteLength(input.text!, 'utf8') > Limits.textBytes) {
          throw Errors.payloadTooLarge(`text must be at most ${Limits.textBytes} bytes`);
        }
        segments = [{ text: input.text! }];
      } else {
        const unique = [...new Set(ids)];
        if (unique.length === 0 || unique.length > EntityLimits.memoryIdsMax) {
          throw Errors.validation(`memory_ids must hold 1..${EntityLimits.memoryIdsMax} ids`);
        }
        segments = await this.readChunks(userHash, unique);
      }
      const extraction = await extractYielding(segments);
      if (input.persist) await this.persist(userHash, extraction, hasText ? [] : [...new Set(ids)]);
      return {
        entities: extraction.entities.map((e) => ({ name: e.name, type: e.type, mentions: e.mentions, salience: e.salience })),
        relationships: extraction.relationships.map((r) => ({
          source: r.source,
          predicate: r.predicate,
          target: r.target,
          evidence: r.evidence,
          memoryId: r.memoryId ?? null,
          chunkId: r.chunkId ?? null,
        })),
        persisted: input.persist === true,
      };
    });
  }

  /**
   * Adds a just-ingested memory to the graph (ENTITIES_ON_INGEST). Its chunks are cut again from
   * the text, as the ingest did, so nothing is read back; `chunkIds` are in chunk order.
   */
  async ingested(userId: string, memoryId: string, text: string, chunkIds: string[]): Promise<void> {
    await this.measure('ingest', async () => {
      const pieces = chunkText(text);
      const segments = pieces.map((piece, i) => ({ text: piece, memoryId, chunkId: chunkIds[i] }));
      await this.persist(this.deps.hashUser(userId), await extractYielding(segments), [memoryId]);
    });
  }

  async lookup(userId: string, name: string): Promise<EntityLookup> {
    return this.measure('lookup', async () => {
      const key = nameKey(name);
      if (!key || name.length > EntityLimits.nameChars) {
        throw Errors.validation(`name must hold 1..${EntityLimits.nameChars} characters`);
      }
      const userHash = this.deps.hashUser(userId);
      return this.deps.db.withTenant(userHash, async (tx) => {
        await lockTenant(tx, userHash, 'shared'); // wholly before or after an erase
        const dek = await this.deps.dataKeys.find(tx, userHash);
        if (!dek) throw Errors.notFound('entity');
        const index = nameIndexer(dek)(key);
        const entityId = (await repo.findAliases(tx, userHash, [index])).get(index.toString('hex'));
        const row = entityId ? await repo.entity(tx, userHash, entityId) : undefined;
        if (!row) throw Errors.notFound('entity');
        const openName = (id: string, ct: Uint8Array) => open(dek, ct, fieldAad(userHash, 'entities', id, 'name')).toString('utf8');
        const rels = await repo.relationshipsOf(tx, userHash, row.id, EntityLimits.relationshipsMax);
        const memories = await repo.memoriesOf(tx, userHash, row.id, EntityLimits.memoriesMax);
        return {
          entity: { name: openName(row.id, row.name_ciphertext), type: row.type as EntityType, mentions: row.mentions },
          relationships: rels.map((r) => ({
            source: openName(r.sourceId, r.sourceName),
            predicate: open(dek, r.predicate, fieldAad(userHash, 'entity_relationships', r.id, 'predicate')).toString('utf8'),
            target: openName(r.targetId, r.targetName),
            evidence: open(dek, r.evidence, fieldAad(userHash, 'entity_relationships', r.id, 'evidence')).toString('utf8'),
            memoryId: r.memoryId,
            chunkId: r.chunkId,
          })),
          memories: memories.map((m) => ({
            memoryId: m.id,
            chunkIds: m.chunkIds,
            text: open(dek, m.textCiphertext, fieldAad(userHash, 'memories', m.id, 'text')).toString('utf8'),
            createdAt: m.createdAt,
          })),
        };
      });
    });
  }

  /** The most mentioned entities and the relationships among them (graph.ts). */
  async graph(userId: string, limit: number = GraphLimits.entitiesDefault): Promise<UserGraph> {
    return this.measure('graph', () => readGraph(this.deps, userId, limit));
  }

  /** The chunks of the memories, decrypted. A memory that is not the user's is NOT_FOUND. */
  private async readChunks(userHash: string, memoryIds: string[]): Promise<Segment[]> {
    return this.deps.db.withTenant(userHash, async (tx) => {
      await lockTenant(tx, userHash, 'shared'); // wholly before or after an erase
      const chunks = await repo.chunksOf(tx, userHash, memoryIds);
      const found = new Set(chunks.map((c) => c.memoryId));
      if (memoryIds.some((id) => !found.has(id))) throw Errors.notFound('memory');
      const dek = await this.deps.dataKeys.find(tx, userHash);
      if (!dek) throw Errors.decryptFailed();
      return chunks.map((c) => ({
        text: openChunk(dek, { userHash, memoryId: c.memoryId, chunkId: c.id, ordinal: c.ordinal }, c.ciphertext),
        memoryId: c.memoryId,
        chunkId: c.id,
      }));
    });
  }

  /**
   * Writes an extraction into the graph in one transaction: each entity is matched to an existing
   * one through any of its names' blind indexes, or created; mentions are set per chunk; the
   * relationships read from these memories replace the ones read from them before.
   */
  private async persist(userHash: string, extraction: Extraction, memoryIds: string[]): Promise<void> {
    try {
      await this.deps.db.withTenant(userHash, async (tx) => {
        const dek = await this.deps.dataKeys.getOrCreate(tx, userHash);
        const index = nameIndexer(dek);
        const indexed = extraction.entities.map((e) => ({ entity: e, indexes: e.keys.map((k) => index(k)) }));
        const known = await repo.findAliases(tx, userHash, indexed.flatMap((e) => e.indexes));
        const idByKey = new Map<string, string>();
        const created = [];
        const aliases = [];
        const mentions: MentionInsert[] = [];
        for (const { entity, indexes } of indexed) {
          let id = indexes.map((i) => known.get(i.toString('hex'))).find(Boolean);
          if (!id) {
            id = randomUUID();
            created.push({ id, type: entity.type, nameCiphertext: seal(dek, entity.name, fieldAad(userHash, 'entities', id, 'name')) });
          }
          for (const i of indexes) aliases.push({ index: i, entityId: id });
          for (const k of entity.keys) idByKey.set(k, id);
          if (entity.origins.length === 0) {
            mentions.push({ id: randomUUID(), entityId: id, memoryId: null, chunkId: null, count: entity.mentions });
          }
          for (const o of entity.origins) {
            mentions.push({ id: randomUUID(), entityId: id, memoryId: o.memoryId!, chunkId: o.chunkId!, count: o.count });
          }
        }
        await repo.insertEntities(tx, userHash, created);
        await repo.insertAliases(tx, userHash, aliases);
        await repo.upsertMentions(tx, userHash, mentions);
        if (memoryIds.length > 0) await repo.deleteRelationshipsOf(tx, userHash, memoryIds);
        const rels: RelationshipInsert[] = [];
        for (const r of extraction.relationships) {
          const sourceId = idByKey.get(nameKey(r.source));
          const targetId = idByKey.get(nameKey(r.target));
          if (!sourceId || !targetId || sourceId === targetId) continue;
          const id = randomUUID();
          rels.push({
            id,
            sourceId,
            targetId,
            predicateCiphertext: seal(dek, r.predicate, fieldAad(userHash, 'entity_relationships', id, 'predicate')),
            evidenceCiphertext: seal(dek, r.evidence, fieldAad(userHash, 'entity_relationships', id, 'evidence')),
            memoryId: r.memoryId ?? null,
            chunkId: r.chunkId ?? null,
          });
        }
        await repo.insertRelationships(tx, userHash, rels);
      });
    } catch (err) {
      // A memory deleted between reading and persisting: its chunks are gone (foreign key).
      if ((err as { code?: string }).code === '23503') throw Errors.notFound('memory');
      throw err;
    }
  }

  private async measure<T>(operation: 'extract' | 'lookup' | 'ingest' | 'graph', fn: () => Promise<T>): Promise<T> {
    const { metrics } = this.deps;
    const started = performance.now();
    try {
      const result = await fn();
      metrics.entityOperations.inc({ operation, outcome: 'ok' });
      return result;
    } catch (err) {
      metrics.entityOperations.inc({ operation, outcome: 'error' });
      throw err;
    } finally {
      metrics.entityLatency.observe({ operation }, elapsedMs(started));
    }
  }
}
