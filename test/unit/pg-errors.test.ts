import { describe, expect, it } from 'vitest';
import { isConnectionFailure, toUnavailable } from '../../src/store/pg-errors.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('database errors a client should retry', () => {
  it('takes connection exceptions, shutdowns and driver-level breaks as unavailable', () => {
    for (const err of [
      pgError('08006', 'connection to the remote node postgres@127.0.0.1:9702 failed with the following error: connection not open'),
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      new Error('Connection terminated unexpectedly'),
    ]) {
      expect(toUnavailable(err)?.code, err.message).toBe('DATABASE_UNAVAILABLE');
    }
  });

  it('takes Citus\'s internal errors for a worker lost mid-transaction as unavailable', () => {
    for (const err of [
      pgError('XX000', 'could not commit transaction for shard 102008 on at least one active node'),
      pgError('XX000', 'SSL SYSCALL error: EOF detected\ninvalid socket'),
      pgError('XX000', "failed to prepare transaction 'citus_0_123_4_5' on host 127.0.0.1:9702"),
      pgError('XX000', 'failure on connection marked as essential: 127.0.0.1:9702'),
      pgError('XX000', 'server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally'),
    ]) {
      expect(isConnectionFailure(err), err.message).toBe(true);
      expect(toUnavailable(err)?.retryAfter).toBeGreaterThan(0);
    }
  });

  it('leaves other internal errors, and the same words under another code, to the 500 handler', () => {
    for (const err of [
      pgError('XX000', 'unexpected number of columns from worker: 3, expected 2'),
      pgError('XX000', 'cache lookup failed for relation 12345'),
      pgError('23505', 'SSL SYSCALL error: duplicate key'),
      pgError('42501', 'new row violates row-level security policy for table "memories"'),
    ]) {
      expect(toUnavailable(err), err.message).toBeUndefined();
    }
  });

  it('takes a statement timeout as unavailable, with its own message', () => {
    expect(toUnavailable(pgError('57014', 'canceling statement due to statement timeout'))?.detail).toMatch(/did not answer in time/);
  });
});
