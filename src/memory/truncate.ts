/**
 * Cuts a text to at most `maxChars` characters (Unicode code points) for lighter list pages, never
 * inside a grapheme cluster (an emoji with its modifiers, a letter with its combining marks): a
 * cluster that would not fit whole is left out, so the result may be a little shorter.
 */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function truncateText(text: string, maxChars: number): { text: string; truncated: boolean } {
  // At most maxChars UTF-16 units is at most maxChars code points: nothing to cut.
  if (text.length <= maxChars) return { text, truncated: false };
  let chars = 0;
  let end = 0;
  for (const { segment, index } of graphemes.segment(text)) {
    let n = 0;
    for (const _ of segment) n++;
    if (chars + n > maxChars) return { text: text.slice(0, index), truncated: true };
    chars += n;
    end = index + segment.length;
  }
  return { text: text.slice(0, end), truncated: false };
}
