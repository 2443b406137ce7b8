import { createServer } from 'node:net';
import { ListenSchema } from '../config/schema.js';

/**
 * `engram serve` checks its ports before anything else (before it creates a data directory, generates
 * secrets, migrates or loads the model): a second server on a busy port fails in a moment with a
 * message that says what to do, instead of after a start-up's work. A port taken in between is still
 * refused by the listen itself. Returns the message, or undefined when the ports are free (or the
 * variables are invalid: the configuration check reports that).
 */
export async function busyPortMessage(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const parsed = ListenSchema.safeParse(env);
  if (!parsed.success) return undefined;
  const { HOST: host, PORT: port, METRICS_PORT: metricsPort, METRICS_HOST: metricsHost } = parsed.data;
  const wanted: { what: string; host: string; port: number; variable: string }[] = [{ what: 'the API', host, port, variable: 'PORT' }];
  if (metricsPort !== undefined) wanted.push({ what: 'metrics', host: metricsHost ?? host, port: metricsPort, variable: 'METRICS_PORT' });
  for (const w of wanted) {
    if (w.port === 0) continue;
    const error = await tryListen(w.host, w.port);
    if (error === 'EADDRINUSE') {
      return `${w.host}:${w.port} (${w.what}) is already in use, by another Engram or another program: stop it, or choose another port (--port or ${w.variable})`;
    }
    if (error) return `cannot listen on ${w.host}:${w.port} (${w.what}): ${error}`;
  }
  return undefined;
}

function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
