import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigSchema, FILE_VARIABLES, GENERATED_SECRETS, type Config } from './schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Called once with a warning worth a human's attention (generated secrets). */
  warn?: (message: string) => void;
}

type Env = Record<string, string | undefined>;

/**
 * Validates the configuration once, at start. Throws ConfigError naming every bad variable.
 * In embedded mode (no DATABASE_URL) outside production, missing secrets are generated once into
 * `<ENGRAM_DATA_DIR>/secrets.json` (0600) and reused on later starts.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): Config {
  const input = resolveFileVariables(env);
  const embedded = !input.DATABASE_URL;
  const missing = GENERATED_SECRETS.filter((name) => !input[name]).filter(
    (name) => !(name === 'JWT_SECRET' && (input.JWT_PUBLIC_KEY || input.JWT_JWKS_URL)),
  );
  if (missing.length > 0) {
    if (input.NODE_ENV === 'production') {
      throw new ConfigError(`NODE_ENV=production requires these secrets: ${missing.join(', ')} (or their *_FILE variants)`);
    }
    if (!embedded || input.ENGRAM_DATA_DIR?.startsWith('memory://')) {
      throw new ConfigError(
        `secrets can only be generated into an embedded data directory on disk (not with DATABASE_URL or memory://): missing ${missing.join(', ')}`,
      );
    }
    const dataDir = input.ENGRAM_DATA_DIR || './.engram';
    const { values, path, created, write } = embeddedSecrets(dataDir, missing);
    Object.assign(input, values);
    // A start refused for another variable leaves nothing behind: the file (and the data directory) is
    // written only once the whole configuration is valid.
    const parsed = parse(input);
    if (created) write();
    options.warn?.(
      created
        ? `generated development secrets (${missing.join(', ')}) into ${path}; set them explicitly for production`
        : `using development secrets (${missing.join(', ')}) from ${path}; set them explicitly for production`,
    );
    return parsed;
  }
  return parse(input);
}

function parse(input: Env): Config {
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(`invalid configuration:\n${formatIssues(parsed.error)}`);
  return parsed.data;
}

function resolveFileVariables(env: Env): Env {
  const input: Env = { ...env };
  for (const name of FILE_VARIABLES) {
    const file = env[`${name}_FILE`];
    if (!file) continue;
    if (env[name]) throw new ConfigError(`set ${name} or ${name}_FILE, not both`);
    try {
      input[name] = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return input;
}

function embeddedSecrets(dataDir: string, names: readonly string[]) {
  const path = join(dataDir, 'secrets.json');
  let stored: Record<string, string> = {};
  if (existsSync(path)) {
    if ((statSync(path).mode & 0o077) !== 0) {
      throw new ConfigError(`${path} is readable by other users; run: chmod 600 ${path}`);
    }
    try {
      stored = z.record(z.string(), z.string()).parse(JSON.parse(readFileSync(path, 'utf8')));
    } catch {
      throw new ConfigError(`${path} is not a JSON object of strings`);
    }
  }
  const generators: Record<string, () => string> = {
    JWT_SECRET: () => randomBytes(48).toString('base64url'),
    ENGRAM_KEK: () => `1:${randomBytes(32).toString('base64')}`,
    ENGRAM_HASH_KEY: () => randomBytes(32).toString('base64'),
  };
  const created = names.some((name) => !stored[name]);
  for (const name of names) stored[name] ??= generators[name]!();
  const write = () => {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(path, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
  };
  return { values: Object.fromEntries(names.map((n) => [n, stored[n]])), path, created, write };
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `  ${issue.path.length ? issue.path.join('.') : 'config'}: ${issue.message}`)
    .join('\n');
}

/**
 * The HS256 secret a client tool (verify, load test) signs with: given explicitly, else JWT_SECRET,
 * else JWT_SECRET_FILE, else the embedded development secrets file in `dataDir` (default
 * ENGRAM_DATA_DIR or ./.engram). Undefined when none is found.
 */
export function findSigningSecret(
  explicit: string | undefined,
  env: Env = process.env,
  dataDir = env.ENGRAM_DATA_DIR || './.engram',
): { secret: string; from: string } | undefined {
  if (explicit) return { secret: explicit, from: 'the command line' };
  if (env.JWT_SECRET) return { secret: env.JWT_SECRET, from: 'JWT_SECRET' };
  if (env.JWT_SECRET_FILE) return { secret: readFileSync(env.JWT_SECRET_FILE, 'utf8').trim(), from: `JWT_SECRET_FILE (${resolve(env.JWT_SECRET_FILE)})` };
  const path = resolve(dataDir, 'secrets.json');
  if (dataDir.startsWith('memory://') || !existsSync(path)) return undefined;
  const secret = (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>).JWT_SECRET;
  return typeof secret === 'string' && secret ? { secret, from: `${path} (embedded-mode generated secrets)` } : undefined;
}
