import type { Queryable } from '../../store/database.js';
import { keywordRepository } from '../../store/keyword-repository.js';
import { blindDoc, keywordKey } from './blind-terms.js';

export interface IndexableChunk {
  id: string;
  text: string;
}

/**
 * Writes chunks into the blind keyword index, inside the caller's tenant transaction (after the
 * chunks themselves). A no-op when the index is turned off (KEYWORD_INDEX_ENABLED=false).
 */
export class KeywordIndex {
  constructor(readonly enabled: boolean) {}

  async write(tx: Queryable, userHash: string, dek: Buffer, chunks: readonly IndexableChunk[]): Promise<void> {
    if (!this.enabled || chunks.length === 0) return;
    const key = keywordKey(dek);
    const docs = chunks.map((c) => {
      const doc = blindDoc(key, c.text);
      return { chunkId: c.id, length: doc.length, tf: doc.tf };
    });
    await keywordRepository.insert(tx, userHash, docs);
  }
}
