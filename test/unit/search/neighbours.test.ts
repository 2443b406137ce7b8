import { describe, expect, it } from 'vitest';
import { neighboursByPlace } from '../../../src/store/vector-search.js';

describe('neighboursByPlace', () => {
  it('pairs the rows at most `span` places apart in the timeline, counting rows that were not fetched', () => {
    // Places 1, 2, 4, 7, 8: the chunks at 3, 5 and 6 exist but are not among the rows.
    const rows = [
      { id: 'd', place: 7 },
      { id: 'a', place: 1 },
      { id: 'c', place: 4 },
      { id: 'b', place: 2 },
      { id: 'e', place: 8 },
    ];
    const n = neighboursByPlace(rows, 2);
    const sorted = (id: string) => [...(n.get(id) ?? [])].sort();
    expect(sorted('a')).toEqual(['b']);
    expect(sorted('b')).toEqual(['a', 'c']);
    expect(sorted('c')).toEqual(['b']);
    expect(sorted('d')).toEqual(['e']);
    expect(sorted('e')).toEqual(['d']);
    expect([...n.keys()].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('widens with the span and is empty for a lone row', () => {
    const rows = [
      { id: 'a', place: 10 },
      { id: 'b', place: 13 },
    ];
    expect(neighboursByPlace(rows, 2).get('a')).toEqual([]);
    expect(neighboursByPlace(rows, 3).get('a')).toEqual(['b']);
    expect(neighboursByPlace([{ id: 'x', place: 1 }], 2).get('x')).toEqual([]);
  });
});
