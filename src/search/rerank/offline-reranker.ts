import { isStopWord } from '../keyword/terms.js';
import { containsWord, fold, words } from '../keyword/words.js';
import { namesSpeaker, speakerOf } from '../speaker.js';
import type { RerankCandidate, Reranker } from './reranker.js';

/**
 * The default reranker, offline and cheap: it works on the decrypted candidates only. Its score is the
 * retrieval score (fused, with conversation context) plus a small bonus for the query's exact words
 * (unstemmed, stop words left out: wantedWords) found verbatim in the text: stemming and the blind index cannot tell
 * "painting" from "painted", the plaintext can. On the LoCoMo dev split this lifts MRR by about 0.015.
 * And a bonus when the memory is a turn spoken by someone the query names ("What does Melanie do to
 * destress?" prefers what Melanie said over what others said to or about her; speaker.ts): on the
 * LoCoMo dev split, recall@10 +2 points and MRR +0.05, multi-hop and open-domain questions most.
 * Other features tried (bigrams, length, a second cosine term, a bonus for any mention of the name)
 * did not pay (docs/BENCHMARKS.md).
 */
export interface OfflineRerankerParams {
  exactWordWeight: number;
  /** Added when the memory's speaker label names someone the query names. */
  speakerWeight: number;
}

export const OFFLINE_RERANK_DEFAULTS: OfflineRerankerParams = { exactWordWeight: 0.05, speakerWeight: 0.15 };

/** Plain-Latin words shorter than this do not count ("cat" would; tuned on LoCoMo: docs/BENCHMARKS.md). */
const MIN_LATIN_WORD = 4;
const LATIN = /^[a-z0-9]+$/;
/** Scripts written without spaces: a word of theirs is found inside a longer run of letters. */
const NO_SPACES = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

/**
 * The query's words that count, once per query: folded as the keyword terms are (words.ts), English
 * stop words left out ("when", "what", "where"), plain-Latin words of four letters or more, words of
 * other scripts of two letters or more, emoji.
 */
function wantedWords(query: string): Set<string> {
  const out = new Set<string>();
  for (const w of words(query)) {
    if (w.kind === 'emoji') out.add(w.text);
    else if (LATIN.test(w.text) ? w.text.length >= MIN_LATIN_WORD && !isStopWord(w.text) : [...w.text].length >= 2) out.add(w.text);
  }
  return out;
}

/** The share of `wanted` found verbatim (folded) in `text`. */
function shareFound(wanted: ReadonlySet<string>, text: string): number {
  if (wanted.size === 0) return 0;
  const hay = fold(text);
  let found = 0;
  for (const word of wanted) if (NO_SPACES.test(word) || !/[\p{L}\p{N}]/u.test(word) ? hay.includes(word) : containsWord(hay, word)) found++;
  return found / wanted.size;
}

export function exactWordShare(query: string, text: string): number {
  return shareFound(wantedWords(query), text);
}

export class OfflineReranker implements Reranker {
  readonly name = 'offline';

  constructor(private readonly params: OfflineRerankerParams = OFFLINE_RERANK_DEFAULTS) {}

  /** The score is retrieval + exactWordWeight · share (share in [0, 1]) + speakerWeight when the query names the speaker. */
  get maxLift(): number | undefined {
    const { exactWordWeight, speakerWeight } = this.params;
    return exactWordWeight >= 0 && speakerWeight >= 0 ? exactWordWeight + speakerWeight : undefined;
  }

  async rerank(query: string, candidates: readonly RerankCandidate[], signal: AbortSignal): Promise<number[]> {
    signal.throwIfAborted();
    const wanted = wantedWords(query);
    const folded = fold(query);
    return candidates.map((c) => {
      const speaker = speakerOf(c.text);
      const spoken = speaker !== undefined && namesSpeaker(folded, speaker) ? this.params.speakerWeight : 0;
      return c.scores.retrieval + this.params.exactWordWeight * shareFound(wanted, c.text) + spoken;
    });
  }
}
