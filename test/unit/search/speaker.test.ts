import { describe, expect, it } from 'vitest';
import { fold } from '../../../src/search/keyword/words.js';
import { namesSpeaker, speakerOf } from '../../../src/search/speaker.js';

describe('speaker of a memory', () => {
  it('reads a transcript label of one to three capitalised words', () => {
    expect(speakerOf('Melanie: I signed up for a pottery class.')).toBe('melanie');
    expect(speakerOf('Anna Lena Berg: hallo')).toBe('anna lena berg');
    expect(speakerOf("Seán O'Brien: grand")).toBe("sean o'brien");
    expect(speakerOf('田中: こんにちは')).toBe('田中');
  });

  it('takes no label from ordinary text, times, lowercase roles or long phrases', () => {
    for (const text of ['The meeting is at 10:30: bring notes', 'user: hello', 'note: buy milk', 'Melanie said: hi', 'One Two Three Four: x', 'Melanie:no space']) {
      expect(speakerOf(text), text).toBeUndefined();
    }
  });

  it('matches a named speaker as a whole word, possessives included', () => {
    expect(namesSpeaker(fold("What do Melanie's kids like?"), 'melanie')).toBe(true);
    expect(namesSpeaker(fold('what did MELANIE say'), 'melanie')).toBe(true);
    expect(namesSpeaker(fold('What did Melanies say?'), 'melanie')).toBe(false);
    expect(namesSpeaker(fold('What did Mel say?'), 'melanie')).toBe(false);
  });
});
