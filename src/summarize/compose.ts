import type { SummaryStyle } from './types.js';

/**
 * How a style lays out summary sentences, and the character budget. Both methods (extractive and
 * LLM) render through here, so `max_chars` means the same thing for both: the length of `summary`.
 */

const SEPARATOR: Record<SummaryStyle, string> = { bullets: '\n', paragraph: ' ', tldr: ' ', timeline: '\n' };

/** The UTC calendar date of a memory, as timeline lines show it. */
export const isoDate = (at: Date) => at.toISOString().slice(0, 10);

/** One sentence as it appears in the summary. */
export function formatLine(style: SummaryStyle, line: string, createdAt: Date): string {
  if (style === 'bullets') return `- ${line}`;
  if (style === 'timeline') return `${isoDate(createdAt)} — ${line}`;
  return line;
}

export function render(style: SummaryStyle, pieces: readonly { line: string; createdAt: Date }[]): string {
  return pieces.map((p) => formatLine(style, p.line, p.createdAt)).join(SEPARATOR[style]);
}

/** Tracks what a summary of at most `maxSentences` sentences and `maxChars` characters can still take. */
export class Budget {
  private chars = 0;
  private count = 0;

  constructor(
    private readonly style: SummaryStyle,
    private readonly maxSentences: number,
    private readonly maxChars: number,
  ) {}

  /** Characters the sentence adds, separator included. */
  cost(line: string, createdAt: Date): number {
    return formatLine(this.style, line, createdAt).length + (this.count > 0 ? SEPARATOR[this.style].length : 0);
  }

  get full(): boolean {
    return this.count >= this.maxSentences;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  fits(line: string, createdAt: Date): boolean {
    return !this.full && this.chars + this.cost(line, createdAt) <= this.maxChars;
  }

  take(line: string, createdAt: Date): void {
    this.chars += this.cost(line, createdAt);
    this.count += 1;
  }

  /** The longest prefix of `line`, cut at a word and marked with "…", that fits an empty summary. */
  truncate(line: string, createdAt: Date): string {
    const room = this.maxChars - formatLine(this.style, '', createdAt).length - 1;
    if (room <= 0) return '…';
    const cut = line.slice(0, room);
    const atWord = cut.replace(/\s+\S*$/, '');
    return `${(atWord.length >= room / 2 ? atWord : cut).trimEnd()}…`;
  }
}
