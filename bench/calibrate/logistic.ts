/**
 * Logistic regression by Newton's method (iteratively reweighted least squares) with a small L2
 * penalty on the weights (not the intercept), for a handful of features and some 10^5 rows: the
 * calibration fit of bench/calibrate.ts. Features that never vary get weight 0.
 */
export function fitLogistic(xs: readonly number[][], ys: readonly number[], l2 = 1e-6, iterations = 50): { intercept: number; weights: number[] } {
  const d = (xs[0]?.length ?? 0) + 1;
  const beta = new Array<number>(d).fill(0);
  const row = (x: readonly number[]) => [1, ...x];
  for (let it = 0; it < iterations; it++) {
    const grad = new Array<number>(d).fill(0);
    const hess = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (let n = 0; n < xs.length; n++) {
      const v = row(xs[n]!);
      const z = v.reduce((s, xi, i) => s + xi * beta[i]!, 0);
      const p = 1 / (1 + Math.exp(-z));
      const w = Math.max(p * (1 - p), 1e-9);
      for (let i = 0; i < d; i++) {
        grad[i]! += (ys[n]! - p) * v[i]!;
        for (let j = 0; j < d; j++) hess[i]![j]! += w * v[i]! * v[j]!;
      }
    }
    for (let i = 1; i < d; i++) {
      grad[i]! -= l2 * xs.length * beta[i]!;
      hess[i]![i]! += l2 * xs.length;
    }
    const step = solve(hess, grad);
    let moved = 0;
    for (let i = 0; i < d; i++) {
      beta[i]! += step[i]!;
      moved = Math.max(moved, Math.abs(step[i]!));
    }
    if (moved < 1e-8) break;
  }
  return { intercept: beta[0]!, weights: beta.slice(1) };
}

/** Gaussian elimination with partial pivoting; a singular direction (a constant feature) gets 0. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((r, i) => [...r, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    if (Math.abs(m[c]![c]!) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((r, i) => (Math.abs(r[i]!) < 1e-12 ? 0 : r[n]! / r[i]!));
}

/** Expected calibration error over `bins` equal-width bins of the predicted probability. */
export function expectedCalibrationError(predicted: readonly number[], actual: readonly number[], bins = 10): number {
  if (predicted.length === 0) return Number.NaN;
  const sum = Array.from({ length: bins }, () => ({ n: 0, p: 0, y: 0 }));
  predicted.forEach((p, i) => {
    const b = sum[Math.min(bins - 1, Math.floor(p * bins))]!;
    b.n++;
    b.p += p;
    b.y += actual[i]!;
  });
  return sum.reduce((e, b) => (b.n === 0 ? e : e + (b.n / predicted.length) * Math.abs(b.p / b.n - b.y / b.n)), 0);
}
