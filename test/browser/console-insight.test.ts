import { describe, expect, it } from 'vitest';
import {
  type QueryHit,
  UUID,
  consoleSuite,
  expectViewOk,
  go,
  h1,
  hash,
} from '../helpers/console-suite.js';

/**
 * The web console (issue 20) as a person meets it, what it tells them: search with every score part,
 * the entity graph with its evidence, summaries in four styles linked to their sources. Real Chromium
 * against a real `engram serve` on embedded PGlite (test/helpers/console-suite.ts); elements are found by
 * role, label and text, never by CSS class. The last tests check every page's requests and problems,
 * and the server's logs, over the file.
 */

describe('web console in Chromium: insight', () => {
  const suite = consoleSuite();
  const { recorder, texts, newPage, consoleLink, api, remember, signIn, wholeRunChecks } = suite;

  it('search shows every hit with its score parts, its neighbour, and whether the reranker ran', async () => {
    const token = (await consoleLink('erin')).token;
    const convo = [
      'Erin adopted a beagle puppy named Rex in March.',
      'He chews every shoe he can find in the hallway.',
      'Erin bought a red bicycle for the commute to work.',
      'The bicycle has a basket and a bell.',
      'Erin learns Portuguese on Tuesday evenings.',
    ];
    for (const t of convo) await remember(token, t, { source: 'chat' });
    const query = 'what does the dog named Rex chew';
    texts.add(query); // a query is the user's words too

    const page = await newPage();
    await signIn(page, 'erin');
    await go(page, 'Search');
    expect(await page.getByLabel('Results (k)', { exact: true }).inputValue()).toBe('10');
    expect(await page.getByLabel('Rerank', { exact: true }).isChecked()).toBe(true);
    for (const label of ['Minimum score', 'Minimum relevance', 'Source filter', 'Metadata filter (JSON)', 'Created after', 'Created before']) {
      await page.getByLabel(label, { exact: true }).waitFor();
    }
    await page.getByLabel('Query', { exact: true }).fill(query);
    // What the API answered the page is what the page must show.
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${suite.origin}/api/v1/memory/query`),
      page.getByRole('button', { name: 'Search', exact: true }).click(),
    ]);
    expect(answer.status()).toBe(200);
    expect(answer.request().postDataJSON()).toMatchObject({ query, k: 10 });
    const viaApi = (await answer.json()) as { results: QueryHit[]; reranked: boolean };
    await page.getByText(`Reranker: ${viaApi.reranked ? 'ran' : 'skipped'}`).waitFor();
    const results = viaApi.results;
    expect(results.length).toBeGreaterThan(0);
    await page.getByRole('article', { name: `Result ${results.length}`, exact: true }).waitFor();
    expect(await page.getByRole('article', { name: `Result ${results.length + 1}`, exact: true }).count()).toBe(0);

    for (const [i, r] of results.entries()) {
      const article = page.getByRole('article', { name: `Result ${i + 1}`, exact: true });
      expect(await article.innerText()).toContain(r.text);
      const parts = article.getByRole('table', { name: 'Score parts' });
      for (const part of ['vector', 'keyword', 'fused', 'context', 'rerank']) {
        const row = parts.getByRole('row').filter({ has: page.getByRole('rowheader', { name: part, exact: true }) });
        const shown = (await row.innerText()).replace(part, '').trim();
        const value = r.scores[part];
        expect(value, `the API's ${part}`).not.toBeUndefined();
        if (value === null || value === undefined) expect(shown, `${part} of result ${i + 1}`).toBe('—');
        // Shown with two or more decimals.
        else expect(Math.abs(Number(shown) - value), `${part} of result ${i + 1}: ${shown} for ${value}`).toBeLessThanOrEqual(0.0051);
      }
      expect(await article.getByRole('link', { name: 'Open memory' }).getAttribute('href')).toBe(`#/memories/${r.memory_id}`);
      // The neighbour whose lead gave it context, linked.
      const neighbour = article.getByRole('link', { name: 'Neighbour' });
      if (r.context_from) expect(await neighbour.getAttribute('href')).toBe(`#/memories/${r.context_from.memory_id}`);
      else expect(await neighbour.count()).toBe(0);
    }
    // The neighbouring turn ("He chews…") got its context from the Rex memory: shown, and linked.
    expect(results.some((r) => r.context_from), 'no result of the API has context_from').toBe(true);
    await expectViewOk(page, 'search');

    // Without the reranker: skipped, and its part is empty.
    await page.getByLabel('Rerank', { exact: true }).uncheck();
    const [unranked] = await Promise.all([
      page.waitForRequest((r) => r.url() === `${suite.origin}/api/v1/memory/query`),
      page.getByRole('button', { name: 'Search', exact: true }).click(),
    ]);
    expect(unranked.postDataJSON()).toMatchObject({ rerank: false });
    await page.getByText('Reranker: skipped').waitFor();
    const rerankRow = page
      .getByRole('article', { name: 'Result 1', exact: true })
      .getByRole('table', { name: 'Score parts' })
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'rerank', exact: true }) });
    await expect.poll(async () => (await rerankRow.innerText()).replace('rerank', '').trim()).toBe('—');

    // A floor nothing reaches: "No results".
    await page.getByLabel('Minimum score', { exact: true }).fill('0.99');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No results').waitFor();

    // Open memory goes to the memory.
    await page.getByLabel('Minimum score', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('article', { name: 'Result 1', exact: true }).getByRole('link', { name: 'Open memory' }).click();
    await h1(page, 'Memory').waitFor();
  });

  it('entity graph: extracts from recent memories, lists the entities, shows evidence and links to the memories', async () => {
    const token = (await consoleLink('frank')).token;
    const rex = 'My dog Rex is a beagle.';
    await remember(token, rex);
    await remember(token, 'Rex loves the beach in Porto.');
    await remember(token, 'I work at Acme with Maria.');

    const page = await newPage();
    await signIn(page, 'frank');
    await go(page, 'Entities');
    await page.getByText('No entities yet').waitFor();
    await page.getByRole('button', { name: 'Extract from recent memories' }).click();

    const list = page.getByRole('list', { name: 'Entities' });
    const rexButton = list.getByRole('button', { name: 'Rex (animal)', exact: true });
    await rexButton.waitFor();
    const graph = (await api<{ entities: { name: string }[]; relationships: unknown[] }>(token, 'GET', '/graph?limit=100')).body;
    expect(graph.entities.map((e) => e.name)).toContain('Rex');
    await page.getByRole('img', { name: `Entity graph: ${graph.entities.length} entities, ${graph.relationships.length} relationships` }).waitFor();
    expect(await list.getByRole('button').count()).toBe(graph.entities.length);

    // By keyboard: focus the entity's button and press Enter.
    await rexButton.focus();
    await page.keyboard.press('Enter');
    const evidence = page.getByRole('heading', { name: 'Evidence for Rex' });
    await evidence.waitFor();
    const lookup = (
      await api<{ memories: { memory_id: string; text: string }[]; relationships: { source: string; predicate: string; target: string; evidence: string }[] }>(
        token,
        'GET',
        '/entities?name=Rex',
      )
    ).body;
    // Each relationship with its evidence sentence.
    expect(lookup.relationships.length).toBeGreaterThan(0);
    const panel = page.locator('section, aside, div').filter({ has: evidence }).last();
    await page.getByRole('link', { name: rex, exact: true }).waitFor(); // loaded
    for (const r of lookup.relationships) {
      expect(await panel.innerText()).toContain(`${r.source} ${r.predicate} ${r.target}`);
      expect(await panel.innerText()).toContain(r.evidence);
    }
    const rexMemory = lookup.memories.find((m) => m.text === rex)!;
    expect(rexMemory).toBeDefined();
    await expectViewOk(page, 'entities');
    const link = page.getByRole('link', { name: rex, exact: true });
    expect(await link.getAttribute('href')).toBe(`#/memories/${rexMemory.memory_id}`);
    await link.click();
    await h1(page, 'Memory').waitFor();
    expect(await hash(page)).toBe(`#/memories/${rexMemory.memory_id}`);
  });

  it('summaries: the four styles, each sentence linked to its source memories', async () => {
    const token = (await consoleLink('gina')).token;
    const ids = new Set<string>();
    for (const t of [
      'Gina moved to Lisbon in 2021 for a job at a bank.',
      'In 2022 Gina started running and finished a half marathon.',
      'Gina adopted a cat called Miso in 2023.',
      'Gina is planning a trip to Japan next spring.',
    ]) {
      ids.add(await remember(token, t));
    }

    const page = await newPage();
    await signIn(page, 'gina');
    await go(page, 'Summaries');
    const style = page.getByLabel('Style', { exact: true });
    expect(await style.evaluate((s: { options: ArrayLike<{ value: string }> }) => Array.from(s.options, (o) => o.value))).toEqual(['bullets', 'paragraph', 'tldr', 'timeline']);
    for (const s of ['bullets', 'paragraph', 'tldr', 'timeline']) {
      await style.selectOption(s);
      const [asked] = await Promise.all([
        page.waitForRequest((r) => r.url() === `${suite.origin}/api/v1/memory/summarize`),
        page.getByRole('button', { name: 'Summarize' }).click(),
      ]);
      expect(asked.postDataJSON()).toMatchObject({ style: s });
      const source = page.getByRole('link', { name: 'Source 1 of sentence 1', exact: true });
      await source.waitFor();
      const href = (await source.getAttribute('href'))!;
      expect(href, s).toMatch(new RegExp(`^#/memories/${UUID.source}$`));
      expect(ids.has(href.slice('#/memories/'.length)), `${s}: ${href} is not one of gina's memories`).toBe(true);
      if (s === 'timeline') await expectViewOk(page, 'summaries');
    }
    const summarize = recorder.requests.filter((r) => r.test === suite.current && r.url.endsWith('/api/v1/memory/summarize'));
    expect(summarize).toHaveLength(4);
    // With a query.
    await page.getByLabel('Query', { exact: true }).fill('the cat');
    await page.getByRole('button', { name: 'Summarize' }).click();
    await page.getByRole('link', { name: 'Source 1 of sentence 1', exact: true }).click();
    await h1(page, 'Memory').waitFor();
  });

  // --- over the whole run -------------------------------------------------------------------------

  // Its pages make some 35 requests; it uses 6 tokens and stores 12 memory texts and a query.
  wholeRunChecks({ requests: 25, tokens: 6, texts: 10 });
});
