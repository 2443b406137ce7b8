import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import type { Queryable } from '../store/database.js';

// The modules a command needs are loaded when it runs: `engram token` and `--help` start in a fraction of the time.
const store = () => import('../store/open.js');
const keyModules = async () => ({
  ...(await import('../keys/key-rotation.js')),
  ...(await import('../crypto/data-keys.js')),
  ...(await import('../store/key-repository.js')),
  ...(await import('../memory/chunk-reseal.js')),
});

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error('--batch-size must be an integer in 1..10000');
  return n;
};

/** `engram keys status|rotate`: call the domain directly, on the configured database. */
export function registerKeyCommands(program: Command, config: () => Config) {
  const keys = program.command('keys').description('data keys: which KEK versions wrap them, re-wrap under the newest');

  keys
    .command('status')
    .description('how many data keys each KEK version wraps, which versions can be removed from ENGRAM_KEK')
    .action(async () => {
      const cfg = config();
      const { openForMaintenance, withMaintenance } = await store();
      const { keyStatus } = await keyModules();
      const db = await openForMaintenance(cfg.database);
      try {
        const status = await withMaintenance(cfg.database, db, (maintenance) => keyStatus({ maintenance, kek: cfg.keys.kek }));
        const versions = [...new Set([...status.configured, ...status.keysByVersion.keys()])].sort((a, b) => a - b);
        console.log('KEK version  data keys  configured');
        for (const v of versions) {
          const note = v === status.activeVersion ? 'yes (newest: wraps new keys)' : status.configured.includes(v) ? 'yes' : 'NO';
          console.log(`${String(v).padStart(11)}  ${String(status.keysByVersion.get(v) ?? 0).padStart(9)}  ${note}`);
        }
        const behind = [...status.keysByVersion].filter(([v]) => v !== status.activeVersion).reduce((s, [, n]) => s + n, 0);
        console.log(behind ? `${behind} key(s) not on version ${status.activeVersion}: run engram keys rotate` : `all keys on version ${status.activeVersion}`);
        if (status.removable.length) console.log(`removable from ENGRAM_KEK (wrap no key): ${status.removable.join(', ')}`);
        if (status.missing.length) console.log(`NOT configured but still wrapping keys: ${status.missing.join(', ')}`);
        console.log(`chunks under the old AAD: ${status.legacyChunks}${status.legacyChunks ? ' (run engram migrate)' : ''}`);
        if (status.missing.length) process.exitCode = 1;
      } finally {
        await db.close();
      }
    });

  keys
    .command('rotate')
    .description('re-wrap every data key under the newest ENGRAM_KEK version, online, resumable')
    .option('--batch-size <n>', 'keys re-wrapped per transaction', positiveInt, 100)
    .action(async (opts: { batchSize: number }) => {
      const cfg = config();
      const { openForMaintenance, withMaintenance } = await store();
      const { DataKeys, keyRepository, rotateKeys } = await keyModules();
      const db = await openForMaintenance(cfg.database);
      const started = performance.now();
      try {
        const dataKeys = new DataKeys<Queryable>(cfg.keys.kek, keyRepository);
        const result = await withMaintenance(cfg.database, db, (maintenance) =>
          rotateKeys(
            { db, maintenance, kek: cfg.keys.kek, dataKeys },
            {
              batchSize: opts.batchSize,
              onProgress: (p) =>
                console.log(`re-wrapping under KEK version ${p.toVersion}: ${p.done}/${p.total} (rotated ${p.rotated}, skipped ${p.skipped})`),
            },
          ),
        );
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        console.log(`done: ${result.rotated} key(s) re-wrapped under version ${result.toVersion} in ${seconds} s; see engram keys status`);
      } finally {
        await db.close();
      }
    });
}

/** After `engram migrate`: re-seal chunks still under the old AAD. */
export async function resealAfterMigrate(cfg: Config, log: (m: string) => void) {
  const { openForMaintenance, withMaintenance } = await store();
  const { DataKeys, keyRepository, resealLegacyChunks } = await keyModules();
  const db = await openForMaintenance(cfg.database);
  try {
    const dataKeys = new DataKeys<Queryable>(cfg.keys.kek, keyRepository);
    const result = await withMaintenance(cfg.database, db, (maintenance) => resealLegacyChunks({ db, maintenance, dataKeys }, { log }));
    if (result.refused) log(`warning: ${result.refused} chunk(s) under the old AAD did not verify against their memory and stay unreadable`);
  } finally {
    await db.close();
  }
}
