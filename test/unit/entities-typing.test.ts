import { describe, expect, it } from 'vitest';
import { extract } from '../../src/entities/extract.js';
import { describedAs, terms } from '../../src/entities/tagger.js';

/** Issue 19: the type a text gives a name when it says what the name is. */
const typesOf = (text: string) => Object.fromEntries(extract([{ text }]).entities.map((e) => [e.name, e.type]));

describe('entity types from what the text says the name is', () => {
  it.each([
    // "a/an/my <noun> called/named <Name>"
    ['I adopted a beagle called Rex last spring.', 'Rex', 'animal'],
    ['Alice adopted a beagle named Rex in March.', 'Rex', 'animal'],
    ['We have a horse named Bella.', 'Bella', 'animal'],
    ['We moved to a city called Porto.', 'Porto', 'place'],
    ['She works at a startup named Acme.', 'Acme', 'organization'],
    ['He plays bass in a band called Velvet Moth.', 'Velvet Moth', 'organization'],
    ["I'm learning Spanish with an app called Duolingo.", 'Duolingo', 'product'],
    // "<det> <noun> <Name>"
    ['My dog Rex loves the beach.', 'Rex', 'animal'],
    ["Alice's old beagle Rex snores.", 'Rex', 'animal'],
    ['We met my friend Paris at the station.', 'Paris', 'person'],
    // appositives, before and after the name
    ['Our cat, Misu, sleeps all day.', 'Misu', 'animal'],
    ['Rex, my dog, is afraid of thunder.', 'Rex', 'animal'],
    // "the city of <Name>"
    ['We spent a week in the city of Bruges.', 'Bruges', 'place'],
    // "<Name> is a <noun>"
    ['Rex is a very good dog.', 'Rex', 'animal'],
    ['Misu is our cat.', 'Misu', 'animal'],
  ])('%s → %s is %s', (text, name, type) => {
    expect(typesOf(text)[name], JSON.stringify(typesOf(text))).toBe(type);
  });

  it('says nothing when the noun beside the name is no category or there is none', () => {
    const at = (sentence: string, word: string) => {
      const ts = terms(sentence);
      const i = ts.findIndex((t) => t.text.replace(/[,.]$/, '') === word);
      return describedAs(ts, i, i);
    };
    expect(at('I called Rex yesterday.', 'Rex')).toBeUndefined();
    expect(at('She named Rex after her uncle.', 'Rex')).toBeUndefined();
    expect(at('Tom, my favourite idea, failed.', 'Tom')).toBeUndefined();
    expect(at('Gabriel works at a bakery in Lyon called Maison.', 'Maison')).toBeUndefined();
    // "place" says too little to type anything
    expect(at('Google is a great place to work.', 'Google')).toBeUndefined();
  });

  it('what a sentence says a name is outweighs the guesses of other sentences', () => {
    // "with Rex" and "talked to Rex" alone read as a person; one sentence says he is a dog.
    const text = 'We adopted a dog named Rex. Tom played with Rex all day. Anna talked to Rex.';
    expect(typesOf('Tom played with Rex all day. Anna talked to Rex.').Rex).toBe('person');
    const { entities } = extract([{ text }]);
    expect(entities.find((e) => e.name === 'Rex')).toMatchObject({ type: 'animal', mentions: 3 });
  });

  it('an animal takes part in relationships, with the verb in the infinitive', () => {
    const { relationships } = extract([{ text: 'Alice adopted a beagle named Rex in April. She walks him every evening.' }]);
    expect(relationships).toEqual([
      expect.objectContaining({ source: 'Alice', predicate: 'adopt', target: 'Rex' }),
    ]);
  });

  it('predicates are infinitives even where the verb alone reads as an adjective', () => {
    const { relationships } = extract([{ text: 'Nadia: I painted Lake Como and I joined Oxfam.' }]);
    expect(relationships.map((r) => r.predicate).sort()).toEqual(expect.arrayContaining(['join', 'paint']));
  });
});
