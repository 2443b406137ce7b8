import { afterAll, describe, expect, it } from 'vitest';
import { EmbedderOverloadedError, EmbedderTimeoutError, toEmbeddingAppError } from '../../src/embed/embedder-errors.js';
import { createUseLiteEmbedder } from '../../src/embed/use-lite.js';
import type { Embedder } from '../../src/embed/embedder.js';

/** The USE-lite pool is bounded in time and in queue length (real model, real worker threads). */
describe('USE-lite bounds', () => {
  const embedders: Embedder[] = [];
  const make = (opts: Parameters<typeof createUseLiteEmbedder>[0]) => {
    const e = createUseLiteEmbedder(opts);
    embedders.push(e);
    return e;
  };
  afterAll(async () => {
    for (const e of embedders) await e.close();
  });

  it('refuses a call at once when the queue is full, and admits again once it drained', async () => {
    const e = make({ threads: 1, queueMax: 4 });
    await e.init();
    const first = e.embed(['one', 'two', 'three']);
    // 3 admitted + 2 > 4: refused without waiting behind the first call.
    const refused = await e.embed(['four', 'five']).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(EmbedderOverloadedError);
    expect(toEmbeddingAppError(refused)).toMatchObject({ code: 'OVERLOADED', statusCode: 503, retryAfter: 2 });
    await expect(e.embed(['six'])).resolves.toHaveLength(1); // 3 + 1 fits
    await expect(first).resolves.toHaveLength(3);
    // A single call larger than the bound is admitted when nothing waits: it can always get its turn.
    await expect(e.embed(['a', 'b', 'c', 'd', 'e', 'f'])).resolves.toHaveLength(6);
  });

  it('ends a call that outlasts its timeout, and the pool keeps serving', async () => {
    const e = make({ threads: 1, timeoutMs: 1 });
    await e.init();
    const err = await e.embed(['a sentence long enough to take more than a millisecond '.repeat(20)]).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(EmbedderTimeoutError);
    expect(toEmbeddingAppError(err)).toMatchObject({ code: 'EMBEDDING_TIMEOUT', statusCode: 504 });
    expect(e.isReady()).toBe(true);
  });

  it('rejects invalid bounds', () => {
    expect(() => createUseLiteEmbedder({ timeoutMs: 0 })).toThrow(RangeError);
    expect(() => createUseLiteEmbedder({ queueMax: 0 })).toThrow(RangeError);
  });
});
