import { readFileSync } from 'node:fs';
import { extract } from './extract.js';
import { nameKey } from './normalize.js';
import { ENTITY_TYPES, type EntityType } from './types.js';

/**
 * Scores the extractor against a labelled set (test/fixtures/entities.jsonl): an entity counts
 * when its normalised name and its type both match a gold one in the same sentence.
 * Shared by `npm run bench:entities` and the unit test that holds the quality floor.
 */
export interface LabelledSentence {
  id: number;
  text: string;
  entities: Array<[string, EntityType]>;
}

export interface TypeScore {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

export function loadLabelled(path: string): LabelledSentence[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LabelledSentence);
}

export interface Scored {
  byType: Record<EntityType | 'all', TypeScore>;
  errors: Array<{ id: number; kind: 'fp' | 'fn'; name: string; type: EntityType }>;
}

export function score(sentences: LabelledSentence[]): Scored {
  const counts = Object.fromEntries([...ENTITY_TYPES, 'all'].map((t) => [t, { tp: 0, fp: 0, fn: 0 }])) as Record<
    EntityType | 'all',
    { tp: number; fp: number; fn: number }
  >;
  const errors: Scored['errors'] = [];
  for (const s of sentences) {
    const gold = new Set(s.entities.map(([n, t]) => `${t}|${nameKey(n)}`));
    const predicted = new Set(extract([{ text: s.text }]).entities.map((e) => `${e.type}|${nameKey(e.name)}`));
    for (const p of predicted) {
      const type = p.split('|')[0] as EntityType;
      const hit = gold.has(p);
      counts[type][hit ? 'tp' : 'fp']++;
      counts.all[hit ? 'tp' : 'fp']++;
      if (!hit) errors.push({ id: s.id, kind: 'fp', name: p.slice(type.length + 1), type });
    }
    for (const g of gold) {
      if (predicted.has(g)) continue;
      const type = g.split('|')[0] as EntityType;
      counts[type].fn++;
      counts.all.fn++;
      errors.push({ id: s.id, kind: 'fn', name: g.slice(type.length + 1), type });
    }
  }
  const byType = Object.fromEntries(
    Object.entries(counts).map(([t, c]) => {
      const precision = c.tp + c.fp ? c.tp / (c.tp + c.fp) : 0;
      const recall = c.tp + c.fn ? c.tp / (c.tp + c.fn) : 0;
      const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
      return [t, { ...c, precision, recall, f1 }];
    }),
  ) as Scored['byType'];
  return { byType, errors };
}
