import nlp from 'compromise';
import { displayName, nameKey } from './normalize.js';
import { tagSentence, type Mention, type TaggedSentence, type Term } from './tagger.js';
import {
  NAMED_TYPES,
  type EntityType,
  type ExtractedEntity,
  type ExtractedRelationship,
  type Extraction,
  type Origin,
  type Segment,
} from './types.js';

/** "Caroline: ..." / "Dr. Mei Ling - ..." at the start of a line is a chat turn; the speaker is a person. */
const SPEAKER = /^[ \t]*((?:\p{Lu}[\p{L}'’.-]*)(?:[ \t]\p{Lu}[\p{L}'’.-]*){0,2})[ \t]*:[ \t]+/u;
const FIRST_PERSON = new Set(['i', 'we', 'my', 'our', 'me']);
const MAX_EVIDENCE = 300;
const MAX_PAIRS_PER_SENTENCE = 10;

interface Found {
  mention: Mention;
  /** Index into the sentence's terms, or -1 for the speaker of a turn. */
  key: string;
  origin: { memoryId?: string; chunkId?: string };
  /** Subject of a verb in its sentence: weighs more in salience. */
  subject: boolean;
}

/**
 * Extracts entities and relationships from segments of text (chat turns or prose). Pure and
 * synchronous: no I/O, no state between calls.
 */
export function extract(segments: Segment[]): Extraction {
  const steps = extraction(segments);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The same, giving the event loop a turn every `sliceMs` of tagging: a 50 KiB text takes seconds
 * of CPU, which must not stall every other request of the process.
 */
export async function extractYielding(segments: Segment[], sliceMs = 10): Promise<Extraction> {
  const steps = extraction(segments);
  let since = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - since >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      since = performance.now();
    }
  }
}

/** The extraction as a generator that pauses after each tagged sentence. */
function* extraction(segments: Segment[]): Generator<void, Extraction> {
  const found: Found[] = [];
  const sentences: Array<{ sentence: string; tagged: TaggedSentence; here: Found[]; speaker?: Found; origin: Origin }> = [];

  for (const segment of segments) {
    const origin = { memoryId: segment.memoryId, chunkId: segment.chunkId };
    for (const line of segment.text.split(/\r?\n/)) {
      const turn = SPEAKER.exec(line);
      let speaker: Found | undefined;
      let body = line;
      if (turn && !/^(note|re|fwd|subject|ps|p\.s|update|edit|tip|warning|todo)$/i.test(turn[1]!)) {
        const name = displayName(turn[1]!);
        speaker = {
          mention: { text: name, type: 'person', start: 0, end: 0, first: -1, last: -1, possessive: false },
          key: nameKey(name),
          origin,
          subject: true,
        };
        found.push(speaker);
        body = line.slice(turn[0].length);
      }
      for (const s of new Intl.Segmenter('en', { granularity: 'sentence' }).segment(body)) {
        const sentence = s.segment.trim();
        if (!sentence) continue;
        const tagged = tagSentence(sentence);
        const here = tagged.mentions
          .filter((m) => displayName(m.text).length > 0)
          .map((m) => ({ mention: m, key: nameKey(m.text), origin, subject: false }) satisfies Found);
        found.push(...here);
        sentences.push({ sentence, tagged, here, speaker, origin });
        yield;
      }
    }
  }

  // One sense per discourse: a word at the start of a sentence, which the tagger cannot tell from a
  // capitalised common word, is a name when the same text names something elsewhere ("Quillon works …").
  const named = new Map<string, Found>();
  for (const f of found) if (NAMED_TYPES.has(f.mention.type) && !f.key.includes(' ')) named.set(f.key, f);
  for (const s of sentences) {
    const first = s.tagged.terms[0];
    const known = first && named.get(first.word);
    if (!known || s.here.some((f) => f.mention.first === 0) || !/^\p{Lu}/u.test(first.text)) continue;
    const mention: Mention = { text: first.text, type: known.mention.type, start: first.start, end: first.end, first: 0, last: 0, possessive: false };
    const f: Found = { mention: { ...mention, text: displayName(first.text) }, key: known.key, origin: s.origin, subject: false };
    s.here.unshift(f);
    found.push(f);
  }

  const relationships: ExtractedRelationship[] = [];
  const seenRel = new Set<string>();
  for (const { sentence, tagged, here, speaker, origin } of sentences) {
    const add = (r: Omit<ExtractedRelationship, 'evidence' | 'memoryId' | 'chunkId'>) => {
      const id = `${nameKey(r.source)}|${r.predicate}|${nameKey(r.target)}|${origin.chunkId ?? ''}`;
      if (r.source === r.target || nameKey(r.source) === nameKey(r.target) || seenRel.has(id)) return;
      seenRel.add(id);
      relationships.push({ ...r, evidence: sentence.slice(0, MAX_EVIDENCE), ...origin });
    };
    relate(tagged.terms, here, speaker, add);
  }
  return { entities: resolve(found), relationships: canonicalise(relationships, found) };
}

