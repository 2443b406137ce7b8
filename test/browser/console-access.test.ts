import { describe, expect, it } from 'vitest';
import { type BrowserWindow, httpStatusLogged, screenshot } from '../helpers/browser.js';
import {
  alert,
  consoleSuite,
  expectViewOk,
  focused,
  fromTop,
  h1,
  noTokenKept,
} from '../helpers/console-suite.js';

/**
 * The web console (issue 20) as a person meets it, its door: the page's policy and headers, signing in
 * with the link of `engram console` (and by keyboard), another user's memory, a tampered token, a relay
 * token. Real Chromium against a real `engram serve` on embedded PGlite (test/helpers/console-suite.ts);
 * elements are found by role, label and text (the accessible names the console promises), never by CSS
 * class. The last tests check every page's requests and problems, and the server's logs, over the file.
 */

declare const window: BrowserWindow;

describe('web console in Chromium: access', () => {
  const suite = consoleSuite();
  const { recorder, tokens, allowedProblems, newPage, consoleLink, cliToken, remember, signIn, openHash, wholeRunChecks } = suite;

  it('serves /console with a strict Content-Security-Policy, its security headers and no inline code', async () => {
    const redirect = await fetch(`${suite.origin}/console`, { redirect: 'manual' });
    expect(redirect.status).toBeGreaterThanOrEqual(301);
    expect(redirect.status).toBeLessThanOrEqual(308);
    expect(new URL(redirect.headers.get('location')!, suite.origin).pathname).toBe('/console/');

    const res = await fetch(`${suite.origin}/console/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0]!, d.split(/\s+/).slice(1).join(' ')] as const),
    );
    expect(Object.fromEntries(directives)).toMatchObject({
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self'",
      'connect-src': "'self'",
      'base-uri': "'none'",
      'frame-ancestors': "'none'",
    });
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toMatch(/no-store/);

    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/console\//);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b|\bstyle=|\bon[a-z]+=/i);
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//i);

    // The assets carry the policy too; a JS bundle is JavaScript, never sniffed.
    const js = await fetch(`${suite.origin}/console/assets/main.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('content-security-policy')).toBe(csp);
  });

  it('signs in with the link of `engram console`, forgets the token everywhere but in memory, and is usable by keyboard', async () => {
    const page = await newPage();
    const first = await page.goto(`${suite.origin}/console/`);
    expect(first!.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Token', { exact: true }).waitFor();
    // Keyboard: the first Tab lands on the skip link.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('A Skip to content');
    await expectViewOk(page, 'sign-in');

    const { link, token } = await consoleLink('alice');
    await page.goto(link);
    await page.getByText('Signed in as alice').waitFor();
    await h1(page, 'Memories').waitFor();
    // The token left the address bar at once, and went nowhere but into the page's memory.
    expect(page.url()).toBe(`${suite.origin}/console/#/memories`);
    await noTokenKept(page);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    // The link's token is a 15-minute read/write token for alice.
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(payload.sub).toBe('alice');
    expect(payload.exp - payload.iat).toBe(900);
    // No relay scope: no user picker.
    expect(await page.getByLabel('User id', { exact: true }).count()).toBe(0);

    // Keyboard: Tab from the top reaches the skip link first; Enter on it moves focus into the content.
    await fromTop(page);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('A Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => !!window.document.activeElement?.closest('main'))).toBe(true);
    // The nav links are reachable by Tab and work with Enter; focus lands on the new view's heading.
    await fromTop(page);
    for (const view of ['Search', 'Data']) {
      let reached = false;
      for (let i = 0; i < 40 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = (await focused(page)) === `A ${view}` && (await page.evaluate(() => !!window.document.activeElement?.closest('nav')));
      }
      expect(reached, `Tab never reached the ${view} link`).toBe(true);
      await page.keyboard.press('Enter');
      const heading = view === 'Data' ? 'Your data' : view;
      await h1(page, heading).waitFor();
      await expect.poll(() => focused(page)).toBe(`H1 ${heading}`);
    }

    // A reload forgets the token: the sign-in view again.
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByText('Signed in as alice').count()).toBe(0);
    // Sign out forgets it too.
    await page.goto(link);
    await page.getByText('Signed in as alice').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByText('Signed in as alice').count()).toBe(0);
    await noTokenKept(page);
  });

  it("another user's memory id in the address bar shows \"not found\", never the memory", async () => {
    allowedProblems.set(suite.current, [httpStatusLogged(404)]);
    const bob = await cliToken('bob');
    const secret = 'Bob hides the spare key under the third flowerpot.';
    const bobsId = await remember(bob, secret);

    const page = await newPage();
    await signIn(page, 'carol');
    await openHash(page, `#/memories/${bobsId}`);
    await h1(page, 'Memory not found').waitFor();
    await page.getByText('NOT_FOUND: memory not found').waitFor();
    await page.getByText('Signed in as carol').waitFor();
    const html = await page.content();
    expect(html).not.toContain('flowerpot');
    expect(html).not.toContain('spare key');
    // The request named carol's token's user, and the API said 404.
    expect(recorder.requests.some((r) => r.test === suite.current && r.url === `${suite.origin}/api/v1/memory/${bobsId}`)).toBe(true);
    await expectViewOk(page, 'not-found');
  });

  it('refuses a tampered token: a flipped signature character, or a payload naming another user', async () => {
    allowedProblems.set(suite.current, [httpStatusLogged(401)]);
    const { token } = await consoleLink('dave');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // A character in the middle of the signature: every bit of it counts (the last one may carry padding bits).
    const at = Math.floor(signature.length / 2);
    const flipped = `${header}.${payload}.${signature.slice(0, at)}${signature[at] === 'A' ? 'B' : 'A'}${signature.slice(at + 1)}`;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const otherSub = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'bob' })).toString('base64url')}.${signature}`;
    for (const t of [flipped, otherSub]) tokens.add(t);

    const page = await newPage();
    await page.goto(`${suite.origin}/console/`);
    for (const bad of [flipped, otherSub]) {
      await page.getByLabel('Token', { exact: true }).fill(bad);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().startsWith(`${suite.origin}/api/v1/memory`)),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      expect(answer.status()).toBe(401);
      await alert(page, 'UNAUTHENTICATED').waitFor();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await page.getByText(/Signed in as/).count()).toBe(0);
    }
    await screenshot(page, 'sign-in-refused-1280');
    // The same through a link.
    const linked = await newPage();
    await linked.goto(`${suite.origin}/console/#token=${otherSub}`);
    await alert(linked, 'UNAUTHENTICATED').waitFor();
    await linked.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(linked.url()).not.toContain('token');
    expect(await linked.getByText(/Signed in as/).count()).toBe(0);
    expect(await linked.getByRole('navigation', { name: 'Console' }).count()).toBe(0);
    await noTokenKept(linked);
  });

  it('a relay token (memory:relay) picks which user to view', async () => {
    const bob = await cliToken('bob');
    const bobsText = 'Bob waters the fern on the balcony every Sunday.';
    await remember(bob, bobsText);
    const ops = await cliToken('ops', ['memory:read', 'memory:write', 'memory:relay']);

    const page = await newPage();
    await page.goto(`${suite.origin}/console/`);
    await page.getByLabel('Token', { exact: true }).fill(ops);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as ops').waitFor();
    await page.getByLabel('User id', { exact: true }).fill('bob');
    await page.getByRole('button', { name: 'View user' }).click();
    await page.getByRole('link', { name: bobsText, exact: true }).click();
    await h1(page, 'Memory').waitFor();
    await page.getByText(bobsText).first().waitFor();
    const asBob = recorder.requests.filter((r) => r.test === suite.current && r.url.includes('/api/v1/memory') && new URL(r.url).searchParams.get('user_id') === 'bob');
    expect(asBob.length).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'relay-view-user-1280');
  });

  // --- over the whole run -------------------------------------------------------------------------

  // Its pages make some 30 requests; it uses 8 tokens and stores 2 memory texts.
  wholeRunChecks({ requests: 25, tokens: 8, texts: 1 });
});
