import { describe, expect, it } from 'vitest';
import { sweeperCheck } from '../../src/verify/http-checks.js';

const metrics = (ok: number, error: number, failing: number) =>
  `memory_expiry_sweeps_total{outcome="ok"} ${ok}\nmemory_expiry_sweeps_total{outcome="error"} ${error}\nmemory_expiry_sweeper_failing ${failing}\n`;

describe('engram verify: the expiry sweeper', () => {
  it('fails when its last pass failed, naming the usual cause', () => {
    expect(sweeperCheck(metrics(0, 3, 1))).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('DATABASE_OWNER_URL') });
    expect(sweeperCheck(metrics(5, 1, 1)).status).toBe('FAIL');
  });
  it('passes when it works, even after earlier failures', () => {
    expect(sweeperCheck(metrics(2, 1, 0))).toMatchObject({ status: 'PASS', detail: 'it works (2 passes, 1 failed)' });
  });
  it('says so when it is off on this node or has not finished a pass', () => {
    expect(sweeperCheck('memory_expiry_sweeper_failing 0\n')).toMatchObject({ status: 'SKIP', detail: expect.stringContaining('off on this node') });
    expect(sweeperCheck(metrics(0, 0, 0))).toMatchObject({ status: 'SKIP', detail: expect.stringContaining('not finished a pass') });
  });
});
