import { describe, expect, it } from 'vitest';
import { fuse, type Candidate } from '../../../src/search/fusion.js';
import { fold } from '../../../src/search/keyword/words.js';
import { exactWordShare, OfflineReranker } from '../../../src/search/rerank/offline-reranker.js';
import type { Reranker } from '../../../src/search/rerank/reranker.js';
import { reachable, rerankStage, unguarded } from '../../../src/search/rerank/stage.js';
import type { ChunkHit } from '../../../src/store/memory-repository.js';

const hit = (id: string, score: number): ChunkHit => ({
  chunkId: id,
  memoryId: `m-${id}`,
  ordinal: 0,
  ciphertext: new Uint8Array(),
  source: null,
  metadata: {},
  createdAt: new Date(0),
  score,
});
const signal = new AbortController().signal;

describe('offline reranker', () => {
  it('exact word share counts query words of 4+ letters found verbatim, stop words left out', () => {
    // "when" and "where" are stop words, "did" and "she" too short: start, painting, sunsets remain.
    expect(exactWordShare('When did she start painting sunsets?', 'I was painting a sunset')).toBeCloseTo(1 / 3);
    expect(exactWordShare('When and where?', 'when and where')).toBe(0);
    expect(exactWordShare('a b c', 'a b c')).toBe(0);
  });

  it('matches across case and accents, inside names, in scripts without spaces, and emoji', () => {
    expect(exactWordShare('Chloë', 'CHLOE came by')).toBe(1);
    expect(exactWordShare("O’Brien", "Mr O'Brien called")).toBe(1);
    expect(exactWordShare('東京', '東京に住んでいます')).toBe(1);
    expect(exactWordShare('Москва', 'Я живу в МОСКВА')).toBe(1);
    expect(exactWordShare('🍣', 'sushi night 🍣🍣')).toBe(1);
    expect(exactWordShare('东京', '北京')).toBe(0);
  });

  it('finds whole words only, as splitting the text into words would, across scripts and punctuation', () => {
    // The reference: split the folded text into runs of letters and digits.
    const WORD = /[\p{L}\p{N}]+/gu;
    const words = (t: string) => [...fold(t).matchAll(WORD)].map((m) => m[0]);
    const reference = (query: string, text: string) => {
      const wanted = new Set(words(query).filter((w) => w.length >= 4));
      if (wanted.size === 0) return 0;
      const have = new Set(words(text));
      return [...wanted].filter((w) => have.has(w)).length / wanted.size;
    };
    const cases: [string, string][] = [
      ['painting sunsets', 'repainting the sunsets, painting2 and painting.'],
      ['painting', 'paintings only'],
      ['painting', 'xpainting painting'],
      ['Straße Zürich', 'ich wohne in der STRASSE zürich'],
      ['café', 'Cafe\u0301 au lait at the café'],
      ['𝒜bcd wxyz', 'the 𝒜bcd and 𝒜wxyz'],
      ['ＦＵＬＬ width', 'full-width text'],
      ['2024 report', 'the 2024-report and 12024'],
      ['naïve', 'naïveté and naïve'],
      ['word', ''],
    ];
    for (const [query, text] of cases) expect(exactWordShare(query, text), `${query} | ${text}`).toBe(reference(query, text));
    expect(exactWordShare('painting sunsets', 'painting at sunset')).toBe(0.5);
  });

  it('adds the exact-word bonus to the retrieval score', async () => {
    const r = new OfflineReranker({ exactWordWeight: 0.1, speakerWeight: 0 });
    const base = { memoryId: 'm', createdAt: new Date(0), metadata: {} };
    const scores = await r.rerank(
      'painting class',
      [
        { ...base, id: '1', text: 'I paint', scores: { vector: 0.5, keyword: 0.5, fused: 0.4, context: 0.1, retrieval: 0.5 } },
        { ...base, id: '2', text: 'a painting class', scores: { vector: 0.4, keyword: 0.4, fused: 0.45, context: 0, retrieval: 0.45 } },
      ],
      signal,
    );
    expect(scores[0]).toBe(0.5);
    expect(scores[1]).toBeCloseTo(0.55);
  });

  it('lifts the turns spoken by someone the query names, not the turns that only mention them', async () => {
    const r = new OfflineReranker({ exactWordWeight: 0, speakerWeight: 0.15 });
    const base = { memoryId: 'm', createdAt: new Date(0), metadata: {} };
    const at = (id: string, text: string) => ({ ...base, id, text, scores: { vector: 0.3, keyword: 0.3, fused: 0.3, context: 0, retrieval: 0.3 } });
    const scores = await r.rerank(
      "What do Melanie's kids like?",
      [
        at('said', 'Melanie: They were stoked for the dinosaur exhibit!'),
        at('addressed', 'Caroline: Wow, Melanie, your kids are great!'),
        at('longer name', 'Melanie-Anne: my kids love it'),
        at('no label', 'Melanie said her kids like dinosaurs'),
      ],
      signal,
    );
    expect(scores.map((s) => Number(s.toFixed(3)))).toEqual([0.45, 0.3, 0.3, 0.3]);
    expect(r.maxLift).toBeCloseTo(0.15);
  });

  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(new OfflineReranker().rerank('q', [], ac.signal)).rejects.toThrow();
  });
});

