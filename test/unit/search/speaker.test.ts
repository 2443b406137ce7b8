import { describe, expect, it } from 'vitest';
import { fold } from '../../../src/search/keyword/words.js';
import { meaningText } from '../../../src/search/query-meaning.js';
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

describe('the text embedded for a query', () => {
  it('leaves out the names of an English question, keeping its first word and "I"', () => {
    expect(meaningText("What do Melanie's kids like?")).toBe('What do kids like?');
    expect(meaningText('Where did Caroline move from 4 years ago?')).toBe('Where did move from 4 years ago?');
    expect(meaningText('Caroline is going to what?')).toBe('Caroline is going to what?');
    expect(meaningText('What did I tell Dave about the bees?')).toBe('What did I tell about the bees?');
  });

  it('embeds as written what is not plain English: German nouns, other scripts, no English function word', () => {
    for (const q of ['Was hat Anna in Berlin gekocht?', 'Wo arbeitet Anna als Ärztin?', '東京で何を食べた？', "Rex's favourite toy", 'beagle']) {
      expect(meaningText(q), q).toBe(q);
    }
  });
});
