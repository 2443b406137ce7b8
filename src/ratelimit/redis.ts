import { Redis } from 'ioredis';

/** How long a rate-limit check may wait on Redis before it counts as a failure. */
export const REDIS_CONNECT_TIMEOUT_MS = 1000;
export const REDIS_COMMAND_TIMEOUT_MS = 500;

export interface RateLimitRedis {
  client: Redis;
  close(): Promise<void>;
}

/**
 * A Redis client that never makes a request wait: no offline queue (a command while disconnected
 * fails at once), a short connect and command timeout, one retry per command, and reconnection in
 * the background. The start waits at most REDIS_CONNECT_TIMEOUT_MS for the first connection and
 * then goes on without it (the fail mode decides what requests get meanwhile).
 */
export async function connectRateLimitRedis(
  url: string,
  log: { info: (msg: string) => void; warn: (msg: string) => void },
): Promise<RateLimitRedis> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(100 * times, 2000),
    connectionName: 'engram-rate-limit',
  });
  // Logged once per outage, not once per reconnect attempt; the URL (it may hold a password) never.
  let healthy = true;
  client.on('error', (err: NodeJS.ErrnoException) => {
    if (!healthy) return;
    healthy = false;
    log.warn(`rate-limit Redis unavailable (${err.code ?? err.message}); applying RATE_LIMIT_FAIL_MODE until it returns`);
  });
  client.on('ready', () => {
    if (!healthy) log.info('rate-limit Redis connected again');
    healthy = true;
  });

  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.connect().catch(() => {}), // reported by the error listener; reconnection continues
    new Promise((resolve) => {
      timer = setTimeout(resolve, REDIS_CONNECT_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);

  return {
    client,
    async close() {
      if (client.status === 'ready') {
        await client.quit().catch(() => client.disconnect());
      } else {
        client.disconnect();
      }
    },
  };
}
