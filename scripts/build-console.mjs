// Builds the web console (console/) into dist/console/: one ESM entry (assets/main.js, assets/main.css),
// hashed chunks for what loads later (cytoscape, with the entities view), index.html, and a .br and a .gz
// beside every .js/.css/.html so the server can send them precompressed. Prints the size of each script.
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const COMPRESSED = new Set(['.js', '.css', '.html']);

async function filesUnder(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Writes file.br and file.gz; returns the three sizes. */
async function precompress(file) {
  const raw = await readFile(file);
  const brotli = brotliCompressSync(raw, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
  });
  const gzip = gzipSync(raw, { level: 9 });
  await Promise.all([writeFile(`${file}.br`, brotli), writeFile(`${file}.gz`, gzip)]);
  return { raw: raw.length, gzip: gzip.length, brotli: brotli.length };
}

/** The scripts the page loads before any dynamic import: the entry and what it imports statically. */
function initialScripts(metafile, outDir) {
  const initial = new Set();
  const visit = (path) => {
    if (initial.has(path)) return;
    initial.add(path);
    for (const dep of metafile.outputs[path]?.imports ?? []) if (dep.kind === 'import-statement') visit(dep.path);
  };
  visit(relative(root, join(outDir, 'assets', 'main.js')));
  return new Set([...initial].map((p) => resolve(root, p)));
}

/**
 * Bundles console/src/main.tsx into `outDir` (default dist/console, relative to the repository) and
 * returns every JavaScript file's sizes and the totals. Throws on a build error.
 */
export async function buildConsole({ outDir = join(root, 'dist', 'console') } = {}) {
  const out = resolve(root, outDir);
  await rm(out, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'console/src/main.tsx' },
    outdir: join(out, 'assets'),
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    tsconfig: 'console/tsconfig.json',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'external', // licences in assets/*.LEGAL.txt, not in the shipped code
    metafile: true,
    logLevel: 'silent',
  });
  await mkdir(out, { recursive: true });
  await copyFile(join(root, 'console', 'index.html'), join(out, 'index.html'));

  const initial = initialScripts(result.metafile, out);
  const scripts = [];
  for (const file of (await filesUnder(out)).sort()) {
    if (!COMPRESSED.has(extname(file))) continue;
    const sizes = await precompress(file);
    if (extname(file) === '.js') scripts.push({ file: relative(out, file), initial: initial.has(file), ...sizes });
  }
  const sum = (list) => list.reduce((t, s) => ({ raw: t.raw + s.raw, gzip: t.gzip + s.gzip, brotli: t.brotli + s.brotli }), { raw: 0, gzip: 0, brotli: 0 });
  return { outDir: out, scripts, initialJs: sum(scripts.filter((s) => s.initial)), allJs: sum(scripts) };
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

export function formatSizes({ scripts, initialJs, allJs }) {
  const rows = [
    ['file', 'raw', 'gzip', 'brotli'],
    ...scripts.map((s) => [`${s.file}${s.initial ? ' (initial)' : ''}`, kb(s.raw), kb(s.gzip), kb(s.brotli)]),
    ['initial JS', kb(initialJs.raw), kb(initialJs.gzip), kb(initialJs.brotli)],
    ['all JS', kb(allJs.raw), kb(allJs.gzip), kb(allJs.brotli)],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const started = performance.now();
    const result = await buildConsole();
    console.log(`console built into ${relative(process.cwd(), result.outDir) || '.'} in ${Math.round(performance.now() - started)} ms`);
    console.log(formatSizes(result));
  } catch (err) {
    // esbuild's errors carry file:line locations; print them all.
    for (const e of err.errors ?? []) console.error(`${e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : ''}${e.text}`);
    if (!err.errors?.length) console.error(err);
    process.exitCode = 1;
  }
}
