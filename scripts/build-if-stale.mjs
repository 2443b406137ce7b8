// `npm start` runs this before the service: it rebuilds dist/ (the service and the console) only when a
// source file, tsconfig or package.json is newer than the last build, so a second start skips the compile.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const stamp = join(root, 'dist', '.build-stamp');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const inputs = ['src', 'console', 'scripts/build-console.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'].map((p) => join(root, p));
const sourceTime = Math.max(...inputs.filter(existsSync).map(newest));
if (existsSync(stamp) && statSync(stamp).mtimeMs >= sourceTime) {
  console.error('engram: dist/ is up to date with src/; starting the built service');
} else {
  console.error('engram: building dist/ from src/ (npm run build)');
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}
