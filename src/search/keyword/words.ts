/**
 * Text → words, in every script: the segmentation and folding that the keyword terms (terms.ts) and the
 * offline reranker share. No language rules here (stop words and stems are English's, in terms.ts).
 *
 * - Words come from `Intl.Segmenter` word segmentation (ICU): dictionary-based for Chinese, Japanese,
 *   Thai, Khmer, Lao and Burmese, which write without spaces.
 * - Apostrophes inside a word stay in it ("O'Brien", "l'hôtel"; ’ is read as '), and words joined by a
 *   hyphen with nothing between them are one word ("Jean-Luc"); terms.ts also indexes their parts.
 * - Emoji and flags are words of their own (without variation selectors); other symbols and
 *   punctuation are not.
 * - Folding: NFKC, lower case, ß → ss, final ς → σ, accents removed from Latin, Greek and Cyrillic
 *   letters (é → e, ё → е; Japanese voicing marks and Indic vowel signs are kept) and the Latin
 *   letters without a decomposition (ø, ł, đ, ı, æ, œ) mapped to plain ones: "Zoë" and "zoe" are one word.
 */
export interface Word {
  /** The folded word (apostrophes and joining hyphens kept). */
  text: string;
  /** 'cjk': Han, kana or Hangul letters, which also index by overlapping pairs (terms.ts). */
  kind: 'word' | 'cjk' | 'emoji';
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'word' });

const APOSTROPHE = /[’ʼ＇]/gu;
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;
/** Combining diacritical marks (the blocks that Latin, Greek and Cyrillic use), after NFD. */
const DIACRITIC_BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [0x0300, 0x036f],
  [0x1ab0, 0x1aff],
  [0x1dc0, 0x1dff],
  [0x20d0, 0x20ff],
  [0xfe20, 0xfe2f],
];
const isDiacritic = (mark: string) => {
  const c = mark.codePointAt(0)!;
  return DIACRITIC_BLOCKS.some(([from, to]) => c >= from && c <= to);
};
const PLAIN: Record<string, string> = { ø: 'o', ł: 'l', đ: 'd', ħ: 'h', ı: 'i', æ: 'ae', œ: 'oe', ß: 'ss', ς: 'σ', þ: 'th' };
const UNPLAIN = new RegExp(`[${Object.keys(PLAIN).join('')}]`, 'gu');

/** Case- and accent-insensitive form of a text (see the module comment). */
export function fold(text: string): string {
  // Plain ASCII has no accents, ligatures or special cases: lower case is all (most texts, fast).
  if (ASCII.test(text)) return text.toLowerCase();
  return text
    .replace(APOSTROPHE, "'")
    .normalize('NFKC')
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, (mark) => (isDiacritic(mark) ? '' : mark))
    .normalize('NFC')
    .replace(UNPLAIN, (c) => PLAIN[c]!);
}

const HYPHEN = /^[-‐‑]$/u;
const PICTOGRAPH = /[\p{Extended_Pictographic}\p{Regional_Indicator}]/u;
const NOT_IN_EMOJI = /[\ufe0e\ufe0f]/gu;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
/** A digit group separator between digits: "1,000" is the number 1000. */
const DIGIT_GROUP = /(?<=\p{N}),(?=\p{N}{3})/gu;

/** The words of a text, in order. */
export function words(text: string): Word[] {
  const out: Word[] = [];
  // A word and what joined it to the one before (a hyphen with no space), while a compound is being read.
  let pending: string[] = [];
  let joinable = false;
  const flush = () => {
    if (pending.length === 0) return;
    out.push(wordOf(pending));
    pending = [];
  };
  for (const seg of segmenter.segment(text)) {
    const s = seg.segment;
    if (seg.isWordLike) {
      if (!joinable) flush();
      pending.push(s);
      joinable = false;
      continue;
    }
    if (HYPHEN.test(s) && pending.length > 0 && !joinable) {
      joinable = true;
      continue;
    }
    flush();
    joinable = false;
    if (PICTOGRAPH.test(s)) {
      const emoji = s.replace(NOT_IN_EMOJI, '');
      if (emoji) out.push({ text: emoji, kind: 'emoji' });
    }
  }
  flush();
  return out;
}

/** One word from its hyphen-joined pieces. */
function wordOf(pieces: string[]): Word {
  const text = pieces.map((p) => fold(p).replace(DIGIT_GROUP, '')).join('-');
  return { text, kind: CJK.test(text) ? 'cjk' : 'word' };
}

const WHOLE_WORD_CHAR = /^[\p{L}\p{N}]$/u;

/**
 * Whether `word` occurs in `hay` as a whole word: not preceded or followed by a letter or digit. A search for the few wanted words instead of
 * splitting every candidate into words: the Unicode word regex over 30 texts cost about 0.4 ms a query.
 */
export function containsWord(hay: string, word: string): boolean {
  for (let at = hay.indexOf(word); at !== -1; at = hay.indexOf(word, at + 1)) {
    const end = at + word.length;
    const after = hay.codePointAt(end);
    if (after !== undefined && WHOLE_WORD_CHAR.test(String.fromCodePoint(after))) continue;
    if (at > 0) {
      // The code point ending just before `at` (a low surrogate belongs to the pair before it).
      const low = hay.charCodeAt(at - 1);
      const before = low >= 0xdc00 && low <= 0xdfff && at > 1 ? hay.codePointAt(at - 2)! : low;
      if (WHOLE_WORD_CHAR.test(String.fromCodePoint(before))) continue;
    }
    return true;
  }
  return false;
}
