import nlp from 'compromise';
import {
  DATE_MODIFIERS,
  DETERMINERS,
  EVENT_BEFORE,
  EVENT_HEADS,
  KIND_NOUNS,
  MOTION,
  ORG_CONTEXT,
  ORG_FIRST,
  ORG_HEADS,
  PERSON_AFTER,
  PERSON_BEFORE,
  PLACE_BEFORE,
  PLACE_OF,
  PLACE_FIRST,
  PLACE_HEADS,
  PRODUCT_BEFORE,
  TALK,
  TIME_WORDS,
} from './cues.js';
import { findFormats } from './formats.js';
import type { EntityType } from './types.js';

/** One word as compromise tagged it, with its offsets in the sentence. */
export interface Term {
  text: string;
  /** Lower-cased, punctuation-free. */
  word: string;
  tags: Set<string>;
  start: number;
  end: number;
  /** Punctuation after the word (a comma or full stop ends a name). */
  post: string;
}

/** An entity found in one sentence. `first`..`last` index its terms (-1 for format spans). */
export interface Mention {
  text: string;
  type: EntityType;
  start: number;
  end: number;
  first: number;
  last: number;
  possessive: boolean;
  /** The sentence says what it is ("a beagle called Rex"): its type outweighs guesses elsewhere. */
  described?: boolean;
}

export interface TaggedSentence {
  terms: Term[];
  mentions: Mention[];
}

type Json = { terms: Array<{ text: string; post: string; tags: string[]; offset: { start: number; length: number } }> };

export function terms(sentence: string): Term[] {
  const json = nlp(sentence).json({ offset: true }) as Json[];
  return json.flatMap((s) =>
    s.terms.map((t) => ({
      text: t.text,
      word: t.text.toLowerCase().replace(/['’]s$/, '').replace(/[^\p{L}\p{N}'.&-]/gu, ''),
      tags: new Set(t.tags),
      start: t.offset.start,
      end: t.offset.start + t.offset.length,
      post: t.post,
    })),
  );
}

