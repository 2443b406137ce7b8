import { describe, expect, it } from 'vitest';
import { parseFacts } from '../../../src/memory/facts.js';
import { checkFields, parseExpiration, parseFilters } from '../../../src/http/routes/mem0/wire.js';

describe("mem0's filters on Engram's", () => {
  it('user_id, the scope ids and metadata, flat or under AND', () => {
    expect(parseFilters({ user_id: 'alice' })).toEqual({ userId: 'alice', filters: {} });
    expect(parseFilters({ AND: [{ user_id: 'alice' }, { agent_id: 'a1' }, { metadata: { topic: 'pets' } }] }, { run_id: 'r' })).toEqual({
      userId: 'alice',
      filters: { metadata: { run_id: 'r', agent_id: 'a1', topic: 'pets' } },
    });
  });

  it('created_at ranges: gte and lt as given, gt and lte one millisecond on', () => {
    const { filters } = parseFilters({ created_at: { gte: '2024-01-01T00:00:00Z', lte: '2024-02-01T00:00:00Z' } });
    expect(filters.createdAfter?.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(filters.createdBefore?.toISOString()).toBe('2024-02-01T00:00:00.001Z');
    expect(parseFilters({ created_at: { gt: '2024-01-01T00:00:00Z' } }).filters.createdAfter?.toISOString()).toBe('2024-01-01T00:00:00.001Z');
  });

  it('refuses what it cannot honour, naming it, and what is malformed', () => {
    expect(() => parseFilters({ OR: [{ user_id: 'a' }] })).toThrow(/filters.OR: OR filters are not supported/);
    expect(() => parseFilters({ categories: { in: ['x'] } })).toThrow(/filtering on categories is not supported/);
    expect(() => parseFilters({ AND: [{ user_id: 'a' }, { user_id: 'b' }] })).toThrow(/one user_id per request/);
    expect(() => parseFilters({ created_at: { after: '2024-01-01T00:00:00Z' } })).toThrow(/unknown operator "after"/);
    expect(() => parseFilters({ created_at: { gte: 'yesterday' } })).toThrow(/RFC 3339/);
    expect(() => parseFilters({ user_id: 7 })).toThrow(/filters.user_id must be a string/);
    expect(() => parseFilters([1])).toThrow(/filters must be an object/);
  });
});

describe('mem0 bodies', () => {
  const known = { supported: ['messages'], ignored: ['output_format'], unsupported: { custom_categories: 'no categories' } };
  it('passes the supported and ignored fields; an unsupported one is refused only when it asks for something', () => {
    expect(() => checkFields({ messages: [], output_format: 'v1.1', custom_categories: [] }, 'body', known)).not.toThrow();
    expect(() => checkFields({ custom_categories: [{ a: 'b' }] }, 'body', known)).toThrow(/body: custom_categories is not supported by Engram \(no categories\)/);
    expect(() => checkFields({ colour: 'red' }, 'body', known)).toThrow(/body has an unknown field "colour"/);
  });

  it('expiration_date: a day means its end (UTC), a date-time itself, null never', () => {
    expect(parseExpiration('2030-05-01', 'x')?.toISOString()).toBe('2030-05-01T23:59:59.999Z');
    expect(parseExpiration('2030-05-01T10:00:00Z', 'x')?.toISOString()).toBe('2030-05-01T10:00:00.000Z');
    expect(parseExpiration(null, 'x')).toBeNull();
    expect(parseExpiration(undefined, 'x')).toBeUndefined();
    expect(() => parseExpiration('2030-02-31', 'expiration_date')).toThrow(/expiration_date/);
    expect(() => parseExpiration(5, 'expiration_date')).toThrow(/expiration_date must be a date/);
  });
});

describe('facts from the LLM', () => {
  it('takes {"facts": [...]}, fenced or not, trimmed and deduplicated; anything else is no answer', () => {
    expect(parseFacts('{"facts": ["A likes tea.", " A likes tea. ", ""]}')).toEqual(['A likes tea.']);
    expect(parseFacts('```json\n{"facts": ["B runs."]}\n```')).toEqual(['B runs.']);
    expect(parseFacts('{"facts": []}')).toEqual([]);
    expect(parseFacts('Sure! A likes tea.')).toBeUndefined();
    expect(parseFacts('{"facts": [1, 2]}')).toBeUndefined();
    expect(parseFacts('{"memories": ["x"]}')).toBeUndefined();
  });
});
