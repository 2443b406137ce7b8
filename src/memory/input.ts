import { Errors } from '../errors/app-error.js';
import { Limits } from './limits.js';

// Input checks and list cursors of the memory service.

export function assertText(text: string) {
  if (Buffer.byteLength(text, 'utf8') > Limits.textBytes) {
    throw Errors.payloadTooLarge(`text must be at most ${Limits.textBytes} bytes`);
  }
}

export function assertMetadata(metadata: Record<string, unknown>) {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw Errors.validation('metadata must be a JSON object');
  }
  if (Buffer.byteLength(JSON.stringify(metadata), 'utf8') > Limits.metadataBytes) {
    throw Errors.payloadTooLarge(`metadata must be at most ${Limits.metadataBytes} bytes of JSON`);
  }
  if (depth(metadata) > Limits.metadataDepth) {
    throw Errors.validation(`metadata may nest at most ${Limits.metadataDepth} levels`);
  }
}

function depth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Object.values(value as Record<string, unknown>);
  return 1 + (children.length ? Math.max(...children.map(depth)) : 0);
}

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const createdAt = new Date(String(at));
    if (typeof id === 'string' && UUID.test(id) && !Number.isNaN(createdAt.getTime())) return { createdAt, id };
  } catch {
    // fall through
  }
  throw Errors.validation('cursor is not valid');
}