const CAPITALISED = /^(?:\p{Lu}|[a-z]{1,2}\p{Lu})/u;
const endsName = (t: Term) => /[,.;:!?()"]/.test(t.post.replace(/^\./, t.tags.has('Honorific') ? '' : '.'));
const isNamey = (t: Term) =>
  /^[a-z]{1,2}\p{Lu}\p{L}+$/u.test(t.text) ||
  (CAPITALISED.test(t.text) &&
    (t.tags.has('ProperNoun') || t.tags.has('Person') || t.tags.has('Place') || t.tags.has('Organization') || t.tags.has('Acronym') || t.tags.has('Honorific') ||
      // "Quillon's dog": a capitalised possessive is a name even where compromise does not know it.
      (t.tags.has('Possessive') && /['’]s?$/.test(t.text) && !t.tags.has('Pronoun') && !t.tags.has('Date'))));
const isDateWord = (t: Term | undefined) => !!t && (t.tags.has('Date') || TIME_WORDS.has(t.word));
const isValue = (t: Term) => t.tags.has('Value') && !t.tags.has('Ordinal') && !t.tags.has('Date');
const isDateTerm = (t: Term) => t.tags.has('Date') && !(t.tags.has('Duration') && !t.tags.has('WeekDay'));

/**
 * Tags one sentence: format spans by regular expression, then compromise's part-of-speech and
 * name tags, then context rules for the names compromise could not type.
 */
export function tagSentence(sentence: string): TaggedSentence {
  const ts = terms(sentence);
  const formats = findFormats(sentence);
  const inFormat = (t: Term) => formats.some((f) => t.start < f.end && t.end > f.start);
  const mentions: Mention[] = formats.map((f) => {
    const covered = ts.map((t, i) => (inFormat(t) && t.start < f.end && t.end > f.start ? i : -1)).filter((i) => i >= 0);
    return { text: f.text, type: f.type, start: f.start, end: f.end, first: covered[0] ?? -1, last: covered.at(-1) ?? -1, possessive: false };
  });
  const span = (first: number, last: number, type: EntityType, trimPossessive = true): Mention => {
    const start = ts[first]!.start;
    const end = ts[last]!.end;
    const possessive = /['’]s?$/.test(ts[last]!.text) && ts[last]!.tags.has('Possessive');
    let text = sentence.slice(start, end);
    if (trimPossessive) text = text.replace(/['’]s$|(?<=s)['’]$/, '');
    return { text, type, start, end, first, last, possessive };
  };

  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    if (inFormat(t)) continue;

    // Amounts: a number and what it counts ("10 kilometers", "two puppies", "3 hours"); "3 days ago" is a date.
    // "a month" after an amount is a rate ("$40 a month"); only "for a week" is a duration.
    const article = t.word === 'a' || t.word === 'an';
    if (isValue(t) && !t.tags.has('Money') && !endsName(t) && (!article || ts[i - 1]?.word === 'for')) {
      let j = i + 1;
      const unit = ts[j];
      if (unit && !inFormat(unit) && (unit.tags.has('Duration') || unit.tags.has('Unit') || unit.tags.has('Plural')) && !unit.tags.has('ProperNoun')) {
        // "1 hour and 22 minutes"
        while (ts[j + 2] && ts[j + 1]?.word === 'and' && isValue(ts[j + 2]!) && ts[j + 3]?.tags.has('Duration')) j += 3;
        if (ts[j + 1]?.word === 'ago') mentions.push(span(i, j + 1, 'date'));
        else mentions.push(span(i, j, 'quantity'));
        i = j + (ts[j + 1]?.word === 'ago' ? 1 : 0);
        continue;
      }
    }

    // Dates: a run of date words, with a modifier before ("last week") and "of"/"," inside ("12th of December").
    if (isDateTerm(t) || (DATE_MODIFIERS.has(t.word) && isDateWord(ts[i + 1]) && !inFormat(ts[i + 1]!))) {
      let j = i;
      while (
        !endsName(ts[j]!) &&
        ts[j + 1] &&
        !inFormat(ts[j + 1]!) &&
        (isDateWord(ts[j + 1]) ||
          ((ts[j + 1]!.word === 'of' || ts[j + 1]!.word === 'every') && ts[j + 2]?.tags.has('Date')))
      ) {
        j++;
      }
      // "May 20, 2023"
      if (ts[j]!.post.trim() === ',' && ts[j + 1]?.tags.has('Year')) j++;
      if (ts[j + 1]?.word === 'ago') j++;
      const m = span(i, j, 'date');
      if (ts.slice(i, j + 1).some((x) => x.tags.has('ProperNoun') && !x.tags.has('Date'))) {
        // "Christmas Day", "New Year's Eve": a named day is an occasion.
        m.type = 'event';
      }
      mentions.push(m);
      i = j;
      continue;
    }

    // A capitalised word compromise does not take for a name is one when the sentence says what it is
    // ("Rex, my dog, …", "Misu is our cat").
    if (!isNamey(t) && !(CAPITALISED.test(t.text) && couldName(t) && describedAs(ts, i, i))) continue;
    // A name: a run of capitalised name words, joined by "of"/"for"/"&" ("Bank of America").
    let j = i;
    while (!endsName(ts[j]!) && !ts[j]!.tags.has('Possessive') && ts[j + 1] && !inFormat(ts[j + 1]!)) {
      const next = ts[j + 1]!;
      if (isNamey(next) && (!next.tags.has('Date') || (EVENT_HEADS.has(next.word) && CAPITALISED.test(next.text)))) j++;
      else if (['of', 'for', '&', 'de', 'del', 'la'].includes(next.word) && ts[j + 2] && isNamey(ts[j + 2]!) && CAPITALISED.test(ts[j + 2]!.text)) j += 2;
      else break;
    }
    // A model number belongs to the product name ("iPhone 15", "PlayStation 5").
    let model = false;
    if (!endsName(ts[j]!) && ts[j + 1] && /^\d+[a-z]?$/i.test(ts[j + 1]!.text) && !ts[j + 1]!.tags.has('Date') && !inFormat(ts[j + 1]!)) {
      const after = ts[j + 2];
      if (!after || !(after.tags.has('Plural') || after.tags.has('Duration') || after.tags.has('Unit'))) {
        j++;
        model = true;
      }
    }
    // A lower-case event noun right after a name ("Pride parade", "Glastonbury festival").
    let event = false;
    if (!endsName(ts[j]!) && ts[j + 1] && EVENT_HEADS.has(ts[j + 1]!.word) && /^\p{Ll}/u.test(ts[j + 1]!.text)) {
      j++;
      event = true;
    }
    const described = event || model ? undefined : describedAs(ts, i, j);
    const type = event ? 'event' : model ? 'product' : (described ?? classify(ts, i, j));
    if (type) mentions.push({ ...span(i, j, type), ...(described ? { described: true } : {}) });
    i = j;
  }
  mentions.sort((a, b) => a.start - b.start);
  return { terms: ts, mentions };
}

/** The type of the name in terms i..j: its head word, compromise's tags, then its context. */
function classify(ts: Term[], i: number, j: number): EntityType | undefined {
  const words = ts.slice(i, j + 1);
  const head = words.at(-1)!.word;
  const first = words[0]!.word;
  if (words.length > 1 || ts[i]!.tags.has('ProperNoun')) {
    if (EVENT_HEADS.has(head) && words.length > 1) return 'event';
    if (ORG_HEADS.has(head) && words.length > 1) return 'organization';
    if (PLACE_HEADS.has(head) && words.length > 1) return 'place';
    if (ORG_FIRST.has(first) && words.length > 1) return 'organization';
    if (PLACE_FIRST.has(first) && words.length > 1) return 'place';
  }
  if (/con$/i.test(words.at(-1)!.text) && /\p{Lu}\p{Ll}*Con$/u.test(words.at(-1)!.text)) return 'event';

  const has = (tag: string) => words.some((w) => w.tags.has(tag));
  const prev = previousWord(ts, i);
  const prev2 = ts[indexBefore(ts, i) - 1]?.word ?? '';
  const next = ts[j + 1]?.word ?? '';
  const possessive = words.at(-1)!.tags.has('Possessive');
  const nearby = ts.slice(Math.max(0, i - 5), i).map((t) => t.word);

  // "in Savannah", "near Florence": a first name after a place preposition is the place.
  if (PLACE_BEFORE.has(prev) && !has('Organization')) return 'place';
  if (has('Honorific')) return 'person';
  if (has('Person') && !has('Place') && !has('Organization')) return 'person';
  if (has('Person') && (PERSON_BEFORE.has(prev) || PERSON_AFTER.has(next) || possessive)) return 'person';
  if (has('Place') && !has('Organization')) return 'place';
  if (has('Organization') && !(has('Acronym') && ts[j + 1]?.tags.has('Noun') && !ts[j + 1]?.tags.has('ProperNoun'))) {
    return 'organization';
  }
  if (has('Acronym') && ts[j + 1]?.tags.has('Noun')) return undefined; // "the LGBTQ center": a modifier, not a name

  // Unknown to the tagger: decide by context.
  if ((prev === 'to' || prev === 'from') && nearby.some((w) => MOTION.has(w))) return 'place';
  if (prev === 'to' && nearby.some((w) => TALK.has(w))) return 'person';
  if (['at', 'for', 'by', 'with', 'from', 'joined', 'join'].includes(prev) && nearby.some((w) => ORG_CONTEXT.has(w))) return 'organization';
  if (PRODUCT_BEFORE.has(prev) || ((prev === 'old' || prev === 'new') && ['my', 'a', 'an', 'his', 'her', 'our'].includes(prev2))) {
    return 'product';
  }
  if (PERSON_BEFORE.has(prev) || PERSON_AFTER.has(next) || possessive) return 'person';
  if (EVENT_BEFORE.has(prev)) return 'event';
  if (prev === 'at') return 'organization';
  if (has('Acronym')) return 'organization';
  if (prev === 'to' || prev === 'from') return 'place';
  return undefined;
}

const NOT_A_NAME = ['Pronoun', 'Determiner', 'Preposition', 'Conjunction', 'Plural', 'QuestionWord', 'Verb', 'Adverb', 'Adjective', 'Date', 'Value'];
const couldName = (t: Term) => !NOT_A_NAME.some((tag) => t.tags.has(tag)) && !DETERMINERS.has(t.word);
const isDeterminer = (t: Term | undefined) => !!t && (DETERMINERS.has(t.word) || (t.tags.has('Possessive') && !/[,.;:!?]/.test(t.post)));
const pause = (t: Term) => /[,;:()]/.test(t.post);
const COPULA = new Set(['is', 'was', "'s"]);

/**
 * The category of the noun phrase that starts at term k with a determiner ("a good dog", "my
 * sister's friend"): its head, the last of its (up to four) adverbs, adjectives and nouns before a
 * pause or another kind of word, looked up in KIND_NOUNS.
 */
function phraseKind(ts: Term[], k: number): EntityType | undefined {
  if (!isDeterminer(ts[k])) return undefined;
  let head = -1;
  for (let m = k + 1; m < ts.length && m <= k + 4; m++) {
    const t = ts[m]!;
    const degree = t.tags.has('Adverb') && !t.tags.has('Noun') && !endsName(t); // "a very good dog"
    if (!degree && (!(t.tags.has('Noun') || t.tags.has('Adjective')) || t.tags.has('Pronoun') || t.tags.has('ProperNoun'))) break;
    if (!degree) head = m;
    if (endsName(t)) break;
  }
  return head > k ? KIND_NOUNS.get(ts[head]!.word) : undefined;
}

/**
 * What the sentence says the name in terms i..j is, from the category noun beside it: "a beagle
 * called Rex", "the conference is called PyCon", "my dog Rex", "our cat, Misu,", "Rex, my dog,",
 * "the city of Porto", "Acme is a startup". Undefined when it says nothing.
 */
export function describedAs(ts: Term[], i: number, j: number): EntityType | undefined {
  const before = ts[i - 1];
  const last = ts[j]!;
  if (before && !pause(before)) {
    // "a beagle called Rex", "a startup named Acme", "the conference is called PyCon"
    if (before.word === 'called' || before.word === 'named') {
      let k = i - 2;
      if (ts[k] && COPULA.has(ts[k]!.word)) k--;
      const noun = ts[k];
      if (noun && !pause(noun) && !noun.tags.has('ProperNoun') && KIND_NOUNS.has(noun.word)) return KIND_NOUNS.get(noun.word);
    }
    // "the city of Porto"
    if (before.word === 'of' && ts[i - 2] && PLACE_OF.has(ts[i - 2]!.word) && isDeterminer(ts[i - 3])) return 'place';
  }
  // "my dog Rex", "Alice's old beagle Rex"; "our cat, Misu," (an appositive, closed by a pause or the end)
  if (before && KIND_NOUNS.has(before.word) && !before.tags.has('ProperNoun') && !/[.;:!?()]/.test(before.post)) {
    const apposed = pause(before);
    if (!apposed || /[,.;:!?)]/.test(last.post) || j === ts.length - 1) {
      let k = i - 2;
      while (k >= 0 && i - 2 - k < 3 && ts[k]!.tags.has('Adjective') && !pause(ts[k]!)) k--;
      if (isDeterminer(ts[k])) return KIND_NOUNS.get(before.word);
    }
  }
  // "Rex, my dog, …"
  if (pause(last) && last.post.includes(',')) {
    const kind = phraseKind(ts, j + 1);
    if (kind) return kind;
  }
  // "Acme is a startup", "Rex was our first dog"
  if (!pause(last) && ts[j + 1] && COPULA.has(ts[j + 1]!.word)) return phraseKind(ts, j + 2);
  return undefined;
}

function indexBefore(ts: Term[], i: number): number {
  let k = i - 1;
  while (k >= 0 && ['the', 'a', 'an'].includes(ts[k]!.word)) k--;
  return k;
}

/** The word before the name, skipping an article ("at the Louvre" → "at"). */
function previousWord(ts: Term[], i: number): string {
  return ts[indexBefore(ts, i)]?.word ?? '';
}
