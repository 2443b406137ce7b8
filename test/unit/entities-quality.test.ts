import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extract, extractYielding } from '../../src/entities/extract.js';
import { nameKey } from '../../src/entities/normalize.js';
import { loadLabelled, score } from '../../src/entities/quality.js';

const fixture = fileURLToPath(new URL('../fixtures/entities.jsonl', import.meta.url));

describe('entity extraction', () => {
  it('holds the quality floor on the labelled set: recall ≥ 0.8 and precision ≥ 0.7 for person/place/organization', () => {
    const sentences = loadLabelled(fixture);
    expect(sentences.length).toBeGreaterThanOrEqual(150);
    const { byType } = score(sentences);
    for (const type of ['person', 'place', 'organization'] as const) {
      expect(byType[type].recall, `${type} recall`).toBeGreaterThanOrEqual(0.8);
      expect(byType[type].precision, `${type} precision`).toBeGreaterThanOrEqual(0.7);
    }
  });

  it('formats: e-mail, URL, money, times', () => {
    const { entities } = extract([{ text: 'Pay €30 or 12 dollars to ana@example.com by 6:30 pm, see https://example.com/pay.' }]);
    const got = Object.fromEntries(entities.map((e) => [e.name, e.type]));
    expect(got).toMatchObject({
      '€30': 'money',
      '12 dollars': 'money',
      'ana@example.com': 'email',
      '6:30 pm': 'date',
      'https://example.com/pay': 'url',
    });
  });

  it('light coreference: possessives, speaker turns and a lone first name join one entity', () => {
    const { entities, relationships } = extract([
      { text: "Caroline: I met Anna Kowalski at the library.\nMelanie: Is Anna's brother still in Krakow?\nCaroline: Caroline's plan is to visit." },
    ]);
    const people = entities.filter((e) => e.type === 'person');
    expect(people.map((p) => [p.name, p.mentions]).sort()).toEqual([
      ['Anna Kowalski', 2],
      ['Caroline', 3],
      ['Melanie', 1],
    ]);
    expect(entities.find((e) => e.name === 'Anna Kowalski')!.keys.sort()).toEqual(['anna', 'anna kowalski']);
    // "I" in Caroline's turn is Caroline.
    expect(relationships).toContainEqual(expect.objectContaining({ source: 'Caroline', predicate: 'meet', target: 'Anna Kowalski' }));
  });

  it('a name at the start of a sentence is found when the same text names it elsewhere', () => {
    const { entities, relationships } = extract([{ text: 'My cousin Quillon is a chemist. Quillon works at Umbrella Corp.' }]);
    expect(entities.find((e) => e.name === 'Quillon')).toMatchObject({ type: 'person', mentions: 2 });
    expect(relationships).toContainEqual(expect.objectContaining({ source: 'Quillon', predicate: 'work at', target: 'Umbrella Corp' }));
    // Alone, the tagger cannot tell it from a capitalised common word, and it is left out.
    expect(extract([{ text: 'Quillon works at Umbrella Corp.' }]).entities.map((e) => e.name)).toEqual(['Umbrella Corp']);
  });

  it('the yielding extraction (used by the service) gives the same answer and lets timers run', async () => {
    const text = 'Caroline: I went to the support group in Boston with Melanie. '.repeat(200);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const yielded = await extractYielding([{ text }], 1);
    clearInterval(timer);
    expect(yielded).toEqual(extract([{ text }]));
    expect(ticks).toBeGreaterThan(0);
  });

  it('normalises names for lookup', () => {
    expect(nameKey("  Caroline’s ")).toBe('caroline');
    expect(nameKey('The  Louvre')).toBe('louvre');
    expect(nameKey('ＣＡＲＯＬＩＮＥ')).toBe('caroline');
  });
});
