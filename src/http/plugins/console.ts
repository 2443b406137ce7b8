import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError, ErrorCode } from '../../errors/app-error.js';

/**
 * The web console at /console: the static build of console/ (scripts/build-console.mjs writes it to
 * dist/console, each file also brotli- and gzip-compressed). The page talks to /api/v1/memory with a
 * bearer token it holds in memory; this plugin only serves files, with a policy that lets the page
 * load nothing but its own files and talk to nothing but its own origin.
 */

// Same depth from src/ and dist/: src/http/plugins/console.ts → ../../../dist/console.
export const CONSOLE_BUILD_DIR = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Entry files keep their names across builds (revalidated each load); code-split chunks carry a content hash. */
const HASHED = /-[A-Z0-9]{8}\.(js|css)$/;

export interface ConsoleOptions {
  /** The built console (default dist/console); tests point it elsewhere. */
  dir?: string;
}

function secureHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CONSOLE_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
  reply.header('cross-origin-opener-policy', 'same-origin');
}

export async function consolePlugin(app: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  const dir = opts.dir ?? CONSOLE_BUILD_DIR;
  // Every answer under /console carries the policy, errors and redirects included.
  app.addHook('onSend', async (_request, reply) => secureHeaders(reply));
  app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/', 301));

  if (!existsSync(`${dir}/index.html`)) {
    app.log.warn(`console: ${dir} holds no build; /console answers 503 until \`npm run build\` (or node scripts/build-console.mjs) is run`);
    const notBuilt = async () => {
      throw new AppError(ErrorCode.NotReady, 'the console is not built: run `npm run build` and restart');
    };
    app.get('/console/', { schema: { hide: true } }, notBuilt);
    app.get('/console/*', { schema: { hide: true } }, notBuilt);
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/console/',
    preCompressed: true,
    // An array: @fastify/static 9.3 looks for a precompressed index (index.html.br) only then, and a
    // browser that takes brotli would get 404 for /console/.
    index: ['index.html'],
    redirect: false,
    dotfiles: 'deny',
    etag: true,
    lastModified: false,
    cacheControl: false, // set per file below
    setHeaders(res, path) {
      const name = basename(path).replace(/\.(br|gz)$/, '');
      res.setHeader('cache-control', HASHED.test(name) ? 'public, max-age=31536000, immutable' : name === 'index.html' ? 'no-store' : 'no-cache');
    },
  });
}
