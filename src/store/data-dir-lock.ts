import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import lockfile from 'proper-lockfile';

/** The lock's mtime is refreshed every UPDATE_MS; one older than STALE_MS is a crashed holder's. */
const STALE_MS = 10_000;
const UPDATE_MS = 2_000;
const RETRY_MS = 1_000;

interface Holder {
  pid: number;
  host: string;
  since: string;
}

/** Another process holds the data directory. The message names the directory and the holder. */
export class DataDirLockedError extends Error {
  readonly code = 'EDATADIRLOCKED';
  constructor(dir: string, holder: Holder | undefined) {
    const who = holder ? `process ${holder.pid} on ${holder.host} (since ${holder.since})` : 'another process';
    super(
      `the data directory ${dir} is in use by ${who}. Only one Engram process may open an embedded data ` +
        'directory: stop the other one (or give this one its own ENGRAM_DATA_DIR, or use PostgreSQL to run several)',
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

/** Directories this process holds: a second open in the same process is refused too. */
const heldHere = new Set<string>();

function readHolder(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? { pid: h.pid, host: h.host, since: String(h.since) } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid runs here (EPERM: it exists, under another user). */
function isAlive(pid: number): boolean {
  if (pid === process.pid) return false; // an earlier run of this very process id (a restarted container)
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Fails fast, without taking the lock, when a live process holds the directory: the CLI calls it
 * before the slow start-up work (loading the model). lockDataDir() stays the authority.
 */
export async function assertDataDirFree(dataDir: string): Promise<void> {
  const dir = resolve(dataDir);
  const locked = await lockfile.check(dir, { lockfilePath: `${dir}.lock`, realpath: false, stale: STALE_MS }).catch(() => false);
  if (!locked) return;
  const holder = readHolder(`${dir}.lock.json`);
  if (holder?.host === hostname() && !isAlive(holder.pid)) return; // a crashed holder: the open takes it over
  throw new DataDirLockedError(dir, holder);
}

/**
 * Takes an exclusive lock on an embedded data directory (proper-lockfile: an atomic `mkdir` of
 * `<dir>.lock`, kept fresh while held, released on exit) and records the holder in `<dir>.lock.json`.
 *
 * - Held by a live process: refused at once with DataDirLockedError.
 * - Left by a crashed process on this host (its pid is gone): taken over at once.
 * - Holder unknown or on another host (a shared volume): waited for until the lock goes stale
 *   (STALE_MS without a refresh), then taken over; refused if it stays fresh.
 * Losing the lock while running (it was removed, or this process stalled past STALE_MS) throws from
 * a timer, which ends the process: two writers on one PGlite directory lose data.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  const lockPath = `${dir}.lock`;
  const holderPath = `${dir}.lock.json`;
  if (heldHere.has(dir)) throw new DataDirLockedError(dir, { pid: process.pid, host: hostname(), since: 'this process' });

  let releaseLock: () => Promise<void>;
  const deadline = Date.now() + STALE_MS + UPDATE_MS + RETRY_MS;
  let tookOver = false;
  for (;;) {
    try {
      releaseLock = await lockfile.lock(dir, {
        lockfilePath: lockPath,
        realpath: false,
        stale: STALE_MS,
        update: UPDATE_MS,
        onCompromised: (err) => {
          throw new Error(`lost the lock on the data directory ${dir} (${err.message}); stopping so that two processes never write it`);
        },
      });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      const holder = readHolder(holderPath);
      const local = holder?.host === hostname();
      if (local && !isAlive(holder.pid) && !tookOver) {
        tookOver = true; // once: if it is locked again right away, a live process got there first
        rmSync(lockPath, { recursive: true, force: true });
        continue;
      }
      if (local || Date.now() >= deadline) throw new DataDirLockedError(dir, holder);
      await sleep(RETRY_MS);
    }
  }
  heldHere.add(dir);
  writeFileSync(holderPath, `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })}\n`, {
    mode: 0o600,
  });
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      heldHere.delete(dir);
      rmSync(holderPath, { force: true });
      await releaseLock().catch(() => {}); // already compromised or removed: nothing left to release
    },
  };
}
