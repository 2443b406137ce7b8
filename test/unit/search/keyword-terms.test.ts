import { describe, expect, it } from 'vitest';
import { blindDoc, blindQuery, blindTerm, keywordKey } from '../../../src/search/keyword/blind-terms.js';
import { termFrequencies, terms } from '../../../src/search/keyword/terms.js';

describe('terms', () => {
  it('lower-cases, drops stop words and possessives, stems', () => {
    expect(terms("Caroline's friends were painting the sunsets")).toEqual(['carolin', 'friend', 'paint', 'sunset']);
  });
  it('keeps numbers and non-Latin words, drops single letters and overlong tokens', () => {
    expect(terms(`In 2023 I met Zoë in Kraków: a ${'x'.repeat(41)} b`)).toEqual(['2023', 'met', 'zoë', 'kraków']);
  });
  it('counts term frequencies', () => {
    expect(termFrequencies(terms('dogs dog DOG cat'))).toEqual(new Map([['dog', 3], ['cat', 1]]));
  });
});

describe('blind terms', () => {
  const keyA = keywordKey(Buffer.alloc(32, 1));
  const keyB = keywordKey(Buffer.alloc(32, 2));

  it('are signed 64-bit integers, deterministic per key, different across users', () => {
    const a = blindTerm(keyA, 'ledgerli');
    expect(BigInt(a)).toBeGreaterThanOrEqual(-(2n ** 63n));
    expect(BigInt(a)).toBeLessThan(2n ** 63n);
    expect(blindTerm(keyA, 'ledgerli')).toBe(a);
    expect(blindTerm(keyB, 'ledgerli')).not.toBe(a);
  });
  it('the keyword key is not the data key and differs per data key', () => {
    expect(keyA.equals(Buffer.alloc(32, 1))).toBe(false);
    expect(keyA.equals(keyB)).toBe(false);
  });
  it('a document and a query meet on the same keyed stems, and no word survives', () => {
    const doc = blindDoc(keyA, 'I switched our budget to Ledgerly budgets');
    expect(doc.length).toBe(4); // switch budget ledgerli budget
    expect(doc.tf.get(blindTerm(keyA, 'budget'))).toBe(2);
    const [q] = blindQuery(keyA, 'ledgerly?');
    expect(doc.tf.has(q!)).toBe(true);
    expect([...doc.tf.keys()].join(' ')).not.toMatch(/[a-z]/i);
  });
});
