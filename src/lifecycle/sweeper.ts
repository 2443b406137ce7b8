import type { Metrics } from '../metrics/metrics.js';
import type { Database } from '../store/database.js';
import { lifecycleRepository } from '../store/lifecycle-repository.js';
import type { Maintenance } from '../store/maintenance.js';
import { tenantCatalog } from '../store/tenant-catalog.js';
import { lockTenant } from '../store/tenant-lock.js';

export interface SweeperDeps {
  db: Database;
  /** Runs fn with a maintenance runner (store/open.ts withMaintenance: PGlite's own connection, or one owner connection). */
  withMaintenance: <T>(fn: (maintenance: Maintenance) => Promise<T>) => Promise<T>;
  metrics: Pick<Metrics, 'expiredDeleted' | 'expirySweeps' | 'expirySweeperFailing'>;
  log?: { info(message: string): void; warn(message: string): void };
}

export interface SweeperOptions {
  /** Pause between passes; 0: the sweeper never runs. */
  intervalMs: number;
  /** Memories deleted per transaction. */
  batchSize: number;
}

/** Tenants listed per maintenance transaction. */
const TENANT_PAGE = 100;

/**
 * Deletes expired memories in the background. Expired memories are already invisible to every read
 * (store/memory-repository.ts `live`); the sweeper reclaims their rows: memories, and by cascade
 * their chunks, keyword entries and entity mentions (an entity no mention supports goes too).
 *
 * A pass lists the tenants with expired memories as engram_maintenance (it sees user_hash and
 * expires_at only), then per tenant, as engram_app under the tenant lock (shared: an erase waits
 * for it), deletes `batchSize` memories per transaction until fewer remain. Rows another transaction
 * holds are skipped (FOR UPDATE SKIP LOCKED), so sweepers on several nodes share the work and each
 * memory is deleted, and counted in memory_expired_deleted_total, exactly once.
 *
 * Started by the server (`start`), not by building the app; `stop` ends it between two batches.
 */
export class ExpirySweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly deps: SweeperDeps,
    private readonly options: SweeperOptions,
  ) {}

  get enabled(): boolean {
    return this.options.intervalMs > 0;
  }

  start(): void {
    if (!this.enabled || this.stopped || this.timer || this.running) return;
    // Both series from 0, so that the first failure is already an increase (MemoryExpirySweeperFailing).
    for (const outcome of ['ok', 'error']) this.deps.metrics.expirySweeps.inc({ outcome }, 0);
    // The first pass at once: a sweeper that cannot run (the login is not in engram_maintenance) says
    // so at start (log, memory_expiry_sweeper_failing, engram verify), not an interval later.
    this.schedule(0);
  }

  /** Stops the timer and waits for a pass in progress (it ends after its current batch). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One full pass over every tenant with expired memories; returns how many memories it deleted. */
  async sweepOnce(): Promise<number> {
    return this.deps.withMaintenance(async (maintenance) => {
      let deleted = 0;
      let after = '';
      while (!this.stopped) {
        const tenants = await maintenance((q) => tenantCatalog.expiredTenants(q, after, TENANT_PAGE));
        for (const userHash of tenants) {
          if (this.stopped) break;
          deleted += await this.sweepTenant(userHash);
        }
        if (tenants.length < TENANT_PAGE) break;
        after = tenants.at(-1)!;
      }
      return deleted;
    });
  }

  private async sweepTenant(userHash: string): Promise<number> {
    const { batchSize } = this.options;
    let deleted = 0;
    for (;;) {
      const n = await this.deps.db.withTenant(userHash, async (tx) => {
        await lockTenant(tx, userHash, 'shared');
        return lifecycleRepository.deleteExpired(tx, userHash, batchSize);
      });
      this.deps.metrics.expiredDeleted.inc(n);
      deleted += n;
      // Fewer than a batch: done, or the rest is held by another node's sweeper (it finishes them).
      if (n < batchSize || this.stopped) return deleted;
    }
  }

  private schedule(delayMs = this.options.intervalMs): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.pass().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.schedule();
      });
    }, delayMs);
    // A pending pass does not keep the process alive.
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    const { metrics, log } = this.deps;
    try {
      const deleted = await this.sweepOnce();
      metrics.expirySweeps.inc({ outcome: 'ok' });
      metrics.expirySweeperFailing.set(0);
      if (this.failing) log?.info('expiry sweeper: working again');
      this.failing = false;
      if (deleted > 0) log?.info(`expiry sweeper: deleted ${deleted} expired memor${deleted === 1 ? 'y' : 'ies'}`);
    } catch (err) {
      metrics.expirySweeps.inc({ outcome: 'error' });
      metrics.expirySweeperFailing.set(1);
      // Said once per streak of failures, not every interval; the metric counts each one.
      if (!this.failing) log?.warn(`expiry sweeper: pass failed (${describe(err)}); expired memories stay invisible and are deleted once it works`);
      this.failing = true;
    }
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  // The owner login (DATABASE_OWNER_URL, else DATABASE_URL) must be a member of engram_maintenance.
  if (e?.code === '42501') return `${e.message}: grant engram_maintenance to the login of DATABASE_OWNER_URL and run engram migrate`;
  return e?.message ?? String(err);
}
