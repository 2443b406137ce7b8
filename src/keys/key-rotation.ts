import type { DataKeys, KeyEncryptionKeys } from '../crypto/data-keys.js';
import type { Database, Queryable } from '../store/database.js';
import { keyRepository } from '../store/key-repository.js';
import type { Maintenance } from '../store/maintenance.js';
import { tenantCatalog } from '../store/tenant-catalog.js';
import { enterTenant } from '../store/tenant-context.js';

export interface KeyRotationDeps {
  db: Database;
  maintenance: Maintenance;
  kek: KeyEncryptionKeys;
  dataKeys: DataKeys<Queryable>;
}

export interface RotationProgress {
  /** Keys looked at so far in this run, of `total` that were not on the newest version at its start. */
  done: number;
  total: number;
  rotated: number;
  /** Keys gone meanwhile (the user was erased) or already rotated by another run. */
  skipped: number;
  toVersion: number;
}

export interface RotationOptions {
  /** Keys per transaction (and per listed page): one commit per batch, row locks held for its milliseconds. */
  batchSize?: number;
  onProgress?: (progress: RotationProgress) => void;
}

/**
 * Re-wraps every data key under the newest configured KEK, online. Keys are re-wrapped in short
 * transactions of `batchSize` keys: for each key the tenant is set (RLS stays in force), its row is
 * locked FOR UPDATE and rewritten; the batch commits at once (one WAL flush, not one per key).
 * Requests keep being served: reads see the old or the new wrapping, and both unwrap while both
 * KEKs are configured; writes do not lock key rows; an erase of a user in the batch waits for it.
 * Only rows not yet on the newest version are listed, so the command is idempotent and resumes
 * after a crash where it stopped. The data key itself does not change: no text is re-encrypted.
 */
export async function rotateKeys(deps: KeyRotationDeps, options: RotationOptions = {}): Promise<RotationProgress> {
  const batchSize = options.batchSize ?? 100;
  const toVersion = deps.kek.activeVersion;
  const total = await deps.maintenance(async (q) => {
    const byVersion = await tenantCatalog.keysByVersion(q);
    return [...byVersion].reduce((sum, [version, n]) => (version === toVersion ? sum : sum + n), 0);
  });
  const progress: RotationProgress = { done: 0, total, rotated: 0, skipped: 0, toVersion };
  options.onProgress?.({ ...progress });
  let after = '';
  for (;;) {
    const page = await deps.maintenance((q) => tenantCatalog.keysNotOn(q, toVersion, after, batchSize));
    if (page.length === 0) break;
    const outcomes = await deps.db.withTenant(page[0]!, async (tx) => {
      const done: ('rotated' | 'skipped')[] = [];
      for (const userHash of page) {
        await enterTenant(tx, userHash);
        done.push(await rewrap(deps, tx, userHash, toVersion));
      }
      return done;
    });
    progress.done += outcomes.length;
    progress.rotated += outcomes.filter((o) => o === 'rotated').length;
    progress.skipped += outcomes.filter((o) => o === 'skipped').length;
    after = page.at(-1)!;
    options.onProgress?.({ ...progress, total: Math.max(progress.total, progress.done) });
  }
  return { ...progress, total: Math.max(progress.total, progress.done) };
}

async function rewrap(deps: KeyRotationDeps, tx: Queryable, userHash: string, toVersion: number) {
  const row = await keyRepository.lockForRewrap(tx, userHash);
  if (!row || row.kekVersion === toVersion) return 'skipped' as const;
  const dek = deps.dataKeys.unwrap(userHash, row);
  await keyRepository.replace(tx, userHash, toVersion, deps.dataKeys.wrap(userHash, dek, toVersion));
  return 'rotated' as const;
}

export interface KeyStatus {
  activeVersion: number;
  configured: number[];
  /** Data keys per KEK version, as stored (a version may be stored and not configured). */
  keysByVersion: Map<number, number>;
  /** Configured, not the newest, and wrapping no key: can be removed from ENGRAM_KEK. */
  removable: number[];
  /** Stored but not configured: those users' data cannot be read until the version is configured again. */
  missing: number[];
  /** Chunks still sealed with the version-1 AAD (re-sealed by `engram migrate` / serve start). */
  legacyChunks: number;
}

export async function keyStatus(deps: Pick<KeyRotationDeps, 'maintenance' | 'kek'>): Promise<KeyStatus> {
  const { keysByVersion, legacyChunks } = await deps.maintenance(async (q) => ({
    keysByVersion: await tenantCatalog.keysByVersion(q),
    legacyChunks: await tenantCatalog.legacyChunkCount(q),
  }));
  const configured = [...deps.kek.keys.keys()].sort((a, b) => a - b);
  return {
    activeVersion: deps.kek.activeVersion,
    configured,
    keysByVersion,
    removable: configured.filter((v) => v !== deps.kek.activeVersion && !keysByVersion.get(v)),
    missing: [...keysByVersion.keys()].filter((v) => !deps.kek.keys.has(v)),
    legacyChunks,
  };
}
