import { describe, expect, it } from 'vitest';
import { MULTILINGUAL } from '../../fixtures/multilingual.js';
import { queryTerms, terms } from '../../../src/search/keyword/terms.js';
import { EVERYDAY_MEMORIES } from '../../fixtures/everyday.js';

/**
 * The multilingual fixture (test/integration/multilingual.test.ts) as the keyword terms see it: every
 * query has terms, its own memory holds them (for a Korean word with its particle, 김치찌개를, the
 * pairs of letters but not the query's whole word) and no other memory holds any, so the query's memory
 * is the one keyword match. 8 languages or more, 60 pairs or more.
 */
describe('multilingual fixture', () => {
  it('has 60 pairs or more across 8 languages or more', () => {
    expect(MULTILINGUAL.length).toBeGreaterThanOrEqual(60);
    expect(new Set(MULTILINGUAL.map((p) => p.lang)).size).toBeGreaterThanOrEqual(8);
  });

  it.each(MULTILINGUAL.map((p) => [p.lang, p.query, p.memory] as const))('%s: %s matches its memory and no other', (_lang, query, memory) => {
    const q = queryTerms(query);
    expect(q.length).toBeGreaterThan(0);
    const own = new Set(terms(memory));
    const missing = q.filter((t) => !own.has(t));
    expect(missing.length, `query terms missing from the memory: ${missing.join(' ')}`).toBeLessThanOrEqual(q.length > 2 ? 1 : 0);
    for (const other of [...MULTILINGUAL.map((p) => p.memory), ...EVERYDAY_MEMORIES]) {
      if (other === memory) continue;
      const theirs = new Set(terms(other));
      expect(q.filter((t) => theirs.has(t)), `shared with: ${other}`).toEqual([]);
    }
  });
});
