import { describe, expect, it } from 'vitest';
import { vectorBinary, vectorLiteral, vectorParam } from '../../src/store/vector-literal.js';

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

describe('vectorParam', () => {
  it('binds pgvector\'s binary form for pg (dimensions, then big-endian float4s) and the literal as text', () => {
    const values = [0.1, -2.5, 1 / 3, 1e-38, -0, 3.4e38];
    const param = vectorParam(values);
    const bin = param.toPostgres();
    expect(bin.length).toBe(4 + 4 * values.length);
    expect(bin.readInt16BE(0)).toBe(values.length);
    expect(bin.readInt16BE(2)).toBe(0);
    values.forEach((v, i) => expect(Object.is(bin.readFloatBE(4 + 4 * i), Math.fround(v))).toBe(true));
    expect(String(param)).toBe(vectorLiteral(values));
    expect(vectorBinary(values).equals(bin)).toBe(true);
  });
});
