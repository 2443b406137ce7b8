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
  constructor(private readonly v: readonly number[]) {}

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
