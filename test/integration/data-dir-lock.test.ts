import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPGlite } from '../../src/store/pglite.js';
import { CLI, runCli, startServe, type ServeProcess } from '../helpers/cli.js';
import { backend } from '../helpers/database.js';

/**
 * Two processes on one embedded data directory lose acknowledged writes, so the second one must
 * refuse to start. Real `engram` processes on a real directory. The lock is PGlite's alone: the
 * postgres project has nothing to lock, so only the pglite project runs it.
 */
describe.skipIf(backend() !== 'pglite')('exclusive lock on the embedded data directory', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  const started: ServeProcess[] = [];

  beforeAll(() => {
    // Here, not in the describe body: a skipped suite still runs its body, but never afterAll.
    dataDir = mkdtempSync(join(tmpdir(), 'engram-lock-'));
    env = { ...process.env, ENGRAM_DATA_DIR: dataDir, PORT: '0', EMBEDDING_THREADS: '1', LOG_LEVEL: 'info' };
    delete env.DATABASE_URL;
  });

  afterAll(() => {
    for (const s of started) s.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function index(url: string, text: string): Promise<string> {
    const { stdout: token } = await runCli('node', [...CLI, 'token', '--user', 'alice', '--ttl', '10m'], { env });
    const res = await fetch(`${url}/api/v1/memory/index`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.trim()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'alice', text }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { memory_id: string }).memory_id;
  }

  it('a second serve and a migrate refuse to start, naming the directory and the holder; after kill -9 a new serve takes over', async () => {
    const first = await startServe(env);
    started.push(first);
    const memoryId = await index(first.url, 'The lock keeps this note safe.');
    const pid = first.child.pid!;

    // Bounded: without the lock this second serve would start and run until killed.
    const second = await runCli('node', [...CLI, 'serve'], { env, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect((second as { code: number }).code).toBe(1);
    const message = (second as { stderr: string }).stderr;
    expect(message).toContain(resolve(dataDir, 'pgdata'));
    expect(message).toContain(`process ${pid}`);
    expect(message).toMatch(/in use by/);

    const migrate = await runCli('node', [...CLI, 'migrate'], { env, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect((migrate as { code: number }).code).toBe(1);
    expect((migrate as { stderr: string }).stderr).toContain(`process ${pid}`);
    expect(first.child.exitCode).toBeNull(); // the holder is untouched

    // A crash leaves the lock behind; its holder is gone, so the next start takes it over.
    first.child.kill('SIGKILL');
    await first.exited;
    const third = await startServe(env);
    started.push(third);
    const { stdout: token } = await runCli('node', [...CLI, 'token', '--user', 'alice', '--ttl', '10m'], { env });
    const res = await fetch(`${third.url}/api/v1/memory/${memoryId}?user_id=alice`, { headers: { authorization: `Bearer ${token.trim()}` } });
    expect(res.status).toBe(200);

    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    // A clean stop releases the lock: migrate may open the directory now.
    const { stdout } = await runCli('node', [...CLI, 'migrate'], { env });
    expect(stdout).toMatch(/database ready \(pglite/);
  }, 240_000);

  it('openPGlite itself takes the lock: another process opening the directory is refused, and may open it once released', async () => {
    const dir = join(dataDir, 'direct');
    const held = await openPGlite(dir);
    const open = `import('./src/store/pglite.ts').then((m) => m.openPGlite(${JSON.stringify(dir)})).then((db) => db.close())`;
    const refused = await runCli('node', ['--import', 'tsx', '-e', open], { timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect((refused as { code: number }).code).not.toBe(0);
    expect((refused as { stderr: string }).stderr).toContain(`${resolve(dir)} is in use by process ${process.pid}`);
    await held.close();
    await runCli('node', ['--import', 'tsx', '-e', open], { timeout: 60_000 });
  }, 120_000);
});
