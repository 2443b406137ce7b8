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
  let output = '';
  let listening = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a half-started server behind
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
  return { child, url, output: () => output, exited };
}
