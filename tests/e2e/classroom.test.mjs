// End-to-end test of the classroom page in a real browser: Debian's headless
// chromium driven by playwright-core (no browser download). The server must be
// running already; .ci/e2e.sh starts it and passes its address in CCGSIM_URL.
//
//   CCGSIM_URL=http://127.0.0.1:8080/ node --test tests/e2e/classroom.test.mjs
//
// CCGSIM_SCREENSHOT names where the screenshot goes (default: a temp folder).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.CCGSIM_URL;
const SHOT = process.env.CCGSIM_SCREENSHOT || join(tmpdir(), 'ccgsim-classroom.png');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let profile;
let context;
let page;
const outside = []; // requests that left the ccgsim server
const pageErrors = [];

before(async () => {
  assert.ok(BASE, 'set CCGSIM_URL to the address `ccgsim serve` printed');
  profile = mkdtempSync(join(tmpdir(), 'ccgsim-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  page = context.pages()[0] || (await context.newPage());
  page.on('request', (r) => {
    if (!r.url().startsWith(BASE) && !r.url().startsWith('data:')) outside.push(r.url());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const data = () => page.evaluate(() => window.ccgsim.state.data);
const month = () => page.evaluate(() => window.ccgsim.state.month);

/** Play at full speed until the page shows month `m`, then pause. */
async function playTo(m) {
  await page.locator('#speed').fill('24');
  await page.click('#play');
  await page.waitForFunction((target) => window.ccgsim.state.month >= target, m, { timeout: 60_000 });
  await page.click('#play');
  await page.waitForFunction(() => !window.ccgsim.state.playing);
  // Let the last request land so the data matches the month on screen.
  await page.waitForFunction(() => window.ccgsim.state.data.months === window.ccgsim.state.month);
}

/** Pixels of the chart whose colour is the narrative shading over white. */
const shadedPixels = () => page.evaluate(() => {
  const c = document.getElementById('chart');
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < px.length; i += 4) {
    // rgba(213, 94, 0, 0.13) over white ≈ (250, 234, 222)
    if (Math.abs(px[i] - 250) <= 3 && Math.abs(px[i + 1] - 234) <= 4 && Math.abs(px[i + 2] - 222) <= 4) n += 1;
  }
  return n;
});

test('the page loads from the binary with presets, five levers, a chart and a practice grid', async () => {
  await page.goto(BASE);
  await page.waitForFunction(() => window.ccgsim && window.ccgsim.ready);
  const presets = await page.locator('#preset option').allTextContents();
  assert.ok(presets.includes('baseline'), `presets: ${presets}`);
  assert.equal(await page.locator('#levers input[type=range]').count(), 5);
  const d = await data();
  assert.equal(d.months, 0);
  const practices = Number(await page.locator('[id="lever-ccg.practices"]').inputValue());
  assert.equal(await page.locator('#grid .cell').count(), practices);
  assert.equal(d.practices, practices);
  assert.equal(await page.locator('#grid .locality').count(), d.localities);
});

test('moving the CCG size slider rebuilds the CCG with that many practices', async () => {
  await page.locator('[id="lever-ccg.practices"]').fill('60');
  await page.waitForFunction(() => window.ccgsim.state.data.practices === 60);
  assert.equal(await page.locator('#grid .cell').count(), 60);
  const body = await page.evaluate(() => window.ccgsim.requestBody(0));
  assert.equal(body.params['ccg.practices'], 60);
});

test('a failure narrative is shaded on the chart and lowers credibility against the same run without it', async () => {
  await playTo(12);
  const start = await month();
  assert.equal(await shadedPixels(), 0, 'no narrative yet, no shading');
  const before = await page.evaluate(() => document.getElementById('chart').toDataURL());

  await page.locator('#narrative-strength').fill('1');
  await page.click('#narrative');
  assert.equal(await page.locator('#narrative').getAttribute('aria-pressed'), 'true');
  await playTo(start + 18);
  await page.click('#narrative');
  assert.equal(await page.locator('#narrative').getAttribute('aria-pressed'), 'false');
  const stop = await month();

  const d = await data();
  // The shock is on from the month after the click to the month on screen at the second click.
  d.narrative_shock.forEach((s, t) => {
    const on = t >= start + 1 && t <= stop;
    assert.equal(s > 0, on, `month ${t}: shock ${s}`);
  });
  assert.ok(await shadedPixels() > 1000, 'the narrative window is shaded');
  const afterImg = await page.evaluate(() => document.getElementById('chart').toDataURL());
  assert.notEqual(afterImg, before);

  // The same timeline without the narrative, from the same server.
  const without = await page.evaluate(async () => {
    const body = window.ccgsim.requestBody(window.ccgsim.state.month);
    body.events = body.events.filter((e) => e.failure_narrative === undefined);
    const res = await fetch('/api/run', { method: 'POST', body: JSON.stringify(body) });
    return res.json();
  });
  const withCred = d.series.credibility;
  const withoutCred = without.series.credibility;
  // Determinism: months before the narrative are identical.
  assert.deepEqual(withCred.slice(0, start + 1), withoutCred.slice(0, start + 1));
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const w = mean(withCred.slice(start + 1, stop + 1));
  const wo = mean(withoutCred.slice(start + 1, stop + 1));
  assert.ok(w < wo, `credibility under the narrative ${w} should be below ${wo}`);
});

test('a lever moved mid-run takes effect from the next month, and only from then', async () => {
  const m = await month();
  await page.locator('[id="lever-constitution.sanctions"]').fill('0.9');
  const body = await page.evaluate((mm) => window.ccgsim.requestBody(mm + 1), m);
  const ev = body.events.find((e) => e.set && 'constitution.sanctions' in e.set);
  assert.ok(ev, JSON.stringify(body.events));
  assert.equal(ev.month, m + 1);
  assert.equal(ev.set['constitution.sanctions'], 0.9);
  assert.match(await page.locator('#timeline').textContent(), /Sanction intensity/);
  for (const k of [1, 2, 3]) {
    await page.click('#step');
    await page.waitForFunction((t) => window.ccgsim.state.data.months === t, m + k);
  }
  const d = await data();
  const without = await page.evaluate(async () => {
    const b = window.ccgsim.requestBody(window.ccgsim.state.month);
    b.events = b.events.filter((e) => !(e.set && 'constitution.sanctions' in e.set));
    return (await fetch('/api/run', { method: 'POST', body: JSON.stringify(b) })).json();
  });
  const own = d.series.ownership_members;
  const ownWithout = without.series.ownership_members;
  assert.deepEqual(own.slice(0, m + 1), ownWithout.slice(0, m + 1));
  assert.notDeepEqual(own.slice(m + 1), ownWithout.slice(m + 1));
});

test('"Run 20 futures" draws 20 seeds: the first is the main run, the others differ by chance', async () => {
  await page.click('#futures');
  await page.waitForFunction(() => window.ccgsim.state.data.futures.length === 20);
  const d = await data();
  for (const f of d.futures) assert.equal(f.series.credibility.length, d.months + 1);
  assert.deepEqual(d.futures[0].series.engaged_share, d.series.engaged_share);
  const distinct = new Set(d.futures.map((f) => JSON.stringify(f.series.ownership_members)));
  assert.equal(distinct.size, 20, 'each future has its own random stream');
});

test('settings the scenario parser refuses are shown with its message', async () => {
  const res = await page.evaluate(async () => {
    const body = window.ccgsim.requestBody(3);
    body.params = { ...body.params, 'constitution.sanctions': 1.5 };
    const r = await fetch('/api/run', { method: 'POST', body: JSON.stringify(body) });
    return { status: r.status, json: await r.json() };
  });
  assert.equal(res.status, 400);
  assert.deepEqual(res.json.errors, [
    { key: 'constitution.sanctions', message: '1.5 is out of range; allowed a number from 0 to 1' },
  ]);
  await page.evaluate(() => { window.ccgsim.state.base['constitution.sanctions'] = 1.5; return window.ccgsim.refresh(); });
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.locator('#error').innerText(), /constitution\.sanctions: 1\.5 is out of range/);
  pageErrors.length = 0; // the 400 above is logged by the browser on purpose
  await page.evaluate(() => { window.ccgsim.state.base['constitution.sanctions'] = 0.2; return window.ccgsim.refresh(); });
  await page.waitForSelector('#error', { state: 'hidden' });
});

test('when the server cannot be reached the page says so instead of freezing', async () => {
  await page.route('**/api/run', (route) => route.abort());
  await page.click('#step');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.locator('#error').innerText(), /Cannot reach the ccgsim server/);
  await page.unroute('**/api/run');
  await page.evaluate(() => window.ccgsim.refresh());
  await page.waitForSelector('#error', { state: 'hidden' });
  pageErrors.length = 0; // the aborted request is logged by the browser on purpose
});

for (const [width, height] of [[1024, 768], [1400, 1000]]) {
  test(`at ${width}×${height} (a projector) play and the narrative are on screen and the legend clears the edge`, async () => {
    await page.setViewportSize({ width, height });
    await page.goto(BASE);
    await page.waitForFunction(() => window.ccgsim && window.ccgsim.ready && window.ccgsim.state.legendBox);
    assert.equal(await page.evaluate(() => window.scrollY), 0);
    for (const id of ['play', 'step', 'narrative', 'narrative-strength']) {
      const b = await page.locator(`#${id}`).boundingBox();
      assert.ok(b, `#${id} is shown`);
      assert.ok(b.y >= 0 && b.y + b.height <= height && b.x >= 0 && b.x + b.width <= width,
        `#${id} at ${JSON.stringify(b)} is outside the ${width}×${height} window`);
    }
    // Nothing sticks out sideways.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= width);
    // The chart's legend keeps a margin from both canvas edges, and the canvas
    // fits in the window.
    const lb = await page.evaluate(() => window.ccgsim.state.legendBox);
    const canvas = await page.locator('#chart').boundingBox();
    assert.ok(Math.abs(lb.width - Math.round(canvas.width)) <= 1, `${lb.width} vs ${canvas.width}`);
    assert.ok(lb.left >= 12 && lb.right <= lb.width - 12, `legend ${JSON.stringify(lb)}`);
    assert.ok(canvas.x + canvas.width <= width);
    mkdirSync(dirname(SHOT), { recursive: true });
    await page.screenshot({ path: SHOT.replace(/\.png$/, `-${width}x${height}.png`) });
  });
}

test('the lesson: a six-month narrative with 20 futures, screenshot; no request left the ccgsim server', async () => {
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(BASE); // a fresh page: the state of the earlier tests is gone
  await page.waitForFunction(() => window.ccgsim && window.ccgsim.ready);
  await page.locator('#narrative-strength').fill('0.2');
  await page.click('#futures');
  await playTo(12);
  await page.click('#narrative');
  await playTo(18);
  await page.click('#narrative');
  await playTo(60);
  const d = await data();
  assert.equal(d.futures.length, 20);
  assert.ok(d.narrative_shock.some((s) => s > 0));
  mkdirSync(dirname(SHOT), { recursive: true });
  await page.screenshot({ path: SHOT, fullPage: true });
  console.log(`screenshot: ${SHOT}`);
  assert.deepEqual(outside, []);
  assert.deepEqual(pageErrors, []);
});
