import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page, type Request, type Route } from 'playwright-core';
import { API, call, closeClients, createPost, like, token, uid, waitFor } from '../support/stack.js';

/**
 * The demo page at /app/ with the client SDK, in Debian's headless Chromium, against the real like-API of the
 * test stack. Playwright's request interception holds or fails the like requests the page sends; everything
 * else (page, SDK, API, Redis, Kafka) is real, and the server's state is checked with real GETs.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = `${process.env.LIKEPIPE_STATE ?? `${ROOT}.likepipe/test`}/artifacts`;
const HEART_RED = 'rgb(224, 36, 94)'; // --heart in apps/web/public/style.css

let browser: Browser;
let context: BrowserContext;
let pageErrors: string[];

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.LIKEPIPE_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    // Chromium's sandbox refuses to run as root, which the test machine is.
    args: ['--no-sandbox'],
  });
});
afterAll(async () => {
  await browser?.close();
  await closeClients();
});
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 720, height: 480 } });
  pageErrors = [];
});
afterEach(async () => {
  await context.close();
  // Any uncaught error in the page or the SDK fails the test that caused it.
  expect(pageErrors).toEqual([]);
});

/** Opens the page as `user` with `posts`, and waits until every post shows the server's count. */
async function openPage(user: string, posts: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${API}/app/#token=${await token(user)}&posts=${posts.join(',')}`);
  for (const id of posts) await until(`post ${id} to load`, async () => (await countOf(page, id)) !== '–');
  return page;
}

const row = (page: Page, postId: string) => page.locator(`li[data-post-id="${postId}"]`);
const heart = (page: Page, postId: string) => row(page, postId).locator('.heart');
const countOf = (page: Page, postId: string) => row(page, postId).locator('.count').textContent();
const pressed = async (page: Page, postId: string) =>
  (await heart(page, postId).getAttribute('aria-pressed')) === 'true';
const idle = async (page: Page, postId: string) => (await row(page, postId).getAttribute('data-state')) === 'idle';
const heartColor = (page: Page, postId: string) =>
  heart(page, postId)
    .locator('.icon')
    // Runs in the page; the test project is type-checked without the DOM library.
    .evaluate(
      (el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color,
    );

const until = (what: string, fn: () => Promise<boolean>) => waitFor(what, fn, 20_000, 50);

/** The like requests (POST and DELETE) the page sends for a post, in order. */
function likeRequests(page: Page, postId: string): Request[] {
  const seen: Request[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === `/api/posts/${postId}/like`) seen.push(r);
  });
  return seen;
}

/** Holds the post's like requests at the browser's edge until `release()`; nothing reaches the server before. */
async function holdLikes(page: Page, postId: string) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held: Route[] = [];
  await page.route(`**/api/posts/${postId}/like`, async (route) => {
    held.push(route);
    await gate;
    await route.continue();
  });
  return { held, release };
}

async function serverView(user: string, postId: string): Promise<{ likedByMe: boolean; likeCount: number }> {
  const r = await call('GET', `/api/posts/${postId}`, { user });
  expect(r.status).toBe(200);
  return { likedByMe: r.body.likedByMe, likeCount: r.body.likeCount };
}

test('the like-API serves the page and the SDK without auth, and refuses to be framed', async () => {
  const redirect = await fetch(`${API}/app`, { redirect: 'manual' });
  expect(redirect.status).toBe(301);
  expect(redirect.headers.get('location')).toBe('/app/');
  const page = await fetch(`${API}/app/`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.headers.get('x-frame-options')).toBe('DENY');
  expect(await page.text()).toContain('"@likepipe/client": "./sdk/index.js"');
  const sdk = await fetch(`${API}/app/sdk/index.js`);
  expect(sdk.status).toBe(200);
  expect(sdk.headers.get('content-type')).toMatch(/^text\/javascript/);
  expect(await sdk.text()).toContain('LikeClient');
  // The API itself still wants a token.
  expect((await fetch(`${API}/api/posts/anything`)).status).toBe(401);
});

