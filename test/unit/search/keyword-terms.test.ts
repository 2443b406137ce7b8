import { describe, expect, it } from 'vitest';
import { blindDoc, blindQuery, blindTerm, keywordKey } from '../../../src/search/keyword/blind-terms.js';
import { queryTerms, termFrequencies, terms } from '../../../src/search/keyword/terms.js';

describe('terms', () => {
  it('lower-cases, drops English stop words, possessives and contractions, stems', () => {
    expect(terms("Caroline's friends were painting the sunsets")).toEqual(['carolin', 'friend', 'paint', 'sunset']);
    expect(terms("I don't know, it's fine")).toEqual(['don', 'know', 'fine']);
  });
  it('keeps numbers and non-Latin words, drops single Latin letters and overlong tokens', () => {
    expect(terms(`In 2023 I met Zoë in Kraków: a ${'x'.repeat(41)} b 7`)).toEqual(['2023', 'met', 'zoe', 'krakow', '7']);
  });
  it('folds case the Unicode way: ß is ss, final sigma is sigma', () => {
    expect(terms('STRASSE')).toEqual(terms('straße'));
    expect(terms('ΟΔΟΣ')).toEqual(terms('οδός'));
    expect(terms('ΟΔΟΣ')).toEqual(['οδοσ']);
  });
  it('matches without accents, in Latin, Greek and Cyrillic, and maps ø, ł and æ', () => {
    expect(terms('Zoë São Paulo café')).toEqual(terms('zoe sao paulo cafe'));
    expect(terms('Cafe\u0301')).toEqual(terms('café'));
    expect(terms('ёлка')).toEqual(terms('елка'));
    expect(terms('Søren Łódź Æsir')).toEqual(['soren', 'lodz', 'aesir']);
  });
  it('keeps apostrophes inside names as one term, plus its parts', () => {
    expect(terms("O'Brien")).toEqual(["o'brien", 'brien']);
    expect(terms('D’Souza')).toEqual(terms("D'Souza"));
    expect(terms("l'hôtel")).toEqual(["l'hotel", 'hotel']);
  });
  it('keeps hyphenated names as one term, plus its parts', () => {
    expect(terms('Jean-Luc')).toEqual(['jean-luc', 'jean', 'luc']);
    expect(terms('Jean - Luc')).toEqual(['jean', 'luc']);
  });
  it('segments scripts written without spaces into words (Intl.Segmenter)', () => {
    expect(terms('东京和北京')).toEqual(expect.arrayContaining(['北京']));
    expect(terms('สวัสดีครับ ผมชื่อสมชาย')).toEqual(expect.arrayContaining(['สวัสดี', 'ครับ']));
    expect(terms('東京に住んでいます')).toContain('東京');
  });
  it('indexes Han, kana and Hangul words by their pairs as well', () => {
    expect(terms('東京都')).toContain('東京');
    expect(terms('서울에 살아요')).toContain('서울');
  });
  it('makes emoji terms, without variation selectors', () => {
    expect(terms('sushi 🍣 tonight ❤️')).toEqual(['sushi', '🍣', 'tonight', '❤']);
    expect(terms('🇯🇵')).toEqual(['🇯🇵']);
  });
  it('stops and stems English words only', () => {
    expect(terms('книги и журналы')).toEqual(['книги', 'и', 'журналы']);
    expect(terms('painted paintings')).toEqual(['paint', 'paint']);
  });
  it('reads digit groups as one number', () => {
    expect(terms('1,000 and 1000')).toEqual(['1000', '1000']);
  });
  it('never leaves a query of stop words without terms', () => {
    expect(queryTerms('The Who?')).toEqual(['the', 'who']);
    expect(queryTerms('Who is Zoë?')).toEqual(['zoe']);
    expect(queryTerms('dogs dog')).toEqual(['dog']);
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