describe('rerank stage', () => {
  const cands = fuse([hit('a', 0.6), hit('b', 0.5)], null);
  const texts = ['text a', 'text b'];

  it('orders by the reranker and reports its score', async () => {
    const flip: Reranker = { name: 'flip', rerank: async () => [0.1, 0.9] };
    const out = await rerankStage('q', cands, texts, unguarded(flip));
    expect(out.reranked).toBe(true);
    expect(out.hits.map((h) => [h.hit.chunkId, h.score, h.scores.rerank, h.text])).toEqual([
      ['b', 0.9, 0.9, 'text b'],
      ['a', 0.1, 0.1, 'text a'],
    ]);
  });

  it('without a reranker, or when it fails or answers nonsense, keeps the fused order un-reranked', async () => {
    const failing: Reranker = { name: 'x', rerank: async () => Promise.reject(new Error('down')) };
    const short: Reranker = { name: 'y', rerank: async () => [1] };
    const skipped = { rerank: async () => ({ reranked: false as const }) };
    const disabled = { enabled: false, rerank: async () => ({ reranked: true as const, scores: [9, 9] }) };
    for (const r of [undefined, unguarded(failing), unguarded(short), skipped, disabled]) {
      const out = await rerankStage('q', cands, texts, r);
      expect(out.reranked).toBe(false);
      expect(out.hits.map((h) => [h.hit.chunkId, h.score, h.scores.rerank])).toEqual([
        ['a', 0.6, null],
        ['b', 0.5, null],
      ]);
    }
  });
});

describe('reachable', () => {
  const cand = (id: string, fused: number) => ({ hit: hit(id, fused), scores: { vector: fused, keyword: null, fused, context: 0, retrieval: fused } });

  it('keeps the first k and those within maxLift of the k-th fused score', () => {
    const list = [cand('a', 0.9), cand('b', 0.8), cand('c', 0.76), cand('d', 0.75), cand('e', 0.7)];
    expect(reachable(list, 2, 0.05).map((c) => c.hit.chunkId)).toEqual(['a', 'b', 'c', 'd']);
    expect(reachable(list, 2, 0).map((c) => c.hit.chunkId)).toEqual(['a', 'b']);
    expect(reachable(list, 2, undefined)).toHaveLength(5);
    expect(reachable(list, 9, 0.01)).toHaveLength(5);
  });

  it('changes no answer of the offline reranker: the top k with and without the cut are the same', async () => {
    let seed = 5;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const words = ['painting', 'sunset', 'guitar', 'lesson', 'hiking', 'trip', 'birthday', 'party'];
    const reranker = new OfflineReranker();
    const plain = { rerank: unguarded(reranker).rerank }; // the same reranker, no bound declared
    for (let round = 0; round < 200; round++) {
      const n = 5 + Math.floor(rand() * 30);
      const k = 1 + Math.floor(rand() * 10);
      const candidates = Array.from({ length: n }, (_, i) => cand(`c${i}`, Math.round(rand() * 40) / 100)).sort(
        (x, y) => y.scores.retrieval - x.scores.retrieval || (x.hit.chunkId < y.hit.chunkId ? -1 : 1),
      );
      const textOf = new Map(candidates.map((c) => [c.hit.chunkId, words.filter(() => rand() < 0.3).join(' ')]));
      const query = words.filter(() => rand() < 0.4).join(' ') || 'painting';
      const run = async (list: readonly Candidate[], runner: Parameters<typeof rerankStage>[3]) =>
        (await rerankStage(query, list, list.map((c) => textOf.get(c.hit.chunkId)!), runner)).hits
          .slice(0, k)
          .map((h) => [h.hit.chunkId, h.score]);
      const cut = reachable(candidates, k, reranker.maxLift);
      expect(await run(cut, unguarded(reranker))).toEqual(await run(candidates, plain));
    }
  });
});
