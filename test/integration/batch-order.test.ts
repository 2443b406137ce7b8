import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { CLI } from '../helpers/cli.js';
import { backend } from '../helpers/database.js';

/** A conversation, in order: the neighbour context of search reads it as a timeline. */
const CONVERSATION = [
  'Maya: I finally signed up for the pottery course at the community centre.',
  'Leo: Nice! Which evenings?',
  'Maya: Tuesdays, starting next week. The teacher is a retired architect.',
  'Leo: Will you make the bowls you showed me?',
  'Maya: Yes, the blue glazed ones, for my sister Ines.',
  'Leo: Ines is the one who moved to Porto, right?',
  'Maya: Right, she opened a bakery there in March.',
  'Leo: What does she bake?',
  'Maya: Mostly sourdough and pastel de nata.',
  'Leo: I should visit when I am in Portugal for the conference.',
  'Maya: When is it?',
  'Leo: The second week of October, in Lisbon.',
  'Maya: Porto is three hours by train from Lisbon.',
  'Leo: Then I will take the Friday train.',
  'Maya: Ines will give you the good table by the window.',
  'Leo: Ask her to save me a loaf of the rye.',
];
const QUERIES = ['Where does Ines live?', 'What does her sister bake?', 'When is the conference?', 'Which evenings is the pottery course?'];

interface Hit {
  text: string;
  score: number;
}

/**
 * Issue 17, part 3: a batch keeps its items' order in the user's timeline (distinct, increasing
 * created_at), so a conversation sent as one batch is searched exactly as one indexed turn by turn;
 * an item's own created_at is kept; export → import keeps the order.
 */
describe(`batch order (${backend()})`, () => {
  let t: TestApp;
  let url: string;
  const auth = async (user: string) => ({ authorization: `Bearer ${await t.token(user)}` });
  const api = async (user: string, method: 'GET' | 'POST', path: string, payload?: object) => {
    const res = await t.app.inject({ method, url: `/api/v1/memory${path}`, headers: await auth(user), payload });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res;
  };
  const listed = async (user: string) =>
    ((await api(user, 'GET', `?user_id=${user}&limit=100`)).json() as { memories: { text: string; created_at: string }[] }).memories;
  const search = async (user: string, query: string) =>
    ((await api(user, 'POST', '/query', { user_id: user, query, k: 5 })).json() as { results: Hit[] }).results.map((r) => ({
      text: r.text,
      score: Number(r.score.toFixed(6)),
    }));

  beforeAll(async () => {
    t = await createTestApp();
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    for (const text of CONVERSATION) await api('turns', 'POST', '/index', { user_id: 'turns', text });
    const res = await api('batch', 'POST', '/index/batch', { user_id: 'batch', items: CONVERSATION.map((text) => ({ text })) });
    expect((res.json() as { items: { status: number }[] }).items.every((i) => i.status === 201)).toBe(true);
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    await closeTestEmbedder();
  });

  it('dates the items of a batch distinct and increasing, in the order sent', async () => {
    const memories = (await listed('batch')).reverse(); // the list is newest first
    expect(memories.map((m) => m.text)).toEqual(CONVERSATION);
    const times = memories.map((m) => Date.parse(m.created_at));
    for (let i = 1; i < times.length; i++) expect(times[i]!, `item ${i}`).toBeGreaterThan(times[i - 1]!);
  });

  it('searches a conversation sent as one batch exactly as one indexed turn by turn', async () => {
    for (const q of QUERIES) expect(await search('batch', q), q).toEqual(await search('turns', q));
  });

  it("keeps an item's own created_at", async () => {
    const at = '2024-05-01T09:00:00.000Z';
    const items = [{ text: 'First of three notes that share a date.', created_at: at }, { text: 'A note dated an hour later.', created_at: '2024-05-01T10:00:00.000Z' }, { text: 'Second note without a date of its own.' }];
    await api('own', 'POST', '/index/batch', { user_id: 'own', items });
    const memories = await listed('own');
    expect(memories.find((m) => m.text.startsWith('First'))!.created_at).toBe(at);
    expect(memories.find((m) => m.text.startsWith('A note'))!.created_at).toBe('2024-05-01T10:00:00.000Z');
    expect(Date.parse(memories.find((m) => m.text.startsWith('Second'))!.created_at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('export → import into another user keeps the order', async () => {
    const exported = (await api('batch', 'GET', '/export?user_id=batch')).body;
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      void auth('copy').then(({ authorization }) => {
        const child = spawn('node', [...CLI, 'import', '--token', authorization.slice(7), '-'], { env: { ...process.env, ENGRAM_URL: url } });
        let err = '';
        child.stderr.on('data', (c: Buffer) => (err += c));
        child.on('error', reject);
        child.on('exit', (exit) => resolve({ code: exit, stderr: err }));
        child.stdin.end(exported);
      });
    });
    expect(code, stderr).toBe(0);
    const copy = await listed('copy');
    const original = await listed('batch');
    expect(copy.map((m) => [m.text, m.created_at])).toEqual(original.map((m) => [m.text, m.created_at]));
  }, 120_000);
});
