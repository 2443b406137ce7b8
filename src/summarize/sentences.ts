import { split, SentenceSplitterSyntax } from 'sentence-splitter';
import type { SourceChunk } from './types.js';

/** One sentence of a source chunk, with the speaker of the chat turn it belongs to, if any. */
export interface SentenceUnit {
  /** The sentence without its speaker label. */
  text: string;
  /** "Caroline" for a turn "Caroline: …"; later sentences of the same memory inherit it. */
  speaker?: string;
  chunk: SourceChunk;
  /** Position in reading order over all chunks (0-based). */
  position: number;
}

/**
 * A chat-turn label at the start of a sentence: one to three capitalised words and a colon, e.g.
 * "Caroline: ", "Dr. Smith: ", "Assistant: ". Not before a digit, so "Score: 5" and times stay text.
 */
const SPEAKER = /^(\p{Lu}[\p{L}\p{M}'’.-]{0,30}(?: \p{Lu}[\p{L}\p{M}'’.-]{0,30}){0,2}):\s+(?!\d)(?=\S)/u;

/** The speaker label of a text and the text after it. */
export function splitSpeaker(text: string): { speaker?: string; text: string } {
  const match = SPEAKER.exec(text);
  return match ? { speaker: match[1]!, text: text.slice(match[0].length) } : { text };
}

/** Sentence boundaries of one text (sentence-splitter: abbreviations, decimals and ellipses stay whole). */
export function sentencesOf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n+/)) {
    if (!line.trim()) continue;
    for (const node of split(line)) {
      if (node.type !== SentenceSplitterSyntax.Sentence) continue;
      const sentence = node.raw.replace(/\s+/g, ' ').trim();
      if (sentence) out.push(sentence);
    }
  }
  return out;
}

/**
 * The sentences of the chunks, in the order given (reading order). Sentence-aware for chat turns:
 * a speaker label is taken off the sentence and carried by the unit, and the sentences after it in
 * the same memory belong to that speaker until another label appears.
 */
export function sentenceUnits(chunks: readonly SourceChunk[]): SentenceUnit[] {
  const units: SentenceUnit[] = [];
  let memoryId: string | undefined;
  let speaker: string | undefined;
  for (const chunk of chunks) {
    if (chunk.memoryId !== memoryId) {
      memoryId = chunk.memoryId;
      speaker = undefined;
    }
    for (const raw of sentencesOf(chunk.text)) {
      const labelled = splitSpeaker(raw);
      if (labelled.speaker) speaker = labelled.speaker;
      const text = labelled.text.trim();
      if (text) units.push({ text, speaker, chunk, position: units.length });
    }
  }
  return units;
}

/** The sentence as shown in a summary: "Speaker: text" for chat turns. */
export function unitLine(unit: Pick<SentenceUnit, 'speaker' | 'text'>): string {
  return unit.speaker ? `${unit.speaker}: ${unit.text}` : unit.text;
}

/** Words (letters or digits) in a text. */
export function wordCount(text: string): number {
  return text.match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu)?.length ?? 0;
}
