/**
 * Splits text into chunks of whole sentences, each at most `maxChars` UTF-16 code units long.
 * Sentences come from Intl.Segmenter (ICU's sentence rules, so "Dr. Smith" and "3.5" don't split);
 * a sentence longer than a chunk is split at word boundaries, and a word longer than a chunk is cut
 * between grapheme clusters: never inside a surrogate pair, an emoji ZWJ sequence, a flag or a
 * letter with its combining marks (one cluster longer than a chunk stays whole, over the limit).
 */
export interface ChunkOptions {
  maxChars?: number;
  locale?: string;
}

const DEFAULT_MAX_CHARS = 800;
const WHITESPACE = /^\s+$/;

export function chunkText(text: string, options: ChunkOptions = {}): string[] {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const locale = options.locale ?? 'en';
  const graphemes = new Intl.Segmenter(locale, { granularity: 'grapheme' });
  const sentences = [...new Intl.Segmenter(locale, { granularity: 'sentence' }).segment(text)]
    .map((s) => trimClusters(s.segment, graphemes))
    .filter(Boolean);
  const chunks: string[] = [];
  let current = '';
  const flush = () => {
    if (current) chunks.push(current);
    current = '';
  };
  for (const sentence of sentences.flatMap((s) => (s.length > maxChars ? splitLong(s, maxChars, graphemes) : [s]))) {
    if (current && current.length + 1 + sentence.length > maxChars) flush();
    current = current ? `${current} ${sentence}` : sentence;
  }
  flush();
  return chunks;
}

const clustersOf = (s: string, graphemes: Intl.Segmenter) => [...graphemes.segment(s)].map((g) => g.segment);

/** Like trim(), but a space that carries a combining mark is a cluster of its own and stays. */
function trimClusters(s: string, graphemes: Intl.Segmenter): string {
  const trimmed = s.trim();
  if (trimmed === s || !/\p{M}|\u200D/u.test(s)) return trimmed;
  const clusters = clustersOf(s, graphemes);
  const first = clusters.findIndex((c) => !WHITESPACE.test(c));
  if (first < 0) return '';
  const last = clusters.findLastIndex((c) => !WHITESPACE.test(c));
  return clusters.slice(first, last + 1).join('');
}

function splitLong(sentence: string, maxChars: number, graphemes: Intl.Segmenter): string[] {
  // Words are runs of clusters that are not whitespace.
  const words: string[][] = [[]];
  for (const cluster of clustersOf(sentence, graphemes)) {
    if (WHITESPACE.test(cluster)) {
      if (words.at(-1)!.length) words.push([]);
    } else words.at(-1)!.push(cluster);
  }
  const pieces: string[] = [];
  let current = '';
  for (const word of words.filter((w) => w.length)) {
    for (const part of cutWord(word, maxChars)) {
      if (current && current.length + 1 + part.length > maxChars) {
        pieces.push(current);
        current = '';
      }
      current = current ? `${current} ${part}` : part;
    }
  }
  if (current) pieces.push(current);
  return pieces;
}

/** A word as parts of at most maxChars, cut only between clusters. */
function cutWord(clusters: string[], maxChars: number): string[] {
  const parts: string[] = [];
  let part = '';
  for (const cluster of clusters) {
    if (part && part.length + cluster.length > maxChars) {
      parts.push(part);
      part = '';
    }
    part += cluster;
  }
  if (part) parts.push(part);
  return parts;
}
