/**
 * A pgvector literal. pgvector stores float4, and nine significant digits identify every float4, so
 * each component is written with at most nine (the stored vector is the same as with JavaScript's
 * full seventeen: the float4 nearest each value); the literal is about 40% shorter, which the server parses faster.
 */
export function vectorLiteral(v: readonly number[]): string {
  return `[${v.map((x) => String(Number(Math.fround(x).toPrecision(9)))).join(',')}]`;
}

/**
 * pgvector's binary form (vector_recv): int16 dimensions, int16 unused, then each component as a
 * big-endian float4 — the same float4s as the literal.
 */
export function vectorBinary(v: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(4 + 4 * v.length);
  out.writeInt16BE(v.length, 0);
  out.writeInt16BE(0, 2);
  for (let i = 0; i < v.length; i++) out.writeFloatBE(v[i]!, 4 + 4 * i);
  return out;
}

/**
 * A vector as a statement parameter, for both backends with no switch on which one: pg binds the
 * Buffer that `toPostgres` returns in binary, so PostgreSQL reads the float4s as they are (no text
 * to write in JS or to parse on the server: about 0.5 ms per 512-d vector here); PGlite binds every
 * parameter as text and takes `toString`, the literal. The statement must give the parameter the type
 * vector (`$n::vector(N)`, or an insert into a vector column), or the binary form is refused.
 */
export class VectorParam {
  constructor(protected readonly v: readonly number[]) {}

  toPostgres(): Buffer {
    return vectorBinary(this.v);
  }

  toString(): string {
    return vectorLiteral(this.v);
  }
}

export function vectorParam(v: readonly number[]): VectorParam {
  return new VectorParam(v);
}

/** The largest integer whose every smaller integer is an exact float4 (2^24 − 1). */
const FLOAT4_EXACT_INT = 2 ** 24 - 1;

/**
 * The literal of a cosine query vector for PGlite: the vector scaled so that its largest component is
 * 2^24 − 1 and rounded to integers. PGlite's WASM build parses a float component slowly (musl's
 * strtof: about 2.4 ms for 512 of them, on every query) and an integer fast (0.6 ms); cosine distance
 * does not change when a vector is scaled, and every integer up to 2^24 − 1 is an exact float4, so the
 * only change is the rounding to integers: at most half a unit in 2^24 of the largest component each,
 * which moves a cosine by less than 1e-7 for a 512-d vector (the float4 arithmetic's own order).
 * For `<=>` only: the scale would change an L2 or inner-product distance. A zero vector has no scale.
 */
export function cosineQueryLiteral(v: readonly number[]): string {
  let max = 0;
  for (const x of v) max = Math.max(max, Math.abs(x));
  if (!(max > 0) || !Number.isFinite(max)) return vectorLiteral(v);
  const scale = FLOAT4_EXACT_INT / max;
  return `[${v.map((x) => Math.round(x * scale)).join(',')}]`;
}

/**
 * The query vector of a cosine search (`<=>`) as a parameter: the exact float4s in binary for pg,
 * the scaled-integer literal (cosineQueryLiteral) for PGlite.
 */
export class CosineQueryParam extends VectorParam {
  override toString(): string {
    return cosineQueryLiteral(this.v);
  }
}

export function cosineQueryParam(v: readonly number[]): CosineQueryParam {
  return new CosineQueryParam(v);
}
