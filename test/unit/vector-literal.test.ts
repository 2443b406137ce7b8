import { describe, expect, it } from 'vitest';
import { cosineQueryLiteral, cosineQueryParam, vectorBinary, vectorLiteral, vectorParam } from '../../src/store/vector-literal.js';

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

describe('cosineQueryLiteral', () => {
  const cosine = (a: readonly number[], b: readonly number[]) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < a.length; i++) {
      dot += a[i]! * b[i]!;
      na += a[i]! ** 2;
      nb += b[i]! ** 2;
    }
    return dot / Math.sqrt(na * nb);
  };

  it('writes integers that are exact float4s and keep every cosine within 1e-7', () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.12;
    for (let round = 0; round < 20; round++) {
      const q = Array.from({ length: 512 }, rand).map(Math.fround);
      // Components far apart in size, as embeddings have: some tiny ones.
      for (let i = 0; i < 512; i += 37) q[i] = q[i]! * 1e-3;
      const parts = cosineQueryLiteral(q).slice(1, -1).split(',').map(Number);
      expect(parts).toHaveLength(512);
      expect(parts.every((p) => Number.isInteger(p) && Math.abs(p) <= 2 ** 24 - 1 && Math.fround(p) === p)).toBe(true);
      expect(Math.max(...parts.map(Math.abs))).toBe(2 ** 24 - 1);
      for (let j = 0; j < 5; j++) {
        const doc = Array.from({ length: 512 }, rand).map(Math.fround);
        expect(Math.abs(cosine(parts, doc) - cosine(q, doc))).toBeLessThan(1e-7);
      }
    }
  });

  it('falls back to the float literal for a zero vector, and the param binds exact float4s for pg', () => {
    expect(cosineQueryLiteral([0, 0, 0])).toBe(vectorLiteral([0, 0, 0]));
    const param = cosineQueryParam([0.5, -0.25]);
    expect(String(param)).toBe("[16777215,-8388607]"); // -0.25 · (2^24 − 1) / 0.5 = −8388607.5, rounded up
    expect(param.toPostgres().equals(vectorBinary([0.5, -0.25]))).toBe(true);
  });
});