test('the heart turns red before the response arrives, then the server count replaces the local one', async () => {
  const postId = await createPost();
  const fan = uid('fan');
  const page = await openPage(fan, [postId]);
  expect(await countOf(page, postId)).toBe('0');
  expect(await pressed(page, postId)).toBe(false);
  // Someone else likes it after the page loaded: the page's count is now stale.
  expect((await like(uid('other'), postId)).status).toBe(200);

  const { held, release } = await holdLikes(page, postId);
  await heart(page, postId).click();
  await until('the like request to reach the browser edge', async () => held.length === 1);

  expect(await pressed(page, postId)).toBe(true);
  expect(await heartColor(page, postId)).toBe(HEART_RED);
  expect(await countOf(page, postId)).toBe('1'); // local: the stale 0, plus this user's like
  expect(await idle(page, postId)).toBe(false);
  const request = held[0]!.request();
  expect(request.method()).toBe('POST');
  expect(request.headers()['idempotency-key']).toMatch(/^tap-[0-9a-f]{32}$/);
  // The request is still held, so no response can have arrived: the server has not seen this like.
  expect(await serverView(fan, postId)).toEqual({ likedByMe: false, likeCount: 1 });

  release();
  await until('the page to settle', () => idle(page, postId));
  expect(await countOf(page, postId)).toBe('2'); // the server's count, which includes the other user's like
  expect(await pressed(page, postId)).toBe(true);
  expect(await serverView(fan, postId)).toEqual({ likedByMe: true, likeCount: 2 });
});

test('an injected server failure rolls the heart back with a visible note, and the server is unchanged', async () => {
  const postId = await createPost();
  const fan = uid('fan');
  const page = await openPage(fan, [postId]);
  const attempts: Request[] = [];
  await page.route(`**/api/posts/${postId}/like`, async (route) => {
    attempts.push(route.request());
    await route.fulfill({
      status: 503,
      headers: { 'retry-after': '1' },
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'unavailable', message: 'injected by the test' } }),
    });
  });

  await heart(page, postId).click();
  expect(await pressed(page, postId)).toBe(true);
  expect(await countOf(page, postId)).toBe('1');

  const note = page.locator(`#notes .note[data-post-id="${postId}"]`);
  await note.waitFor({ state: 'visible', timeout: 30_000 });
  expect(await note.textContent()).toContain(`Your like of ${postId} was rolled back`);
  expect(await pressed(page, postId)).toBe(false);
  expect(await heartColor(page, postId)).not.toBe(HEART_RED);
  expect(await countOf(page, postId)).toBe('0');
  // Every retry of the tap (the SDK's default is 5 attempts) carried the tap's one idempotency key.
  expect(attempts).toHaveLength(5);
  const keys = new Set(attempts.map((r) => r.headers()['idempotency-key']));
  expect(keys.size).toBe(1);
  expect(await serverView(fan, postId)).toEqual({ likedByMe: false, likeCount: 0 });

  // Once the server works again, a new tap (with a new key) goes through.
  await page.unroute(`**/api/posts/${postId}/like`);
  const sent = likeRequests(page, postId);
  await heart(page, postId).click();
  await until('the like to be confirmed', async () => (await idle(page, postId)) && (await pressed(page, postId)));
  expect(await countOf(page, postId)).toBe('1');
  expect(sent).toHaveLength(1);
  expect(keys.has(sent[0]!.headers()['idempotency-key'])).toBe(false);
  expect(await serverView(fan, postId)).toEqual({ likedByMe: true, likeCount: 1 });
});

test('like, unlike, like while the like is in flight: one request, and the post ends liked', async () => {
  const postId = await createPost();
  const fan = uid('fan');
  const page = await openPage(fan, [postId]);
  const sent = likeRequests(page, postId);
  const { held, release } = await holdLikes(page, postId);

  await heart(page, postId).click();
  await heart(page, postId).click();
  await heart(page, postId).click();
  await until('the first request to be held', async () => held.length === 1);
  expect(await pressed(page, postId)).toBe(true);
  release();
  await until('the page to settle', () => idle(page, postId));

  // The unlike and the second like only moved the intent, which ended where the in-flight like was going.
  expect(sent.map((r) => r.method())).toEqual(['POST']);
  expect(await pressed(page, postId)).toBe(true);
  expect(await countOf(page, postId)).toBe('1');
  expect(await serverView(fan, postId)).toEqual({ likedByMe: true, likeCount: 1 });
});

