import type { EntityType } from './types.js';

/**
 * Entities with a recognisable written format, found by regular expressions before tagging:
 * e-mail addresses, URLs, amounts of money and clock times / numeric dates. Everything with a
 * name is left to the tagger (tagger.ts).
 */
export interface FormatSpan {
  start: number;
  end: number;
  type: EntityType;
  text: string;
}

const CURRENCY_WORDS = 'dollars?|bucks|euros?|pounds|quid|yen|yuan|rupees?|pesos?|francs?|kroner|krona|won|usd|eur|gbp';
const SCALE = '(?:\\s?(?:k|m|bn|thousand|million|billion))?';
const NUMBER = '\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?';
/** Verbs and nouns that make "pounds" money rather than weight. */
const MONEY_CONTEXT = /\b(pa(?:y|id|ying)|cost|costs|owe|owed|lent|lend|spen[dt]|price|sold|sell|selling|bought|buy|earn|earned|worth|raised?|sav(?:e|ed|ing)|charge[sd]?|rent|fee|tip|salary|budget)\b/i;

const PATTERNS: Array<{ type: EntityType; re: RegExp }> = [
  { type: 'email', re: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g },
  // Ends before trailing punctuation that closes a sentence.
  { type: 'url', re: /\b(?:https?:\/\/|www\.)[^\s<>"']+[^\s<>"'.,;:!?)\]]/gi },
  {
    type: 'money',
    re: new RegExp(`(?:[$€£¥₹]\\s?(?:${NUMBER})${SCALE})|(?:\\b(?:${NUMBER})${SCALE}\\s?(?:${CURRENCY_WORDS})\\b)`, 'gi'),
  },
  // 7 pm, 6:45, 18:30, 3 a.m.
  { type: 'date', re: /\b(?:[01]?\d|2[0-3]):[0-5]\d(?:\s?[ap]\.?m\.?)?(?!\w)|\b(?:1[0-2]|0?[1-9])\s?[ap]\.?m\.?(?!\w)/gi },
  // 2024-05-01, 5/1/2024, 01.05.2024
  { type: 'date', re: /\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b/g },
];

export function findFormats(text: string): FormatSpan[] {
  const spans: FormatSpan[] = [];
  for (const { type, re } of PATTERNS) {
    for (const m of text.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      if (spans.some((s) => start < s.end && end > s.start)) continue; // the earlier pattern wins
      let found: EntityType = type;
      if (type === 'money' && /pounds/i.test(m[0]) && !/[£]/.test(m[0]) && !MONEY_CONTEXT.test(text)) found = 'quantity';
      spans.push({ start, end, type: found, text: m[0] });
    }
  }
  return spans.sort((a, b) => a.start - b.start);
}
