import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { truncateText } from '../../src/memory/truncate.js';

const graphemes = (s: string) => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)].map((g) => g.segment);

describe('truncateText', () => {
  it('leaves short texts alone', () => {
    expect(truncateText('hello', 5)).toEqual({ text: 'hello', truncated: false });
    expect(truncateText('😀😀', 2)).toEqual({ text: '😀😀', truncated: false }); // 4 UTF-16 units, 2 code points
  });

  it('cuts to code points, never inside a grapheme cluster', () => {
    expect(truncateText('hello world', 5)).toEqual({ text: 'hello', truncated: true });
    // 👍🏽 is one cluster of two code points; e + combining acute is one cluster of two.
    expect(truncateText('ab👍🏽c', 3)).toEqual({ text: 'ab', truncated: true });
    expect(truncateText('ab👍🏽c', 4)).toEqual({ text: 'ab👍🏽', truncated: true });
    expect(truncateText('e\u0301e\u0301', 3)).toEqual({ text: 'e\u0301', truncated: true });
    // A family emoji (ZWJ sequence) is kept whole or left out.
    expect(truncateText('x👨‍👩‍👧', 3)).toEqual({ text: 'x', truncated: true });
  });

  it('always returns a prefix of whole clusters within the limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.integer({ min: 1, max: 60 }), (text, max) => {
        const { text: cut, truncated } = truncateText(text, max);
        expect(text.startsWith(cut)).toBe(true);
        expect([...cut].length).toBeLessThanOrEqual(max);
        expect(truncated).toBe(cut !== text);
        expect(graphemes(text).slice(0, graphemes(cut).length).join('')).toBe(cut);
      }),
    );
  });
});
