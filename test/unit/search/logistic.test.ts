import { describe, expect, it } from 'vitest';
import { expectedCalibrationError, fitLogistic } from '../../../bench/calibrate/logistic.js';

describe('calibration fit (bench/calibrate)', () => {
  it('recovers the coefficients of a logistic model from its samples', () => {
    // y ~ Bernoulli(sigmoid(-2 + 3x)), x on a grid: the fit lands near (-2, 3).
    const xs: number[][] = [];
    const ys: number[] = [];
    for (let i = 0; i <= 200; i++) {
      const x = i / 100;
      const p = 1 / (1 + Math.exp(-(-2 + 3 * x)));
      // 100 draws at each x, as counts: round(100 p) ones.
      const ones = Math.round(100 * p);
      for (let k = 0; k < 100; k++) {
        xs.push([x, 0.5]); // a constant feature gets weight 0
        ys.push(k < ones ? 1 : 0);
      }
    }
    const fit = fitLogistic(xs, ys, 0);
    expect(fit.intercept).toBeCloseTo(-2, 1);
    expect(fit.weights[0]).toBeCloseTo(3, 1);
  });

  it('measures the expected calibration error over 10 bins', () => {
    expect(expectedCalibrationError([0.05, 0.05, 0.95, 0.95], [0, 0, 1, 1])).toBeCloseTo(0.05);
    expect(expectedCalibrationError([0.9, 0.9], [0, 0])).toBeCloseTo(0.9);
  });
});