test('like, unlike, like, unlike while the like is in flight: the unlike follows, and the post ends unliked', async () => {
  const postId = await createPost();
  const fan = uid('fan');
  const page = await openPage(fan, [postId]);
  const sent = likeRequests(page, postId);
  const { held, release } = await holdLikes(page, postId);

  for (let i = 0; i < 4; i++) await heart(page, postId).click();
  await until('the first request to be held', async () => held.length === 1);
  expect(await pressed(page, postId)).toBe(false);
  release();
  await until('the page to settle', () => idle(page, postId));

  expect(sent.map((r) => r.method())).toEqual(['POST', 'DELETE']);
  const keys = sent.map((r) => r.headers()['idempotency-key']);
  expect(new Set(keys).size).toBe(2);
  expect(await pressed(page, postId)).toBe(false);
  expect(await countOf(page, postId)).toBe('0');
  expect(await serverView(fan, postId)).toEqual({ likedByMe: false, likeCount: 0 });
});

test('rapid taps against the live server end in the last intent with at most what is needed', async () => {
  const postId = await createPost();
  const fan = uid('fan');
  const page = await openPage(fan, [postId]);
  const sent = likeRequests(page, postId);

  // No interception: the three taps race the real answers.
  await heart(page, postId).evaluate((el: { click(): void }) => {
    el.click();
    el.click();
    el.click();
  });
  expect(await pressed(page, postId)).toBe(true);
  await until('the page to settle', () => idle(page, postId));

  const methods = sent.map((r) => r.method());
  expect(methods.length).toBeLessThanOrEqual(3);
  expect(methods.at(-1)).toBe('POST');
  methods.forEach((m, i) => expect(m).toBe(i % 2 === 0 ? 'POST' : 'DELETE'));
  expect(await pressed(page, postId)).toBe(true);
  expect(await countOf(page, postId)).toBe('1');
  expect(await serverView(fan, postId)).toEqual({ likedByMe: true, likeCount: 1 });
});

test('the run leaves a screenshot of the page (a like, a count from others, a rollback note)', async () => {
  const [liked, popular, failing] = [await createPost(), await createPost(), await createPost()];
  for (let i = 0; i < 3; i++) expect((await like(uid('crowd'), popular)).status).toBe(200);
  const fan = uid('fan');
  const page = await openPage(fan, [liked, popular, failing]);
  await page.route(`**/api/posts/${failing}/like`, (route) =>
    route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"code":"internal"}}' }),
  );
  await heart(page, liked).click();
  await heart(page, failing).click();
  await page.locator('#notes .note').waitFor({ state: 'visible', timeout: 30_000 });
  await until('the like to be confirmed', () => idle(page, liked));

  mkdirSync(ARTIFACTS, { recursive: true });
  const file = `${ARTIFACTS}/client-page.png`;
  await page.screenshot({ path: file, fullPage: true });
  const png = readFileSync(file);
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(statSync(file).size).toBeGreaterThan(5_000);
  // The token moved out of the address bar (and so out of history and the screenshot).
  expect(page.url()).not.toContain('token=');
  expect(await countOf(page, popular)).toBe('3');
  expect(await serverView(fan, liked)).toEqual({ likedByMe: true, likeCount: 1 });
});

test('without post ids the page shows the viewer feed, hottest first, with working hearts', async () => {
  const hot = await createPost();
  for (let i = 0; i < 40; i++) expect((await like(uid('crowd'), hot)).status).toBe(200);
  // Other suites' hot posts share the feed: show up to 100 so this one is surely listed.
  const viewer = uid('viewer');
  // The feed-ranker publishes its candidates every few hundred ms in tests.
  const feed = await waitFor('the post to be in the viewer feed', async () => {
    const r = await call('GET', '/api/feed?limit=100', { user: viewer });
    const ids = (r.body.items as { postId: string }[]).map((i) => i.postId);
    return ids.includes(hot) && ids;
  });
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${API}/app/#token=${await token(viewer)}&feed=100`);
  await until('the feed to load', async () => (await page.locator('li.post').count()) > 0);
  const shown = await page
    .locator('li.post')
    .evaluateAll((lis) => lis.map((li) => (li as unknown as { dataset: { postId: string } }).dataset.postId));
  // The page lists the feed in its order (a refresh between the two reads may reorder the tail).
  expect(shown.length).toBe(feed.length);
  expect(shown).toContain(hot);
  expect(await page.locator('#source').textContent()).toBe(`your feed: ${feed.length} posts, hottest first`);
  await until('the hot post to load', async () => (await countOf(page, hot)) === '40');
  await heart(page, hot).click();
  await until('the like to be confirmed', () => idle(page, hot));
  expect(await serverView(viewer, hot)).toEqual({ likedByMe: true, likeCount: 41 });
});
