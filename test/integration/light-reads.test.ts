import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestEmbedder, createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/** Issue 9: GET /api/v1/memory?include_text=false | max_text_chars=N; the export is unaffected. */
let t: TestApp;
let headers: Record<string, string>;
const TEXTS = ['Short note.', 'A longer note about the 👍🏽 thumbs-up and café visits.'];

beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_DISABLED: '1' } });
  headers = { authorization: `Bearer ${await t.token('lena')}` };
  for (const text of TEXTS) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/memory/index', headers, payload: { text } });
    expect(res.statusCode).toBe(201);
  }
});
afterAll(async () => {
  await t?.close();
  await closeTestEmbedder();
});

const list = async (qs: string) => t.app.inject({ method: 'GET', url: `/api/v1/memory?${qs}`, headers });

describe(`lighter list pages (${backend()})`, () => {
  it('include_text=false leaves the texts out and keeps everything else', async () => {
    const full = (await list('')).json().memories;
    const res = await list('include_text=false');
    expect(res.statusCode).toBe(200);
    const light = res.json().memories;
    expect(light).toHaveLength(2);
    for (const [i, m] of light.entries()) {
      expect(m).not.toHaveProperty('text');
      const { text: _t, ...rest } = full[i];
      expect(m).toEqual(rest);
    }
  });

  it('max_text_chars cuts texts at whole grapheme clusters and marks them', async () => {
    const res = await list('max_text_chars=24');
    const byText = res.json().memories as Array<{ text: string; text_truncated: boolean }>;
    expect(byText.find((m) => m.text === 'Short note.')).toMatchObject({ text_truncated: false });
    // "A longer note about the " is 24 characters; the 👍🏽 cluster (2 code points) does not fit.
    expect(byText.find((m) => m.text_truncated)).toMatchObject({ text: 'A longer note about the ' });
    const at25 = (await list('max_text_chars=25')).json().memories.find((m: { text_truncated: boolean }) => m.text_truncated);
    expect(at25.text).toBe('A longer note about the ');
    const at26 = (await list('max_text_chars=26')).json().memories.find((m: { text_truncated: boolean }) => m.text_truncated);
    expect(at26.text).toBe('A longer note about the 👍🏽');
  });

  it('bad values are 400; the export still has whole texts', async () => {
    for (const qs of ['max_text_chars=0', 'max_text_chars=-1', 'max_text_chars=abc', 'include_text=maybe', 'max_text_chars=999999']) {
      expect((await list(qs)).statusCode, qs).toBe(400);
    }
    const exported = await t.app.inject({ method: 'GET', url: '/api/v1/memory/export', headers });
    const lines = exported.body.trim().split('\n').map((l) => JSON.parse(l) as { text: string });
    expect(lines.map((l) => l.text).sort()).toEqual([...TEXTS].sort());
  });
});
