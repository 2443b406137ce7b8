import { containsWord, fold } from './keyword/words.js';

/**
 * Who said a memory, when its text says so: a transcript turn stored as "<Name>: <what they said>"
 * (how chat applications and importers commonly write turns, and how the LoCoMo benchmark stores them).
 * The label is one to three capitalised words before the first colon, at most 40 characters; "user:"
 * and "Note: …" style labels of one lowercase word do not count, nor do times ("10:30").
 */
const LABEL = /^\s*((?:[\p{Lu}\p{Lo}][\p{L}\p{M}'’.-]*)(?: [\p{Lu}\p{Lo}][\p{L}\p{M}'’.-]*){0,2}):\s/u;
const MAX_LABEL = 40;

/** The speaker's name, folded (words.ts), or undefined when the text has no speaker label. */
export function speakerOf(text: string): string | undefined {
  const m = LABEL.exec(text);
  if (!m || m[1]!.length > MAX_LABEL) return undefined;
  return fold(m[1]!);
}

/**
 * Whether the folded query names `speaker` as a whole word ("What does Melanie like?", "Melanie's
 * kids"): not inside a longer word.
 */
export function namesSpeaker(foldedQuery: string, speaker: string): boolean {
  return containsWord(foldedQuery, speaker);
}
