import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

export const runCli = promisify(execFile);
/** The real CLI, as `engram` runs it (TypeScript through tsx). */
export const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process ended. */
  exited: Promise<number | null>;
}

/** Every `engram serve` started here that has not exited yet, listening or still starting. */
export const runningServes = new Set<ChildProcess>();

/** Starts `engram serve` and resolves once it listens (or rejects with its output if it exits first). */
export async function startServe(env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<ServeProcess> {
  const child = spawn('node', [...CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  runningServes.add(child);
  child.once('exit', () => runningServes.delete(child));
  // Never leave a half-started server behind.
  const watch = watchStart(child, timeoutMs, () => child.kill('SIGKILL'));
  return { child, url: await watch.url, output: watch.output, exited: watch.exited };
}

/**
 * Watches a starting `engram serve` (the child itself, or a process under it that shares its output):
 * `url` resolves with the address it logs once it listens, and rejects with its output if it exits
 * first or does not listen within `timeoutMs` (after calling `onTimeout`).
 */
export function watchStart(
  child: ChildProcess,
  timeoutMs: number,
  onTimeout: () => void = () => {},
): { url: Promise<string>; output(): string; exited: Promise<number | null> } {
  let output = '';
  let listening = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`server did not start:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (listening) return; // a busy server logs megabytes: scan them only until it listens
      const match = /Engram listening on (http:\/\/[^ ]+) /.exec(output);
      if (match) {
        listening = true;
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  return { url, output: () => output, exited };
}
