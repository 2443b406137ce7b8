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
