// The scale bench's embedder: the real model, or (while the corpus loads) precomputed vectors for the
// texts the loader registered. The app is built with it, so loading goes through Engram's own write
// path (route, chunking, encryption, keyword index, dedup, transactions) without the model's time.
import type { Embedder } from '../../src/embed/embedder.js';

export class BenchEmbedder implements Embedder {
  /** 'precomputed': every text must have been registered; 'model': the real model embeds. */
  mode: 'precomputed' | 'model' = 'model';
  private readonly known = new Map<string, number[]>();

  constructor(readonly real: Embedder) {}

  get model(): string {
    return this.real.model;
  }

  get dimensions(): number {
    return this.real.dimensions;
  }

  init(): Promise<void> {
    return this.real.init();
  }

  isReady(): boolean {
    return this.real.isReady();
  }

  /** The vector to return for this exact chunk text (until forgotten). */
  register(text: string, vector: number[]): void {
    this.known.set(text, vector);
  }

  forget(text: string): void {
    this.known.delete(text);
  }

  async embed(texts: string[]): Promise<number[][]> {
    if (this.mode === 'model') return this.real.embed(texts);
    return texts.map((t) => {
      const v = this.known.get(t);
      if (!v) throw new Error(`no precomputed vector for a text: ${t.slice(0, 80)}…`);
      return v;
    });
  }

  pending(): number {
    return this.mode === 'model' ? (this.real.pending?.() ?? 0) : 0;
  }

  close(): Promise<void> {
    return this.real.close();
  }
}
