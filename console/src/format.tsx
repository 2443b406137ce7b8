import { ApiError } from './api';

const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DDTHH:MM` in local time: what a datetime-local input shows and a date-time cell reads. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (local time) as an ISO instant; empty stays undefined. */
export const fromLocalInput = (value: string): string | undefined => (value ? new Date(value).toISOString() : undefined);

/** An instant as local `YYYY-MM-DD HH:MM`, the ISO kept machine-readable. */
export const DateTime = ({ iso, empty = '—' }: { iso: string | null; empty?: string }) =>
  iso ? <time dateTime={iso}>{toLocalInput(iso).replace('T', ' ')}</time> : <>{empty}</>;

/** The first `max` characters (code points, so no emoji is split). */
export function cut(text: string, max: number): { head: string; more: boolean } {
  const chars = Array.from(text);
  return { head: chars.slice(0, max).join(''), more: chars.length > max };
}

/** Text cut to `max` characters; the ellipsis is visual only, so the accessible name is the text itself. */
export function Cut({ text, max }: { text: string; max: number }) {
  const { head, more } = cut(text, max);
  return (
    <>
      {head}
      {more && <span aria-hidden="true">…</span>}
    </>
  );
}

/** `1 memory`, `3 memories`. */
export const memories = (n: number): string => `${n} ${n === 1 ? 'memory' : 'memories'}`;

export const compactJson = (value: Record<string, unknown>): string =>
  Object.keys(value).length === 0 ? '' : JSON.stringify(value);

/** A JSON object typed into a textarea; empty: undefined. Throws INVALID_JSON naming the field. */
export function parseJsonObject(raw: string, field: string): Record<string, unknown> | undefined {
  if (raw.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ApiError('INVALID_JSON', `${field} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApiError('INVALID_JSON', `${field} must be a JSON object`);
  return value as Record<string, unknown>;
}
