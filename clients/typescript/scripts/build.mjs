/**
 * Builds dist/ (JavaScript and type declarations) from src/ with TypeScript: `npm run build`, and npm's
 * `prepare` step, which npm runs on `npm install` in this folder, on `npm pack` / `npm publish`, and in
 * this folder when another project installs it from its path (`npm install ../engram/clients/typescript`).
 *
 * The compiler: this package's own (its pinned devDependency), else the one of a folder above it (the
 * Engram server's, when the client sits in the server's checkout with its dependencies installed). When
 * there is neither, the pinned TypeScript is installed here first (node_modules/ only: no lock file, nothing
 * saved); that needs the npm registry, or its copy in npm's cache.
 *
 * An unpacked tarball has no src/: its dist/ is already built, and there is nothing to do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pinned = pkg.devDependencies.typescript;

if (!existsSync(join(root, 'src'))) process.exit(0);

/** The tsc of the nearest typescript package, resolved as Node would from this folder upwards. */
function findTsc() {
  try {
    const manifest = createRequire(join(root, 'package.json')).resolve('typescript/package.json');
    return join(manifest, '..', 'bin', 'tsc');
  } catch {
    return undefined;
  }
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

let tsc = findTsc();
if (!tsc) {
  console.error(`@engram/client: no TypeScript here or in a folder above; installing typescript@${pinned} to build dist/`);
  // Under npm, its own CLI (npm_execpath); the flags undo what the outer install may have set in the
  // environment (a global install, --omit=dev, NODE_ENV=production, install-links), and scripts stay off.
  const npm = process.env.npm_execpath;
  const args = [
    'install',
    `--prefix=${root}`,
    '--global=false',
    '--include=dev',
    '--install-links=false',
    '--ignore-scripts',
    '--package-lock=false',
    '--save=false',
    '--audit=false',
    '--fund=false',
    '--workspaces=false',
  ];
  if (npm && /\.c?js$/.test(npm)) run(process.execPath, [npm, ...args]);
  else run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args);
  tsc = findTsc();
  if (!tsc) {
    console.error('@engram/client: TypeScript is still missing; run `npm install` in this folder, then `npm run build`');
    process.exit(1);
  }
}

// A clean build: nothing left over from a module that no longer exists ends up in the package.
rmSync(join(root, 'dist'), { recursive: true, force: true });
run(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')]);
