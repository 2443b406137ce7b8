import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { Scope, isValidSubject, signToken } from '../auth/token-verifier.js';
import { findSigningSecret } from '../config/load.js';

/**
 * `engram token` and `engram console`: tokens signed with the service's own HS256 secret, for
 * development, service accounts and the web console's sign-in link.
 */

const parseTtl = (value: string) => {
  const match = /^(\d+)([smhd]?)$/.exec(value);
  if (!match) throw new InvalidArgumentError('use a number of seconds or e.g. 30m, 12h, 7d');
  return Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
};

const SECRET_SOURCES = "JWT_SECRET, else JWT_SECRET_FILE, else <ENGRAM_DATA_DIR>/secrets.json";

interface MintOptions {
  user: string;
  scope: string[];
  ttl: number;
}

/** Checks the options and signs; a usage problem ends the process with exit code 2. */
async function mint(opts: MintOptions): Promise<string> {
  // The server refuses tokens whose subject cannot be a user_id: never mint one.
  if (!isValidSubject(opts.user)) {
    console.error(
      `engram: --user ${JSON.stringify(opts.user)} is not a valid user id: 1-128 characters of A-Z a-z 0-9 . _ : @ -, starting with a letter or digit`,
    );
    process.exit(2);
  }
  // Never generates secrets: a token signed with a secret the server does not have is useless.
  const dataDir = process.env.ENGRAM_DATA_DIR || './.engram';
  let signing: ReturnType<typeof findSigningSecret>;
  try {
    signing = findSigningSecret(undefined, process.env, dataDir);
  } catch (err) {
    console.error(`engram: cannot read the JWT secret: ${(err as Error).message}`);
    process.exit(2);
  }
  if (!signing) {
    console.error(
      `engram: no JWT secret to sign with: JWT_SECRET and JWT_SECRET_FILE are unset and ${resolve(dataDir, 'secrets.json')} ` +
        'does not exist. Run this where the server runs (it generates its secrets into ENGRAM_DATA_DIR, default ./.engram, ' +
        'on its first start), or set ENGRAM_DATA_DIR to its data directory, or JWT_SECRET / JWT_SECRET_FILE to its secret.',
    );
    process.exit(2);
  }
  const scopes = opts.scope.flatMap((s) => s.split(/[ ,]+/)).filter(Boolean);
  const known: string[] = Object.values(Scope);
  const unknown = scopes.filter((s) => !known.includes(s));
  if (unknown.length > 0) {
    console.error(`engram: unknown scope ${unknown.join(', ')} (known: ${known.join(', ')})`);
    process.exit(2);
  }
  const token = await signToken({
    secret: signing.secret,
    subject: opts.user,
    scopes,
    ttlSeconds: opts.ttl,
    issuer: process.env.JWT_ISSUER || undefined,
    audience: process.env.JWT_AUDIENCE || undefined,
  });
  console.error(`engram: signed with the JWT secret from ${signing.from}`);
  return token;
}

/**
 * Where the console is: --url, else ENGRAM_URL, else the configured HOST and PORT (a wildcard
 * listen address is reached on loopback).
 */
export function consoleBase(opts: { url?: string; host?: string; port?: string }, env: NodeJS.ProcessEnv): URL {
  const given = opts.url ?? env.ENGRAM_URL;
  if (given) {
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new InvalidArgumentError(`${JSON.stringify(given)} is not a URL (e.g. https://engram.example.com)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('the URL must be http or https');
    return url;
  }
  let host = opts.host ?? env.HOST ?? '127.0.0.1';
  if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
  if (host === '::') host = '::1';
  const port = opts.port ?? env.PORT ?? '8080';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new InvalidArgumentError(`port ${JSON.stringify(port)} is not a port number`);
  return new URL(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
}

/** The sign-in link: the token rides in the fragment, which a browser never sends to the server. */
export function consoleLink(base: URL, token: string): string {
  const url = new URL(base.href.endsWith('/') ? `${base.href}console/` : `${base.href}/console/`);
  url.search = '';
  url.hash = `token=${token}`;
  return url.href;
}

export function registerTokenCommands(program: Command): void {
  program
    .command('token')
    .description(`sign an HS256 token with the service's secret: ${SECRET_SOURCES} (development and service accounts)`)
    .requiredOption('--user <id>', 'the subject: the user the token acts as')
    .option('--scope <scopes...>', `scopes (${Object.values(Scope).join(', ')})`, [Scope.Read, Scope.Write])
    .option('--ttl <duration>', 'lifetime, e.g. 3600, 30m, 12h, 7d', parseTtl, 86400)
    .action(async (opts: MintOptions) => {
      process.stdout.write(`${await mint(opts)}\n`);
    });

  program
    .command('console')
    .description(`print a sign-in link to the web console for one user, with a short-lived token signed with ${SECRET_SOURCES}; opens nothing`)
    .requiredOption('--user <id>', 'the user to look at (the token acts as this user)')
    .option('--ttl <duration>', 'how long the link works, e.g. 900, 15m, 1h', parseTtl, 900)
    .option('--scope <scopes...>', `scopes (${Object.values(Scope).join(', ')}); memory:relay lets the console pick a user`, [Scope.Read, Scope.Write])
    .option('--url <url>', 'where the service is reached (default: ENGRAM_URL, else http://HOST:PORT)')
    .option('--host <address>', 'the service\'s host (default: HOST, else 127.0.0.1)')
    .option('--port <port>', 'the service\'s port (default: PORT, else 8080)')
    .addHelpText(
      'after',
      '\nThe token is in the link\'s fragment (after #): the browser keeps it and never sends it to the server, so it is in no\n' +
        'server log. The console holds it in memory only: a reload signs out. Anyone with the link can act as the user until it\n' +
        'expires: treat it as a password. The service must run with the console on (CONSOLE_ENABLED).',
    )
    .action(async (opts: MintOptions & { url?: string; host?: string; port?: string }) => {
      let base: URL;
      try {
        base = consoleBase(opts, process.env);
      } catch (err) {
        console.error(`engram: ${(err as Error).message}`);
        process.exit(2);
      }
      const link = consoleLink(base, await mint(opts));
      const minutes = Math.round(opts.ttl / 60);
      console.error(`engram: a console link for ${opts.user}, valid for ${minutes >= 1 ? `${minutes} min` : `${opts.ttl} s`}; open it in a browser:`);
      process.stdout.write(`${link}\n`);
    });
}
