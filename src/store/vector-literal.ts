/**
 * A pgvector literal. pgvector stores float4, and nine significant digits identify every float4, so
 * each component is written with at most nine (the stored vector is the same as with JavaScript's
 * full seventeen: the float4 nearest each value); the literal is about 40% shorter, which the server parses faster.
 */
export function vectorLiteral(v: readonly number[]): string {
  return `[${v.map((x) => String(Number(Math.fround(x).toPrecision(9)))).join(',')}]`;
}
