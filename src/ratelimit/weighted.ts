import type { Redis } from 'ioredis';

/**
 * Charging several units of a rate-limit budget at once (a batch of n items costs n), on the same
 * counters as @fastify/rate-limit's stores, so single requests and batches share one budget.
 *
 * All or nothing: a charge that does not fit in what is left of the window is refused and charges
 * nothing, so a client can retry with fewer items at once instead of losing the rest of the window.
 */
export interface Charge {
  /** true: the units were taken; false: refused, nothing taken. */
  charged: boolean;
  /** Units used in this window (after the charge when charged). */
  current: number;
  /** Milliseconds until the window ends. */
  ttlMs: number;
}

export interface WeightedCounter {
  charge(key: string, units: number, windowMs: number, max: number): Promise<Charge>;
}

type Callback = (err: Error | null, result?: { current: number; ttl: number }) => void;

/** The part of @fastify/rate-limit's LocalStore used here (its public `incr` and `read`). */
export interface LocalStoreLike {
  incr(key: string, cb: Callback, timeWindow: number, max: number): void;
  read(key: string, cb: Callback, timeWindow: number, max: number): void;
}

const sync = (fn: (cb: Callback) => void): { current: number; ttl: number } => {
  let out: { current: number; ttl: number } | undefined;
  fn((err, result) => {
    if (err) throw err;
    out = result;
  });
  if (!out) throw new Error('rate-limit store answered asynchronously');
  return out;
};

/** On the in-process store: read, then `units` increments, with no await in between (atomic in this process). */
export function localCounter(store: LocalStoreLike): WeightedCounter {
  return {
    async charge(key, units, windowMs, max) {
      const now = sync((cb) => store.read(key, cb, windowMs, max));
      if (now.current + units > max) return { charged: false, current: now.current, ttlMs: now.current === 0 ? windowMs : now.ttl };
      let last = now;
      for (let i = 0; i < units; i++) last = sync((cb) => store.incr(key, cb, windowMs, max));
      return { charged: true, current: last.current, ttlMs: last.ttl };
    },
  };
}

// Same key and expiry as the plugin's RedisStore script (INCR, PEXPIRE on the window's first unit).
const CHARGE_LUA = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
local window = tonumber(ARGV[1])
local units = tonumber(ARGV[3])
if current + units > tonumber(ARGV[2]) then
  if ttl < 0 then ttl = window end
  return {current, ttl, 0}
end
current = redis.call('INCRBY', KEYS[1], units)
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  ttl = window
end
return {current, ttl, 1}
`;

/** On Redis, in one script (atomic across every process sharing the Redis). */
export function redisCounter(client: Redis, keyPrefix: string): WeightedCounter {
  return {
    async charge(key, units, windowMs, max) {
      const [current, ttl, charged] = (await client.eval(CHARGE_LUA, 1, `${keyPrefix}${key}`, windowMs, max, units)) as [number, number, number];
      return { charged: charged === 1, current, ttlMs: ttl };
    },
  };
}
