#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { decodeJwt } from 'jose';
import { ConfigError, findSigningSecret, loadConfig } from '../config/load.js';
import { ENVIRONMENT_VARIABLES, type Config } from '../config/schema.js';
import { VERSION } from '../version.js';
import { registerKeyCommands, resealAfterMigrate } from './keys.js';
import { registerTokenCommands } from './token.js';
import { busyPortMessage } from './port-check.js';
import { Limits } from '../memory/limits.js';

// What a command needs beyond the parser is imported when it runs: `engram token` and `--help` load no
// server, database driver, model or MCP SDK (under tsx that was most of a 7 s start).

/** Loads the configuration, printing warnings to stderr; a bad configuration ends the process. */
function config(warnings?: string[]): Config {
  try {
    return loadConfig(process.env, { warn: (m) => (warnings ? warnings.push(m) : console.error(`warning: ${m}`)) });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`engram: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

/** A data directory held by another process is refused before the model loads (seconds saved). */
async function refuseLockedDataDir(cfg: Config): Promise<void> {
  if (cfg.database.kind === 'pglite' && !cfg.database.dataDir.startsWith('memory://')) {
    const { assertDataDirFree } = await import('../store/data-dir-lock.js');
    await assertDataDirFree(cfg.database.dataDir);
  }
}

/**
 * Embedded mode with MIGRATE_ON_START off and no database in the data directory yet: the start would
 * create an empty database and secrets, then fail on the missing tables. Said before anything is created.
 */
function neverMigratedDataDir(env: NodeJS.ProcessEnv): string | undefined {
  const dataDir = env.ENGRAM_DATA_DIR || './.engram';
  if (env.DATABASE_URL || env.DATABASE_URL_FILE || dataDir.startsWith('memory://')) return undefined;
  if (!['0', 'false', 'no', 'off'].includes(env.MIGRATE_ON_START ?? '')) return undefined; // the forms config accepts
  if (existsSync(join(dataDir, 'pgdata'))) return undefined;
  return (
    `${resolve(dataDir)} holds no database yet and MIGRATE_ON_START is off, so there is nothing to start on: ` +
    'start once with MIGRATE_ON_START on (the default), or run `engram migrate` first; nothing was created'
  );
}

const parseBatchSize = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > Limits.batchItems) throw new InvalidArgumentError(`use 1 to ${Limits.batchItems}`);
  return n;
};

const program = new Command()
  .name('engram')
  .description('Engram: encrypted, per-user semantic memory for AI applications')
  .version(VERSION, '-v, --version', 'print the version')
  .showHelpAfterError()
  // A usage error (a missing option or argument, an unknown option, a bad value) exits 2, as the
  // commands' own usage checks do; help and version exit 0. Subcommands inherit this.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program
  .command('serve')
  .description('run the HTTP service (migrates first unless MIGRATE_ON_START=false)')
  .option('--host <address>', 'listen address (sets HOST; default 127.0.0.1)')
  .option('--port <port>', 'listen port (sets PORT; default 8080)')
  .option('--data-dir <dir>', 'embedded mode: data directory (sets ENGRAM_DATA_DIR; default ./.engram)')
  .addHelpText(
    'after',
    `\nEverything else is configured by environment variables (README, "Configuration"):\n${wrap(ENVIRONMENT_VARIABLES.join(', '))}\n` +
      'Secrets may also come from files: X_FILE for DATABASE_URL, JWT_SECRET, ENGRAM_KEK, ENGRAM_HASH_KEY and the other secrets.\n' +
      'With no DATABASE_URL it runs on embedded PGlite in ENGRAM_DATA_DIR and generates development secrets there.',
  )
  .action(async (opts: { host?: string; port?: string; dataDir?: string }) => {
    if (opts.host !== undefined) process.env.HOST = opts.host;
    if (opts.port !== undefined) process.env.PORT = opts.port;
    if (opts.dataDir !== undefined) process.env.ENGRAM_DATA_DIR = opts.dataDir;
    const busy = await busyPortMessage(process.env);
    if (busy) {
      console.error(`engram: ${busy}`);
      process.exit(2);
    }
    const unmigrated = neverMigratedDataDir(process.env);
    if (unmigrated) {
      console.error(`engram: ${unmigrated}`);
      process.exit(1);
    }
    const warnings: string[] = [];
    const cfg = config(warnings);
    await refuseLockedDataDir(cfg);
    const { startServer } = await import('../server.js');
    await startServer(cfg, warnings);
  });

program
  .command('migrate')
  .description('apply database migrations and prepare the vector index, as the schema owner')
  .action(async () => {
    const cfg = config();
    await refuseLockedDataDir(cfg);
    const { createEmbedder } = await import('../embed/create-embedder.js');
    const { migrateDatabase } = await import('../store/open.js');
    const embedder = createEmbedder(cfg.embeddings);
    try {
      await embedder.init();
      await migrateDatabase(cfg.database, { model: embedder.model, dimensions: embedder.dimensions }, console.log);
      await resealAfterMigrate(cfg, console.log);
      console.log(`database ready (${cfg.database.kind}, ${embedder.model}, ${embedder.dimensions}-d)`);
    } finally {
      await embedder.close();
    }
  });

program
  .command('reindex')
  .description('build the blind keyword index of existing memories (all users with a key, or --user)')
  .option('--user <id...>', 'only these user ids')
  .action(async (opts: { user?: string[] }) => {
    const { reindexCommand } = await import('./reindex.js');
    await reindexCommand(config(), opts.user ?? [], console.log);
  });

registerTokenCommands(program);

program
  .command('mcp')
  .description('an MCP server on stdin/stdout for agent hosts (Claude Desktop, Cursor, …), acting on a running Engram with a token')
  .option('--url <url>', 'the Engram service (default: ENGRAM_URL, else http://127.0.0.1:8080)')
  .option('--token <jwt>', 'the bearer token whose subject is the user (default: ENGRAM_TOKEN)')
  .action(async (opts: { url?: string; token?: string }) => {
    const token = opts.token ?? process.env.ENGRAM_TOKEN;
    if (!token) {
      console.error('engram: mcp needs a token: --token or ENGRAM_TOKEN (get one with: engram token --user <id>)');
      process.exit(2);
    }
    const url = opts.url ?? process.env.ENGRAM_URL ?? 'http://127.0.0.1:8080';
    // stdout carries the protocol: everything else goes to stderr.
    let subject: string | undefined;
    try {
      subject = decodeJwt(token).sub; // read to name the user in request bodies; the service verifies the token
    } catch {
      // not a JWT: left to the service to refuse
    }
    if (!subject) {
      console.error('engram: mcp: the token is not a JWT with a subject (sub)');
      process.exit(2);
    }
    const { fetchApi } = await import('../mcp/api.js');
    const { createMcpServer } = await import('../mcp/tools.js');
    const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
    const server = createMcpServer(fetchApi(url, token), VERSION, subject);
    await server.connect(new StdioServerTransport());
    console.error(`engram mcp: serving MCP on stdio for ${url}`);
  });

program
  .command('import')
  .description('load memories from an export (NDJSON, as GET /api/v1/memory/export writes it) into a running service')
  .argument('[file]', 'the NDJSON file, or - for standard input', '-')
  .option('--url <url>', 'the Engram service (default: ENGRAM_URL, else http://127.0.0.1:8080)')
  .option('--token <jwt>', 'a token with memory:write (default: ENGRAM_TOKEN)')
  .option('--user <id>', "import for this user instead of the token's subject (needs memory:relay)")
  .option('--batch-size <n>', `items per request (1-${Limits.batchItems})`, parseBatchSize, Limits.batchItems)
  .option('--resume <file>', 'state file for resuming (default: <file>.import-state.json; none for stdin)')
  .option('--no-resume', 'keep no state file (a rerun relies on deduplication alone)')
  .option('--no-dedup', 'store texts the user already has again (dedup: false on every item)')
  .addHelpText(
    'after',
    '\nExit status: 0 when every line was stored, deduplicated or skipped as expired; 1 when some failed (listed\n' +
      'with their line numbers; the state file keeps them, and a rerun retries only those); 2 on a usage or fatal error.',
  )
  .action(async (file: string, opts: { url?: string; token?: string; user?: string; batchSize: number; resume: string | boolean; dedup: boolean }) => {
    const token = opts.token ?? process.env.ENGRAM_TOKEN;
    if (!token) {
      console.error('engram: import needs a token: --token or ENGRAM_TOKEN (get one with: engram token --user <id>)');
      process.exit(2);
    }
    const statePath = typeof opts.resume === 'string' ? opts.resume : opts.resume && file !== '-' ? `${file}.import-state.json` : undefined;
    const tty = process.stderr.isTTY ? process.stderr : undefined;
    const { countLines, formatSummary, ImportError, openInput, runImport } = await import('./import.js');
    try {
      const summary = await runImport(openInput(file), {
        url: opts.url ?? process.env.ENGRAM_URL ?? 'http://127.0.0.1:8080',
        token,
        userId: opts.user,
        batchSize: opts.batchSize,
        statePath,
        dedup: opts.dedup,
        progress: tty,
        totalLines: tty && file !== '-' ? await countLines(file) : undefined,
      });
      console.log(formatSummary(summary));
      if (summary.failures.length > 0 && statePath) console.log(`state kept in ${statePath}: a rerun retries the failed lines only`);
      process.exitCode = summary.failures.length > 0 ? 1 : 0;
    } catch (err) {
      if (!(err instanceof ImportError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      console.error(`engram: import: ${(err as Error).message}`);
      process.exit(2);
    }
  });

program
  .command('verify')
  .description(
    'check a live deployment: health, metrics, the expiry sweeper, dashboard and alert series, tokens, tenant isolation, rate limits, ' +
      'Redis when the service uses it, and with --database-url the schema, RLS and an encryption tamper test; exit 1 on a failure',
  )
  .requiredOption('--url <url>', 'the API base URL, e.g. http://127.0.0.1:8080')
  .option('--metrics-url <url>', 'where /metrics is served (default: <url>/metrics)')
  .option('--token <jwt>', 'a token to act with (its subject is used as a test user)')
  .option(
    '--jwt-secret <secret>',
    'HS256 secret to sign tokens for two throwaway users (default: JWT_SECRET, JWT_SECRET_FILE, or the embedded secrets file; JWT_ISSUER/JWT_AUDIENCE are put in the tokens)',
  )
  .option('--database-url <url>', 'PostgreSQL URL (superuser or BYPASSRLS login) for the schema checks and the tamper test')
  .option('--redis-url <url>', "the Redis the service should use for its rate limits: checked to answer, and that the service's /readyz uses one")
  .action(async (opts: { url: string; metricsUrl?: string; token?: string; jwtSecret?: string; databaseUrl?: string; redisUrl?: string }) => {
    const { formatResults, verify } = await import('../verify/verify.js');
    const signing = opts.token && !opts.jwtSecret ? undefined : findSigningSecret(opts.jwtSecret);
    if (signing) console.log(`signing test tokens with the secret from ${signing.from}`);
    const results = await verify({
      ...opts,
      signingSecret: signing?.secret,
      issuer: process.env.JWT_ISSUER || undefined,
      audience: process.env.JWT_AUDIENCE || undefined,
    });
    console.log(formatResults(results));
    const failed = results.filter((r) => r.status === 'FAIL').length;
    const skipped = results.filter((r) => r.status === 'SKIP').length;
    console.log(`\n${results.length - failed - skipped} passed, ${failed} failed, ${skipped} skipped`);
    process.exitCode = failed > 0 ? 1 : 0;
  });

/** Wraps a long comma-separated list for the help text. */
function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  let line = ' ';
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > width) {
      lines.push(line);
      line = ' ';
    }
    line += ` ${word}`;
  }
  return [...lines, line].join('\n');
}

registerKeyCommands(program, () => config());

program.parseAsync().catch((err: unknown) => {
  console.error(`engram: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
