import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const key = () => randomBytes(32).toString('base64');
const secrets = () => ({ JWT_SECRET: 's'.repeat(40), ENGRAM_KEK: key(), ENGRAM_HASH_KEY: key() });
const tmp = () => mkdtempSync(join(tmpdir(), 'engram-config-'));

describe('loadConfig', () => {
  it('gives the embedded defaults', () => {
    const c = loadConfig({ ...secrets(), ENGRAM_DATA_DIR: '/data/x' });
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, env: 'development', migrateOnStart: true });
    expect(c.database).toEqual({ kind: 'pglite', dataDir: '/data/x/pgdata' });
    expect(c.embeddings).toEqual({ provider: 'use-lite', threads: undefined, timeoutMs: 30_000, queueMax: 512 });
    expect(c.timeouts).toEqual({ httpRequestMs: 30_000, readyzMs: 2000, shutdownGraceMs: 10_000 });
    expect(c.keys.kek.activeVersion).toBe(1);
  });

  it('gives the PostgreSQL settings: no pooler by default, a transaction-mode pooler when named', () => {
    const url = 'postgres://engram@db:5432/engram';
    const d = loadConfig({ ...secrets(), DATABASE_URL: url });
    expect(d.database).toMatchObject({ kind: 'postgres', url, ownerUrl: url, poolMax: 10, pooler: 'none' });
    expect(loadConfig({ ...secrets(), DATABASE_URL: url, DATABASE_POOLER: 'transaction' }).database).toMatchObject({ pooler: 'transaction' });
    expect(() => loadConfig({ ...secrets(), DATABASE_URL: url, DATABASE_POOLER: 'pgbouncer' })).toThrow('DATABASE_POOLER');
  });

  it('gives the vector search settings, defaults or given', () => {
    expect(loadConfig(secrets()).vectorSearch).toEqual({ exactBelow: 2000, efSearch: 100, maxScanTuples: 20_000 });
    const c = loadConfig({
      ...secrets(),
      VECTOR_SEARCH_EXACT_BELOW: '500',
      VECTOR_SEARCH_EF_SEARCH: '200',
      VECTOR_SEARCH_MAX_SCAN_TUPLES: '50000',
    });
    expect(c.vectorSearch).toEqual({ exactBelow: 500, efSearch: 200, maxScanTuples: 50_000 });
    expect(() => loadConfig({ ...secrets(), VECTOR_SEARCH_EF_SEARCH: '0' })).toThrow('VECTOR_SEARCH_EF_SEARCH');
  });

  it('gives the lifecycle settings (expiry, sweeper, dedup), defaults or given', () => {
    const d = loadConfig(secrets());
    expect(d.expiry).toEqual({ defaultTtlSeconds: undefined, sweepIntervalMs: 60_000, sweepBatch: 500 });
    expect(d.dedup).toEqual({ enabled: true });
    expect(loadConfig({ ...secrets(), MEMORY_DEFAULT_TTL_SECONDS: '' }).expiry.defaultTtlSeconds).toBeUndefined();
    const c = loadConfig({
      ...secrets(),
      MEMORY_DEFAULT_TTL_SECONDS: '86400',
      EXPIRY_SWEEP_INTERVAL_MS: '0',
      EXPIRY_SWEEP_BATCH: '50',
      DEDUP_ENABLED: 'false',
    });
    expect(c.expiry).toEqual({ defaultTtlSeconds: 86_400, sweepIntervalMs: 0, sweepBatch: 50 });
    expect(c.dedup).toEqual({ enabled: false });
    for (const bad of ['0', '-5', '1.5', 'soon', String(10 * 365 * 24 * 3600 + 1)]) {
      expect(() => loadConfig({ ...secrets(), MEMORY_DEFAULT_TTL_SECONDS: bad }), bad).toThrow('MEMORY_DEFAULT_TTL_SECONDS');
    }
    expect(() => loadConfig({ ...secrets(), EXPIRY_SWEEP_BATCH: '0' })).toThrow('EXPIRY_SWEEP_BATCH');
  });

  it('parses several versioned KEKs; the highest version is active', () => {
    const c = loadConfig({ ...secrets(), ENGRAM_KEK: `1:${key()},3:${key()}\n2:${key()}` });
    expect([...c.keys.kek.keys.keys()].sort()).toEqual([1, 2, 3]);
    expect(c.keys.kek.activeVersion).toBe(3);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ ENGRAM_KEK: 'too-short' }, 'ENGRAM_KEK'],
    [{ ENGRAM_KEK: `1:${key()},1:${key()}` }, 'version 1 twice'],
    [{ ENGRAM_HASH_KEY: randomBytes(16).toString('base64') }, 'ENGRAM_HASH_KEY'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ DATABASE_URL: 'mysql://db/x' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ EMBEDDINGS_PROVIDER: 'openai' }, 'EMBEDDINGS_URL'],
    [{ JWT_MAX_TOKEN_AGE_SEC: '0' }, 'JWT_MAX_TOKEN_AGE_SEC'],
    [{ JWT_MAX_TOKEN_AGE_SEC: 'an hour' }, 'JWT_MAX_TOKEN_AGE_SEC'],
  ])('a bad value stops the start with a message naming it: %j', (bad, name) => {
    expect(() => loadConfig({ ...secrets(), ...bad })).toThrow(ConfigError);
    expect(() => loadConfig({ ...secrets(), ...bad })).toThrow(name);
  });

  it('reads secrets from *_FILE and refuses both forms at once', () => {
    const dir = tmp();
    const kek = key();
    writeFileSync(join(dir, 'kek'), `${kek}\n`);
    const c = loadConfig({ ...secrets(), ENGRAM_KEK: undefined, ENGRAM_KEK_FILE: join(dir, 'kek') });
    expect(c.keys.kek.keys.get(1)!.toString('base64')).toBe(kek);
    expect(() => loadConfig({ ...secrets(), ENGRAM_KEK_FILE: join(dir, 'kek') })).toThrow(/not both/);
    expect(() => loadConfig({ ...secrets(), ENGRAM_KEK: undefined, ENGRAM_KEK_FILE: join(dir, 'missing') })).toThrow(
      /ENGRAM_KEK_FILE/,
    );
  });

  it('in embedded mode generates missing secrets once, 0600, with a warning, and reuses them', () => {
    const dir = join(tmp(), 'data');
    const warnings: string[] = [];
    const first = loadConfig({ ENGRAM_DATA_DIR: dir }, { warn: (m) => warnings.push(m) });
    const path = join(dir, 'secrets.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(warnings[0]).toMatch(/generated development secrets/);
    const second = loadConfig({ ENGRAM_DATA_DIR: dir });
    expect(second.jwt.secret).toBe(first.jwt.secret);
    expect(second.keys.hashKey.equals(first.keys.hashKey)).toBe(true);
    expect(Object.keys(JSON.parse(readFileSync(path, 'utf8'))).sort()).toEqual(['ENGRAM_HASH_KEY', 'ENGRAM_KEK', 'JWT_SECRET']);
    chmodSync(path, 0o644);
    expect(() => loadConfig({ ENGRAM_DATA_DIR: dir })).toThrow(/readable by other users/);
  });

  it('in production, a public key or JWKS needs JWT_AUDIENCE and JWT_ISSUER (named in the error)', () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----';
    for (const keySource of [{ JWT_PUBLIC_KEY: pem }, { JWT_JWKS_URL: 'https://id.example/.well-known/jwks.json' }]) {
      const prod = { NODE_ENV: 'production', ...secrets(), ...keySource };
      expect(() => loadConfig(prod)).toThrow(/JWT_AUDIENCE is required in production[\s\S]*JWT_ISSUER is required in production/);
      expect(() => loadConfig({ ...prod, JWT_AUDIENCE: 'engram' })).toThrow(/JWT_ISSUER/);
      expect(() => loadConfig({ ...prod, JWT_ISSUER: 'https://id.example' })).toThrow(/JWT_AUDIENCE/);
      const ok = loadConfig({ ...prod, JWT_AUDIENCE: 'engram', JWT_ISSUER: 'https://id.example' });
      expect(ok.jwt).toMatchObject({ audience: 'engram', issuer: 'https://id.example' });
      // Outside production, and in production with only the HS256 secret Engram mints itself, not required.
      expect(() => loadConfig({ ...prod, NODE_ENV: 'development' })).not.toThrow();
    }
    expect(() => loadConfig({ NODE_ENV: 'production', ...secrets() })).not.toThrow();
    expect(loadConfig({ ...secrets(), JWT_MAX_TOKEN_AGE_SEC: '3600' }).jwt.maxTokenAgeSec).toBe(3600);
  });

  it('refuses to generate secrets in production or for a shared database', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', ENGRAM_DATA_DIR: tmp() })).toThrow(/NODE_ENV=production requires/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://h/db', ENGRAM_DATA_DIR: tmp() })).toThrow(/missing/);
    expect(() => loadConfig({ NODE_ENV: 'production', ...secrets() })).not.toThrow();
  });
});
