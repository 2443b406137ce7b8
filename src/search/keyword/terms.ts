import { stemmer } from 'stemmer';
import { eng } from 'stopword';
import { words, type Word } from './words.js';

/**
 * Text → index terms, the one normalisation the keyword index uses on documents and queries
 * (docs/ARCHITECTURE.md, "Keyword terms"). Words come from words.ts (every script, folded); then:
 * - English rules only for words of plain Latin letters (after folding), the one language known today:
 *   English stop words (`stopword`) dropped, Porter stems (`stemmer`), possessives and contractions
 *   cut ("Caroline's" → carolin, "don't" → don); single letters dropped. Other scripts are neither
 *   stopped nor stemmed: a Russian "и" is a term, as a Chinese 猫 is.
 * - A word joined by apostrophes or hyphens ("o'brien", "jean-luc", "l'hotel") is a term itself and
 *   so is each of its parts, under the rules above ("brien", "jean", "luc", "hotel").
 * - Han, kana and Hangul words are terms and, when longer than two letters, so are their overlapping
 *   pairs: ICU may cut 東京都 as one word and 東京 as another, 서울에 holds 서울 with its particle.
 * - Emoji are terms.
 * A query keeps its stop words when they are all it has ("who?"): see queryTerms.
 */
/** `stopword`'s English list lacks some question words and pronouns that questions are full of. */
const MORE_STOP_WORDS = ['when', 'why', 'whom', 'whose', 'she', 'hers', 'herself', 'its', 'itself', 'us', 'ours', 'ourselves', 'yours', 'yourself', 'yourselves', 'theirs', 'themselves', 'does', 'doing'];
/**
 * The version of these rules. A user's keyword index records the version that built it
 * (user_keys.keyword_terms); `engram reindex` rebuilds older ones, and `engram verify` fails while any
 * is behind. Raise it with every change that makes a word give other terms, with a migration that
 * sets the column's default to it.
 */
export const KEYWORD_TERMS_VERSION = 2;

const STOP_WORDS = new Set<string>([...eng, ...MORE_STOP_WORDS]);
/** Longer "words" are base64, hashes and the like: not worth a term each. */
const MAX_WORD_CHARS = 40;
const ENGLISH = /^[a-z]+$/;
const DIGIT = /\p{N}/u;
/** English endings after an apostrophe that make a possessive or a contraction, not a name. */
const CLITIC = /'(s|m|re|ve|ll|d|t)$/;

/** Each term of the text, with whether it is an English stop word (those are left out of `terms`). */
function* scan(text: string): Generator<{ term: string; stop: boolean }> {
  for (const word of words(text)) yield* termsOf(word);
}

function* termsOf(word: Word): Generator<{ term: string; stop: boolean }> {
  if (word.kind === 'emoji') {
    yield { term: word.text, stop: false };
    return;
  }
  let text = word.text;
  if (text.length > MAX_WORD_CHARS) return;
  const clitic = CLITIC.exec(text);
  if (clitic && ENGLISH.test(text.slice(0, clitic.index).replace(/['-]/g, ''))) text = text.slice(0, clitic.index);
  const pieces = text.split(/['-]/).filter((p) => p.length > 0);
  if (pieces.length > 1) yield { term: text, stop: false };
  for (const piece of pieces) yield* simple(piece, word.kind === 'cjk');
}

function* simple(word: string, cjk: boolean): Generator<{ term: string; stop: boolean }> {
  if (ENGLISH.test(word)) {
    if (STOP_WORDS.has(word)) yield { term: word, stop: true };
    else if (word.length >= 2) yield { term: stemmer(word), stop: false };
    return;
  }
  const letters = [...word];
  if (letters.length < 2 && !cjk && !DIGIT.test(word) && /\p{Script=Latin}/u.test(word)) return;
  yield { term: word, stop: false };
  if (!cjk || letters.length <= 2) return;
  for (let i = 0; i + 1 < letters.length; i++) yield { term: letters[i]! + letters[i + 1]!, stop: false };
}

/** A document's terms, in order (repeats kept: they are the term frequencies). */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const t of scan(text)) if (!t.stop) out.push(t.term);
  return out;
}

/**
 * A query's distinct terms: as `terms`, except that a query made only of stop words keeps them, so
 * that no query is left without a term ("The Who" → the, who).
 */
export function queryTerms(text: string): string[] {
  const all = [...scan(text)];
  const kept = all.filter((t) => !t.stop);
  return [...new Set((kept.length > 0 ? kept : all).map((t) => t.term))];
}

/** Whether a folded word is an English stop word (the offline reranker skips them). */
export function isStopWord(folded: string): boolean {
  return STOP_WORDS.has(folded);
}

/** Term → how often it occurs. */
export function termFrequencies(list: readonly string[]): Map<string, number> {
  const tf = new Map<string, number>();
  for (const t of list) tf.set(t, (tf.get(t) ?? 0) + 1);
  return tf;
}