/**
 * Relationships of one sentence. Subject–verb–object: a named entity (or "I"/"we" in a speaker's
 * turn), a verb, then the next named entity, with no other name between; the predicate is the
 * verb's infinitive and its preposition ("work at"). Every other pair of names is a co-occurrence.
 */
function relate(
  ts: Term[],
  here: Found[],
  speaker: Found | undefined,
  add: (r: { source: string; predicate: string; target: string }) => void,
) {
  const named = here.filter((f) => NAMED_TYPES.has(f.mention.type) && f.mention.first >= 0);
  const linked = new Set<string>();
  const actors: Array<{ name: string; last: number; possessive: boolean; found?: Found }> = named.map((f) => ({
    name: f.mention.text,
    last: f.mention.last,
    possessive: f.mention.possessive,
    found: f,
  }));
  if (speaker) {
    ts.forEach((t, i) => {
      if (FIRST_PERSON.has(t.word) && t.tags.has('Pronoun')) actors.push({ name: speaker.mention.text, last: i, possessive: t.word === 'my' || t.word === 'our' });
    });
  }
  actors.sort((a, b) => a.last - b.last);
  for (const actor of actors) {
    const object = named.find((f) => f.mention.first > actor.last);
    if (!object) continue;
    const between = ts.slice(actor.last + 1, object.mention.first);
    if (between.length > 8 || actors.some((a) => a.last > actor.last && a.last < object.mention.first)) continue;
    const verbAt = between.findIndex((t) => t.tags.has('Verb') && !t.tags.has('Auxiliary') && !t.tags.has('Copula'));
    if (verbAt < 0) continue;
    if (actor.found) actor.found.subject = true;
    const verb = infinitive(between[verbAt]!.text);
    const prep = between.at(-1)!.tags.has('Preposition') || ['to', 'at', 'for', 'from', 'with', 'in', 'by'].includes(between.at(-1)!.word)
      ? ` ${between.at(-1)!.word}`
      : '';
    const owned = actor.possessive ? between.slice(0, verbAt).filter((t) => t.tags.has('Noun')).map((t) => t.word).join(' ') : '';
    const predicate = `${owned ? `${owned}: ` : ''}${verb}${prep && between.length - 1 !== verbAt ? prep : prep}`;
    add({ source: actor.name, predicate, target: object.mention.text });
    linked.add(`${nameKey(actor.name)}|${object.key}`);
  }
  const people = speaker ? [speaker, ...named] : named;
  let pairs = 0;
  for (let a = 0; a < people.length; a++) {
    for (let b = a + 1; b < people.length; b++) {
      if (pairs >= MAX_PAIRS_PER_SENTENCE) return;
      const [x, y] = [people[a]!, people[b]!];
      if (x.key === y.key || linked.has(`${x.key}|${y.key}`) || linked.has(`${y.key}|${x.key}`)) continue;
      add({ source: x.mention.text, predicate: 'mentioned with', target: y.mention.text });
      pairs++;
    }
  }
}

