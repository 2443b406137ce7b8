import { describe, expect, it } from 'vitest';
import { chunkText } from '../../src/memory/chunker.js';

describe('chunkText', () => {
  it('keeps short text whole', () => {
    expect(chunkText('Hello there. How are you?')).toEqual(['Hello there. How are you?']);
  });

  it('splits long text only between sentences, never exceeding the limit', () => {
    const sentences = Array.from({ length: 40 }, (_, i) => `This is sentence ${i} and it has a few words.`);
    const chunks = chunkText(sentences.join(' '), { maxChars: 200 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(200);
      expect(chunk).toMatch(/^This is sentence \d+/);
      expect(chunk.endsWith('words.')).toBe(true);
    }
    expect(chunks.join(' ')).toBe(sentences.join(' '));
  });

  it('does not split at abbreviations or decimals', () => {
    const text = 'Dr. Smith paid 3.5 dollars. Then he left.';
    expect(chunkText(text, { maxChars: 30 })).toEqual(['Dr. Smith paid 3.5 dollars.', 'Then he left.']);
  });

  it('splits an over-long sentence at words, and an over-long word by force', () => {
    const words = Array.from({ length: 50 }, (_, i) => `word${i}`).join(' ');
    const chunks = chunkText(words, { maxChars: 40 });
    expect(chunks.every((c) => c.length <= 40)).toBe(true);
    expect(chunks.join(' ')).toBe(words);
    const giant = 'x'.repeat(95);
    expect(chunkText(giant, { maxChars: 40 })).toEqual(['x'.repeat(40), 'x'.repeat(40), 'x'.repeat(15)]);
  });

  it('returns nothing for blank text', () => {
    expect(chunkText('  \n\t ')).toEqual([]);
  });
});

describe('chunkText never cuts a character in half', () => {
  const clusters = {
    emoji: '😀',
    'ZWJ family': '👨‍👩‍👧‍👦',
    'skin tone': '👍🏽',
    flag: '🇫🇷',
    'combining marks': 'e\u0301\u0323',
    'keycap': '1\uFE0F\u20E3',
    'Hangul jamo': '\u1100\u1161\u11A8',
  };
  const graphemes = (s: string) => [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(s)].map((g) => g.segment);

  const expectWhole = (text: string, chunks: string[], maxChars: number) => {
    for (const chunk of chunks) {
      expect(chunk, 'no lone surrogate').not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      expect(Buffer.from(chunk, 'utf8').toString('utf8')).not.toContain('\uFFFD');
      // Over the limit only when the chunk is one cluster that is itself longer.
      if (chunk.length > maxChars) expect(graphemes(chunk)).toHaveLength(1);
    }
    // Every cut is between clusters: the chunks' clusters are exactly the text's clusters.
    const words = (s: string[]) => s.filter((g) => !/^\s+$/.test(g));
    expect(words(chunks.flatMap(graphemes))).toEqual(words(graphemes(text)));
  };

  for (const [name, cluster] of Object.entries(clusters)) {
    it(`${name}: at every cut position, a word without spaces round-trips by concatenation`, () => {
      for (let maxChars = 2; maxChars <= 14; maxChars++) {
        for (let offset = 0; offset <= maxChars + 1; offset++) {
          const text = `${'a'.repeat(offset)}${cluster}b${cluster}${cluster}${'c'.repeat(maxChars)}${cluster}`;
          const chunks = chunkText(text, { maxChars });
          expect(chunks.join(''), `maxChars ${maxChars}, offset ${offset}`).toBe(text);
          expectWhole(text, chunks, maxChars);
        }
      }
    });

    it(`${name}: between words, the chunks hold every character of the text, in order`, () => {
      for (let maxChars = 3; maxChars <= 12; maxChars++) {
        for (let offset = 0; offset <= maxChars; offset++) {
          const text = `${'x'.repeat(offset)} ${cluster}${cluster} y${cluster} ${cluster}${'z'.repeat(maxChars)}`;
          const chunks = chunkText(text, { maxChars });
          const noSpace = (s: string) => s.replace(/\s+/g, '');
          expect(noSpace(chunks.join(''))).toBe(noSpace(text));
          expectWhole(text, chunks, maxChars);
        }
      }
    });
  }

  it('a space carrying a combining mark is not trimmed away from its mark', () => {
    const text = 'Note. \u0301accent here.';
    const chunks = chunkText(text, { maxChars: 8 });
    expectWhole(text, chunks, 8);
    expect(chunks.join(' ')).toContain(' \u0301');
  });

  it('the 800-character default keeps a long emoji text intact', () => {
    const text = '👨‍👩‍👧‍👦'.repeat(400);
    const chunks = chunkText(text);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe(text);
    expectWhole(text, chunks, 800);
  });
});
