import { describe, expect, it } from 'vitest';
import { vectorLiteral } from '../../src/store/vector-literal.js';

describe('vectorLiteral', () => {
  it('names the same float4 as the full value, for every component, in fewer characters', () => {
    // Deterministic values across magnitudes, signs and the float4 edge cases pgvector stores.
    const values: number[] = [0, -0, 1, -1, 1e-38, -3.4e38, 0.1, 1 / 3, Math.PI];
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      values.push((seed / 2 ** 31 - 0.5) * 10 ** ((i % 9) - 4));
    }
    const literal = vectorLiteral(values);
    const parts = literal.slice(1, -1).split(',').map(Number);
    expect(parts).toHaveLength(values.length);
    // (=== : -0 is written as 0, the same float for cosine distance and for pgvector's equality.)
    parts.forEach((p, i) => expect(Math.fround(p) === Math.fround(values[i]!), `component ${i}: ${p} vs ${values[i]}`).toBe(true));
    expect(literal.length).toBeLessThan(`[${values.join(',')}]`.length * 0.8);
  });
});