const infinitiveCache = new Map<string, string>();
function infinitive(verb: string): string {
  const key = verb.toLowerCase();
  let inf = infinitiveCache.get(key);
  if (inf === undefined) {
    // Out of its sentence a past form can read as an adjective ("adopted"): it was tagged a verb there.
    const doc = nlp(key);
    doc.tag('Verb');
    inf = (doc.verbs().toInfinitive().text() || key).toLowerCase();
    if (infinitiveCache.size < 5000) infinitiveCache.set(key, inf);
  }
  return inf;
}

/**
 * Light coreference: mentions with the same key are one entity ("Caroline", "Caroline's"); a lone
 * first or last name joins the one full name of a person it belongs to ("Caroline" → "Caroline
 * Smith"). The type is the most frequent one among the mentions whose sentence says what it is,
 * else among all; the name is the longest form seen.
 */
function resolve(found: Found[]): ExtractedEntity[] {
  const persons = [...new Set(found.filter((f) => f.mention.type === 'person' && f.key.includes(' ')).map((f) => f.key))];
  const alias = new Map<string, string>();
  for (const f of found) {
    if (f.mention.type !== 'person' || f.key.includes(' ')) continue;
    const owners = persons.filter((p) => p.split(' ')[0] === f.key || p.split(' ').at(-1) === f.key);
    if (owners.length === 1) alias.set(f.key, owners[0]!);
  }
  const groups = new Map<string, Found[]>();
  for (const f of found) {
    const key = alias.get(f.key) ?? f.key;
    f.key = key;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const scored = [...groups.entries()].map(([key, mentions]) => {
    // What the text says a name is ("a beagle called Rex") outweighs what context suggests elsewhere.
    const described = mentions.filter((m) => m.mention.described);
    const types = new Map<EntityType, number>();
    for (const m of described.length > 0 ? described : mentions) types.set(m.mention.type, (types.get(m.mention.type) ?? 0) + 1);
    const type = [...types.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const names = mentions.map((m) => displayName(m.mention.text));
    const name = names.reduce((a, b) => (b.length > a.length ? b : a));
    const keys = [...new Set([key, ...mentions.map((m) => nameKey(m.mention.text))])];
    const origins = new Map<string, { memoryId?: string; chunkId?: string; count: number }>();
    for (const m of mentions) {
      if (!m.origin.chunkId) continue;
      const o = origins.get(m.origin.chunkId) ?? { ...m.origin, count: 0 };
      o.count++;
      origins.set(m.origin.chunkId, o);
    }
    const weight = mentions.length + 0.5 * mentions.filter((m) => m.subject).length + (NAMED_TYPES.has(type) ? 0.5 : 0);
    return { name, type, keys, mentions: mentions.length, weight, origins: [...origins.values()] };
  });
  const top = Math.max(1, ...scored.map((s) => s.weight));
  return scored
    .map(({ weight, ...e }) => ({ ...e, salience: Math.round((weight / top) * 1000) / 1000 }))
    .sort((a, b) => b.salience - a.salience || a.name.localeCompare(b.name));
}

/** Relationships name their ends by the canonical entity names. */
function canonicalise(relationships: ExtractedRelationship[], found: Found[]): ExtractedRelationship[] {
  const canonical = new Map<string, string>();
  for (const f of found) {
    const current = canonical.get(f.key);
    const name = displayName(f.mention.text);
    if (!current || name.length > current.length) canonical.set(f.key, name);
  }
  const resolveName = (n: string) => {
    const key = nameKey(n);
    const direct = canonical.get(key);
    if (direct) return direct;
    const owner = [...canonical.keys()].find((k) => k.includes(' ') && (k.split(' ')[0] === key || k.split(' ').at(-1) === key));
    return owner ? canonical.get(owner)! : displayName(n);
  };
  return relationships.map((r) => ({ ...r, source: resolveName(r.source), target: resolveName(r.target) }));
}
