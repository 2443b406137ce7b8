/**
 * Splits text into chunks of whole sentences, each at most `maxChars` long. Sentences come from
 * Intl.Segmenter (ICU's sentence rules, so "Dr. Smith" and "3.5" don't split); a sentence longer
 * than a chunk is split at word boundaries, and a word longer than a chunk is cut.
 */
export interface ChunkOptions {
  maxChars?: number;
  locale?: string;
}

const DEFAULT_MAX_CHARS = 800;

export function chunkText(text: string, options: ChunkOptions = {}): string[] {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const sentences = [...new Intl.Segmenter(options.locale ?? 'en', { granularity: 'sentence' }).segment(text)]
    .map((s) => s.segment.trim())
    .filter(Boolean);
  const chunks: string[] = [];
  let current = '';
  const flush = () => {
    if (current) chunks.push(current);
    current = '';
  };
  for (const sentence of sentences.flatMap((s) => (s.length > maxChars ? splitLong(s, maxChars) : [s]))) {
    if (current && current.length + 1 + sentence.length > maxChars) flush();
    current = current ? `${current} ${sentence}` : sentence;
  }
  flush();
  return chunks;
}

function splitLong(sentence: string, maxChars: number): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const word of sentence.split(/\s+/)) {
    for (let i = 0; i < word.length; i += maxChars) {
      const part = word.slice(i, i + maxChars);
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
