/**
 * The text whose embedding answers for a query's meaning, when the keyword index is on: the query with
 * the names it mentions left out ("What do Melanie's kids like?" → "What do kids like?"). The names
 * are matched by the keyword index, and by the offline reranker's speaker bonus; in the 512-d USE-lite
 * vector they mostly pull towards every memory that says the name, which is not what is asked. On the
 * LoCoMo dev split, recall@10 +0.5 points with the speaker bonus, open-domain questions +2
 * (docs/BENCHMARKS.md). With the keyword index off, the vector is all there is: nothing is left out.
 *
 * A name is a word written with a capital other than the first word: English only, as the rule is
 * meaningless where every noun is capitalised (German): the query must be in Latin letters and hold at
 * least one English function word that German does not share (ENGLISH: not "was", "in", "an", "will"),
 * else it is embedded as written. "I" stays.
 */
const NAME = /^\p{Lu}[\p{L}'’-]+/u;
const PLAIN_LATIN = /^[\p{Script=Latin}\P{L}]*$/u;
const ENGLISH = new Set(
  ('what when where who whom which why how did does do the of to and with about my your her his their they she he you ' +
    'were has have had would could should is are from for that this been its').split(' '),
);
const MIN_ENGLISH_WORDS = 1;

export function meaningText(query: string): string {
  if (!PLAIN_LATIN.test(query)) return query;
  const tokens = query.trim().split(/\s+/);
  const english = tokens.filter((t) => ENGLISH.has(t.toLowerCase().replace(/[^a-z]/g, ''))).length;
  if (english < MIN_ENGLISH_WORDS) return query;
  const kept = [tokens[0]!, ...tokens.slice(1).map((t) => t.replace(NAME, ''))].filter((t) => t.length > 0);
  return kept.join(' ');
}
