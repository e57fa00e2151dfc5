// End-to-end test of the web app in Debian's Chromium (playwright-core, no browser download).
//   node e2e/run.mjs http://<frontend-id>.localhost:4943/     (or APP_URL=...)
// Two browser contexts stand for two users (Alice and Bob, the app's local development
// identities). What the UI shows is cross-checked with agent-js calls from Node made with the
// same keys, so a check cannot pass on what the page merely claims. Screenshots go to e2e/out/.
// The last line is "N passed, N failed"; the exit status is non-zero if anything failed.
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { HttpAgent, Actor, AnonymousIdentity } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const OUT = join(here, 'out');
mkdirSync(OUT, { recursive: true });
const APP = new URL(process.argv[2] ?? process.env.APP_URL ?? '');
if (!APP.protocol.startsWith('http')) {
  console.error('usage: node e2e/run.mjs <app url>   (or APP_URL=...)');
  process.exit(2);
}
const ORIGIN = APP.origin;
// Node does not resolve *.localhost; the network answers /api on 127.0.0.1 at the same port.
const API_HOST = `http://127.0.0.1:${APP.port || (APP.protocol === 'https:' ? 443 : 80)}`;
const started = Date.now();

const bindings = join(here, '..', 'src', 'lib', 'bindings');
const idl = async (name) => (await import(join(bindings, name, 'declarations', `${name}.did.js`))).idlFactory;

// ---------------------------------------------------------------------------------------------
let passed = 0;
let failed = 0;
const consoleErrors = [];

async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${String(e?.message ?? e).split('\n').slice(0, 4).join(' | ')}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

async function newUser(devUser) {
  const ctx = await browser.newContext({ timezoneId: 'UTC', locale: 'en-US', viewport: { width: 1280, height: 900 } });
  await ctx.addInitScript((name) => {
    if (!localStorage.getItem('icp-calendar.dev-user')) localStorage.setItem('icp-calendar.dev-user', name);
  }, devUser);
  return ctx;
}

function watch(page, label) {
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${label}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${label}: ${e.message}`));
  return page;
}

async function open(ctx, path, label) {
  const page = watch(await ctx.newPage(), label);
  await page.goto(new URL(path, ORIGIN).href);
  return page;
}

/** Waits until the calendar grid has loaded its range. */
async function calendarReady(page) {
  await page.getByTestId('cal-status').filter({ hasText: /occurrence/ }).waitFor({ timeout: 30_000 });
}

const shot = (page, name) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });

// ---- agent-js from Node with the page's own key ------------------------------------------------
async function envOf(ctx) {
  const cookie = (await ctx.cookies(ORIGIN)).find((c) => c.name === 'ic_env');
  assert(cookie, 'no ic_env cookie');
  const vars = Object.fromEntries(
    decodeURIComponent(cookie.value)
      .split('&')
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  const ids = {};
  for (const [k, v] of Object.entries(vars)) if (k.startsWith('PUBLIC_CANISTER_ID:')) ids[k.slice(19)] = v;
  return { rootKey: Uint8Array.from(Buffer.from(vars.ic_root_key, 'hex')), ids };
}

async function nodeClient(page, devUser) {
  const env = await envOf(page.context());
  let identity = new AnonymousIdentity();
  if (devUser) {
    const json = await page.evaluate((n) => localStorage.getItem(`icp-calendar.dev-key.${n}`), devUser);
    assert(json, `no key for ${devUser} in localStorage`);
    identity = Ed25519KeyIdentity.fromJSON(json);
  }
  const agent = HttpAgent.createSync({ host: API_HOST, identity, rootKey: env.rootKey });
  const actor = async (name, id) => Actor.createActor(await idl(name), { agent, canisterId: id ?? env.ids[name] });
  return { env, identity, principal: identity.getPrincipal(), actor };
}

const ns = (iso) => BigInt(Date.parse(iso)) * 1_000_000n;
const timed = (startIso, endIso) => ({ Timed: { start_ns: ns(startIso), end_ns: ns(endIso) } });
function eventInput(title, time, extra = {}) {
  return {
    title,
    time_zone: 'UTC',
    time,
    status: [],
    transparency: [],
    color: [],
    description: [],
    recurrence: [],
    reminders_minutes: [],
    attendees: [],
    visibility: [],
    location: [],
    ...extra,
  };
}
function ok(r, what) {
  assert(r && 'Ok' in r, `${what}: ${JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  return r.Ok;
}

async function axe(page, label) {
  const res = await new AxeBuilder({ page }).analyze();
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(!bad.length, `${label}: ${bad.map((v) => `${v.id} (${v.nodes.length}): ${v.nodes[0]?.target}`).join('; ')}`);
}

// =============================================================================================
const alice = await newUser('Alice');
const bob = await newUser('Bob');
let A; // Alice's main page
let B; // Bob's main page
let aClient;
let bClient;
let aShard;
const WEEK = '2027-01-04'; // a Monday, far from today's data and from DST

await test('first visit: dev identity banner, registration and shard assignment (Alice)', async () => {
  A = await open(alice, '/', 'alice');
  await A.waitForURL(/\/week\/\d{4}-\d{2}-\d{2}\/$/, { timeout: 30_000 });
  await calendarReady(A);
  const banner = A.getByRole('region', { name: 'Development identity' });
  await banner.waitFor();
  const text = await banner.innerText();
  assert(text.includes('Local development identity (this browser only, not Internet Identity)'), 'banner label');
  assert((await A.getByRole('button', { name: /Internet Identity/ }).count()) === 0, 'an II button on the local network');
  aClient = await nodeClient(A, 'Alice');
  assert(text.includes(aClient.principal.toText()), 'banner shows another principal than the stored key');
  const users = await aClient.actor('user_registry');
  const account = ok(await users.get_my_account(), 'get_my_account');
  assert('Assigned' in account.shard, `shard not assigned: ${Object.keys(account.shard)}`);
  aShard = account.shard.Assigned.toText();
  const lb = await aClient.actor('load_balancer');
  assert(ok(await lb.get_shard_for(aClient.principal), 'get_shard_for').toText() === aShard, 'balancer and registry disagree');
  await A.reload();
  await calendarReady(A);
  assert((await A.getByTestId('principal').innerText()) === aClient.principal.toText(), 'principal changed on reload');
  await shot(A, 'first-visit-week');
});

await test('second user in another context (Bob) gets their own principal and account', async () => {
  B = await open(bob, `/week/${WEEK}/`, 'bob');
  await calendarReady(B);
  bClient = await nodeClient(B, 'Bob');
  assert(bClient.principal.toText() !== aClient.principal.toText(), 'same principal for both users');
  const users = await bClient.actor('user_registry');
  const account = ok(await users.get_my_account(), 'get_my_account (Bob)');
  assert(account.profile.display_name === 'Bob', `display name ${account.profile.display_name}`);
});

// A reminder due in about a minute, checked near the end (the notification canister's timer).
let reminderCreatedAt = 0;
await test('an event with a reminder is created (checked in the inbox later)', async () => {
  const cal = await aClient.actor('calendar', aShard);
  const start = new Date(Date.now() + 2 * 60_000 + 5_000);
  start.setUTCSeconds(0, 0);
  const end = new Date(start.getTime() + 30 * 60_000);
  ok(
    await cal.create_event(eventInput('Reminder check', timed(start.toISOString(), end.toISOString()), { reminders_minutes: [Uint32Array.from([1])] })),
    'create_event',
  );
  reminderCreatedAt = Date.now();
});

let createdId;
await test('create an event from the editor (c), drawn in the right column and slot', async () => {
  await A.goto(`${ORIGIN}/week/${WEEK}/`);
  await calendarReady(A);
  await A.keyboard.press('c');
  const dialog = A.getByRole('dialog', { name: 'New event' });
  await dialog.waitFor();
  await dialog.getByLabel('Title').fill('E2E standup');
  await dialog.getByLabel('Start date').fill('2027-01-05');
  await dialog.getByLabel('Start time').fill('10:00');
  await dialog.getByLabel('End date').fill('2027-01-05');
  await dialog.getByLabel('End time').fill('11:00');
  await shot(A, 'editor');
  await axe(A, 'editor');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  const ev = A.locator('.ec-event', { hasText: 'E2E standup' });
  await ev.waitFor();
  // The Tuesday column (2027-01-05) holds it, and its time label says 10:00.
  assert((await ev.locator('.ec-event-time').innerText()).startsWith('10:00'), 'time label');
  const cal = await aClient.actor('calendar', aShard);
  const page = ok(await cal.list_events({ from_ns: ns('2027-01-04T00:00:00Z'), to_ns: ns('2027-01-11T00:00:00Z'), owner: [], cursor: [], limit: [], include_declined: [] }), 'list_events');
  const e = page.events.find((x) => x.title === 'E2E standup');
  assert(e, 'the canister does not have the event');
  assert(e.time.Timed.start_ns === ns('2027-01-05T10:00:00Z'), `start ${e.time.Timed.start_ns}`);
  createdId = e.id;
});

async function eventFromNode(id) {
  const cal = await aClient.actor('calendar', aShard);
  return ok(await cal.get_event(id), 'get_event');
}

await test('drag to move calls update_event: 10:00 becomes 11:00', async () => {
  const ev = A.locator('.ec-event', { hasText: 'E2E standup' });
  await ev.scrollIntoViewIfNeeded();
  await A.mouse.wheel(0, 150); // room below the event for the drop
  await A.waitForTimeout(300);
  const box = await ev.boundingBox();
  assert(box, 'no box');
  const hour = 72; // slotHeight 36 px per 30 minutes
  await A.mouse.move(box.x + box.width / 2, box.y + 8);
  await A.mouse.down();
  await A.mouse.move(box.x + box.width / 2, box.y + 8 + hour / 2, { steps: 5 });
  await A.mouse.move(box.x + box.width / 2, box.y + 8 + hour, { steps: 5 });
  await A.mouse.up();
  await A.getByText('Moved “E2E standup”').waitFor({ timeout: 15_000 });
  const e = await eventFromNode(createdId);
  assert(e.time.Timed.start_ns === ns('2027-01-05T11:00:00Z'), `start after move ${new Date(Number(e.time.Timed.start_ns / 1_000_000n)).toISOString()}`);
  assert(e.revision === 2n, `revision ${e.revision}`);
});

await test('drag the bottom edge to resize: ends 30 minutes later', async () => {
  await calendarReady(A);
  const ev = A.locator('.ec-event', { hasText: 'E2E standup' });
  await ev.scrollIntoViewIfNeeded();
  await A.mouse.wheel(0, 150);
  await A.waitForTimeout(300);
  await ev.hover();
  const box = await ev.boundingBox();
  await A.mouse.move(box.x + box.width / 2, box.y + box.height - 3);
  await A.mouse.down();
  await A.mouse.move(box.x + box.width / 2, box.y + box.height - 3 + 18, { steps: 4 });
  await A.mouse.move(box.x + box.width / 2, box.y + box.height - 3 + 36, { steps: 4 });
  await A.mouse.up();
  // The move's notice may still be shown, so wait for the canister itself (revision 3).
  let e;
  for (const t0 = Date.now(); Date.now() - t0 < 15_000; await A.waitForTimeout(300)) {
    e = await eventFromNode(createdId);
    if (e.revision >= 3n) break;
  }
  assert(e.revision === 3n, `revision ${e.revision}: the resize did not reach the canister`);
  assert(e.time.Timed.end_ns === ns('2027-01-05T12:30:00Z'), `end after resize ${new Date(Number(e.time.Timed.end_ns / 1_000_000n)).toISOString()}`);
  assert(e.time.Timed.start_ns === ns('2027-01-05T11:00:00Z'), 'the resize moved the start');
});

await test('a second tab edits first: saving the stale copy shows a message and overwrites nothing', async () => {
  await A.goto(`${ORIGIN}/week/${WEEK}/`);
  await calendarReady(A);
  await A.locator('.ec-event', { hasText: 'E2E standup' }).click();
  const dialog = A.getByRole('dialog', { name: 'Edit event' });
  await dialog.waitFor();
  const tab2 = await open(alice, `/week/${WEEK}/`, 'alice-tab2');
  await calendarReady(tab2);
  await tab2.locator('.ec-event', { hasText: 'E2E standup' }).click();
  const d2 = tab2.getByRole('dialog', { name: 'Edit event' });
  await d2.getByLabel('Title').fill('E2E standup (tab 2)');
  await d2.getByRole('button', { name: 'Save' }).click();
  await d2.waitFor({ state: 'detached' });
  await tab2.close();
  await dialog.getByLabel('Title').fill('E2E standup (stale tab)');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await A.getByTestId('error-banner').filter({ hasText: 'changed elsewhere' }).waitFor({ timeout: 15_000 });
  await A.locator('.ec-event', { hasText: 'E2E standup (tab 2)' }).waitFor();
  const e = await eventFromNode(createdId);
  assert(e.title === 'E2E standup (tab 2)', `title on chain: ${e.title}`);
});

await test('delete with confirmation', async () => {
  await A.locator('.ec-event', { hasText: 'E2E standup' }).click();
  const dialog = A.getByRole('dialog', { name: 'Edit event' });
  await dialog.getByRole('button', { name: 'Delete…' }).click();
  await dialog.getByRole('button', { name: 'Yes, delete' }).click();
  await dialog.waitFor({ state: 'detached' });
  await A.locator('.ec-event', { hasText: 'E2E standup' }).waitFor({ state: 'detached' });
  const cal = await aClient.actor('calendar', aShard);
  const r = await cal.get_event(createdId);
  assert('Err' in r && 'NotFound' in r.Err, 'still readable after delete');
});

await test('views and shortcuts move the URL; a deep link reloads into the same view', async () => {
  await A.goto(`${ORIGIN}/week/${WEEK}/`);
  await calendarReady(A);
  const steps = [
    ['m', `/month/${WEEK}/`],
    ['d', `/day/${WEEK}/`],
    ['a', `/agenda/${WEEK}/`],
    ['w', `/week/${WEEK}/`],
    ['j', '/week/2027-01-11/'],
    ['k', `/week/${WEEK}/`],
  ];
  for (const [key, path] of steps) {
    await A.keyboard.press(key);
    await A.waitForURL(`${ORIGIN}${path}`, { timeout: 10_000 });
    await calendarReady(A);
  }
  await A.keyboard.press('t');
  await A.waitForURL(/\/week\/\d{4}-\d{2}-\d{2}\/$/);
  assert(!A.url().includes(WEEK), 't did not go to today');
  await A.keyboard.press('?');
  await A.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await A.keyboard.press('Escape');
  await A.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor({ state: 'detached' });
  await A.goto(`${ORIGIN}/month/${WEEK}/`);
  await calendarReady(A);
  assert((await A.locator('h1.title').innerText()).includes('January 2027'), `month title: ${await A.locator('h1.title').innerText()}`);
  await A.getByRole('link', { name: 'Month' }).and(A.locator('[aria-current="page"]')).waitFor();
  await shot(A, 'month');
  await A.goto(`${ORIGIN}/agenda/${WEEK}/`);
  await calendarReady(A);
  await shot(A, 'agenda');
  await A.goto(`${ORIGIN}/day/${WEEK}/`);
  await calendarReady(A);
  await shot(A, 'day');
});

await test('settings are stored on-chain: they survive clearing the browser storage', async () => {
  await A.goto(`${ORIGIN}/settings/`);
  await A.getByLabel('Week starts on').selectOption('Sunday');
  await A.getByLabel('Time zone', { exact: true }).fill('America/New_York');
  await A.getByRole('button', { name: 'Save settings' }).click();
  await A.getByTestId('settings-msg').filter({ hasText: 'Saved on-chain' }).waitFor({ timeout: 15_000 });
  await shot(A, 'settings');
  // Keep only the key (the same person), drop everything else the browser stored.
  const key = await A.evaluate(() => localStorage.getItem('icp-calendar.dev-key.Alice'));
  await A.evaluate(async () => {
    localStorage.clear();
    sessionStorage.clear();
    for (const db of (await indexedDB.databases?.()) ?? []) if (db.name) indexedDB.deleteDatabase(db.name);
  });
  await alice.clearCookies();
  await A.evaluate((k) => {
    localStorage.setItem('icp-calendar.dev-key.Alice', k);
    localStorage.setItem('icp-calendar.dev-user', 'Alice');
  }, key);
  await A.goto(`${ORIGIN}/settings/`);
  await A.getByLabel('Week starts on').waitFor();
  assert((await A.getByLabel('Week starts on').inputValue()) === 'Sunday', 'week start lost');
  assert((await A.getByLabel('Time zone', { exact: true }).inputValue()) === 'America/New_York', 'zone lost');
  await A.goto(`${ORIGIN}/week/${WEEK}/`);
  await calendarReady(A);
  const first = A.locator('.ec-col-head, .ec-day-head').first();
  assert(/ec-sun/.test((await first.getAttribute('class')) ?? ''), `first column: ${await first.getAttribute('class')}`);
});

async function setZone(page, zone) {
  await page.goto(`${ORIGIN}/settings/`);
  await page.getByLabel('Time zone', { exact: true }).fill(zone);
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByTestId('settings-msg').filter({ hasText: 'Saved on-chain' }).waitFor({ timeout: 15_000 });
}

async function timeLabel(page, week, title) {
  await page.goto(`${ORIGIN}/week/${week}/`);
  await calendarReady(page);
  const ev = page.locator('.ec-event', { hasText: title });
  await ev.first().waitFor();
  return (await ev.first().locator('.ec-event-time').innerText()).trim();
}

await test('a DST week: 09:00 New York stays 09:00 in New York and shifts by an hour in UTC', async () => {
  const cal = await aClient.actor('calendar', aShard);
  // Fridays 6 and 13 March 2026 around the US change on Sunday 8 March (14:00Z, then 13:00Z).
  ok(
    await cal.create_event({
      ...eventInput('DST check', timed('2026-03-06T14:00:00Z', '2026-03-06T15:00:00Z')),
      time_zone: 'America/New_York',
      recurrence: [{ rule: 'FREQ=WEEKLY;COUNT=3', exdates_ns: new BigUint64Array(), rdates_ns: [] }],
    }),
    'create DST event',
  );
  // Alice's zone is America/New_York from the previous test.
  const before = await timeLabel(A, '2026-03-02', 'DST check');
  const after = await timeLabel(A, '2026-03-09', 'DST check');
  await shot(A, 'dst-new-york');
  assert(before.startsWith('09:00') && after.startsWith('09:00'), `New York: ${before} / ${after}`);
  await setZone(A, 'UTC');
  const beforeUtc = await timeLabel(A, '2026-03-02', 'DST check');
  const afterUtc = await timeLabel(A, '2026-03-09', 'DST check');
  await shot(A, 'dst-utc');
  assert(beforeUtc.startsWith('14:00') && afterUtc.startsWith('13:00'), `UTC: ${beforeUtc} / ${afterUtc}`);
});

await test("a file's own zone without an IANA twin: stored as its POSIX rule, 09:00 stays 09:00 across its change, editable", async () => {
  // Rules no IANA zone has (both changes at 02:00 local; the EU changes at 01:00 UTC), from a
  // real file (python icalendar's issue 156).
  const rule = '<+01>-1<+02>,M3.5.0,M10.5.0';
  const file = join(OUT, 'own-zone.ics');
  const lines = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//e2e//EN',
    'BEGIN:VTIMEZONE', 'TZID:Western/Central Europe',
    'BEGIN:STANDARD', 'DTSTART:19501029T020000', 'RRULE:FREQ=YEARLY;BYMINUTE=0;BYHOUR=2;BYDAY=-1SU;BYMONTH=10',
    'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'END:STANDARD',
    'BEGIN:DAYLIGHT', 'DTSTART:19500326T020000', 'RRULE:FREQ=YEARLY;BYMINUTE=0;BYHOUR=2;BYDAY=-1SU;BYMONTH=3',
    'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'END:DAYLIGHT', 'END:VTIMEZONE',
    'BEGIN:VEVENT', 'UID:own-zone-course', 'SUMMARY:Own zone course',
    'DTSTART;TZID=Western/Central Europe:20260323T090000', 'DURATION:PT1H', 'RRULE:FREQ=WEEKLY;COUNT=2',
    'END:VEVENT', 'END:VCALENDAR', '',
  ];
  writeFileSync(file, lines.join('\r\n'));
  await A.goto(`${ORIGIN}/settings/`);
  await A.getByTestId('ics-import').setInputFiles(file);
  await A.getByTestId('ics-msg').filter({ hasText: 'Imported' }).waitFor({ timeout: 20_000 });
  // Alice's zone is UTC (previous test): 09:00 at +01 is 08:00; from 29 March, at +02, 07:00.
  // Exact UTC instants (what such a zone used to become) would show 08:00 twice.
  const before = await timeLabel(A, '2026-03-23', 'Own zone course');
  const after = await timeLabel(A, '2026-03-30', 'Own zone course');
  assert(before.startsWith('08:00') && after.startsWith('07:00'), `UTC: ${before} / ${after}`);
  // The editor shows the rule and the wall time in it; saving an edit keeps both.
  await A.locator('.ec-event', { hasText: 'Own zone course' }).first().click();
  const d = A.getByRole('dialog', { name: 'Edit event' });
  assert((await d.getByLabel('Time zone').inputValue()) === rule, `zone: ${await d.getByLabel('Time zone').inputValue()}`);
  assert((await d.getByLabel('Start time').inputValue()) === '09:00', `start: ${await d.getByLabel('Start time').inputValue()}`);
  await d.getByLabel('All occurrences').check();
  await d.getByLabel('Title').fill('Own zone course, edited');
  await d.getByRole('button', { name: 'Save' }).click();
  await d.waitFor({ state: 'detached' });
  const edited = await timeLabel(A, '2026-03-23', 'Own zone course, edited');
  const editedAfter = await timeLabel(A, '2026-03-30', 'Own zone course, edited');
  assert(edited.startsWith('08:00') && editedAfter.startsWith('07:00'), `after the edit: ${edited} / ${editedAfter}`);
  await shot(A, 'own-zone-posix-rule');
});

await test('a weekly rule: one occurrence moved, one cancelled, then "this and following"', async () => {
  const cal = await aClient.actor('calendar', aShard);
  const ev = ok(
    await cal.create_event({
      ...eventInput('Weekly sync', timed('2027-02-01T10:00:00Z', '2027-02-01T11:00:00Z')),
      recurrence: [{ rule: 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4', exdates_ns: new BigUint64Array(), rdates_ns: [] }],
    }),
    'create weekly',
  );
  await A.goto(`${ORIGIN}/month/2027-02-01/`);
  await calendarReady(A);
  assert((await A.locator('.ec-event', { hasText: 'Weekly sync' }).count()) === 4, 'not 4 occurrences in the month');
  // Move Wednesday 3 February to 15:00 (this occurrence only).
  await A.goto(`${ORIGIN}/week/2027-02-01/`);
  await calendarReady(A);
  await A.locator('.ec-event', { hasText: 'Weekly sync' }).nth(1).click();
  let d = A.getByRole('dialog', { name: 'Edit event' });
  await d.getByLabel('This occurrence (move only)').check();
  await d.getByLabel('Start time').fill('15:00');
  await d.getByLabel('End time').fill('16:00');
  await d.getByRole('button', { name: 'Save' }).click();
  await d.waitFor({ state: 'detached' });
  // Cancel Monday 8 February.
  await A.goto(`${ORIGIN}/week/2027-02-08/`);
  await calendarReady(A);
  await A.locator('.ec-event', { hasText: 'Weekly sync' }).first().click();
  d = A.getByRole('dialog', { name: 'Edit event' });
  await d.getByRole('button', { name: 'Delete…' }).click();
  await d.getByRole('button', { name: 'Only this occurrence' }).click();
  await d.waitFor({ state: 'detached' });
  await A.goto(`${ORIGIN}/month/2027-02-01/`);
  await calendarReady(A);
  assert((await A.locator('.ec-event', { hasText: 'Weekly sync' }).count()) === 3, 'cancelled occurrence still drawn');
  const after = ok(await cal.get_event(ev.id), 'get weekly');
  const kinds = after.overrides.map((o) => Object.keys(o.change)[0]).sort().join(',');
  assert(kinds === 'Cancelled,Moved', `overrides: ${kinds}`);
  // "This and following" from Wednesday 10 February: a new title from there on.
  await A.goto(`${ORIGIN}/week/2027-02-08/`);
  await calendarReady(A);
  await A.locator('.ec-event', { hasText: 'Weekly sync' }).first().click();
  d = A.getByRole('dialog', { name: 'Edit event' });
  await d.getByLabel('This and following').check();
  await d.getByLabel('Title').fill('Weekly sync v2');
  await d.getByRole('button', { name: 'Save' }).click();
  await d.waitFor({ state: 'detached' });
  await A.locator('.ec-event', { hasText: 'Weekly sync v2' }).waitFor();
  await A.goto(`${ORIGIN}/month/2027-02-01/`);
  await calendarReady(A);
  assert((await A.locator('.ec-event', { hasText: 'Weekly sync v2' }).count()) === 1, 'split did not create the following series');
  await shot(A, 'recurrence-month');
});

await test('extra dates (RDATE): added in the editor, drawn in the week, kept when one occurrence moves', async () => {
  const cal = await aClient.actor('calendar', aShard);
  const ev = ok(
    await cal.create_event({
      ...eventInput('Lab course', timed('2027-03-01T10:00:00Z', '2027-03-01T11:00:00Z')),
      recurrence: [{ rule: 'FREQ=WEEKLY;COUNT=2', exdates_ns: new BigUint64Array(), rdates_ns: [] }],
    }),
    'create lab course',
  );
  await A.goto(`${ORIGIN}/week/2027-03-01/`);
  await calendarReady(A);
  assert((await A.locator('.ec-event', { hasText: 'Lab course' }).count()) === 1, 'not 1 occurrence in the first week');
  await A.locator('.ec-event', { hasText: 'Lab course' }).first().click();
  let d = A.getByRole('dialog', { name: 'Edit event' });
  await d.getByLabel('All occurrences').check();
  await d.getByLabel('Extra dates').fill('2027-03-04\n2027-03-05 14:00');
  await d.getByRole('button', { name: 'Save' }).click();
  await d.waitFor({ state: 'detached' });
  await A.locator('.ec-event', { hasText: 'Lab course' }).nth(2).waitFor();
  assert((await A.locator('.ec-event', { hasText: 'Lab course' }).count()) === 3, 'extra dates not drawn in the week');
  let stored = ok(await cal.get_event(ev.id), 'get lab course');
  const rdates = (r) => Array.from(r.recurrence[0].rdates_ns[0] ?? []).map((ns) => new Date(Number(ns / 1_000_000n)).toISOString());
  assert(
    rdates(stored).join(',') === '2027-03-04T10:00:00.000Z,2027-03-05T14:00:00.000Z',
    `rdates: ${rdates(stored)}`,
  );
  // Moving the Monday occurrence alone keeps the extra dates as they are.
  await A.locator('.ec-event', { hasText: 'Lab course' }).first().click();
  d = A.getByRole('dialog', { name: 'Edit event' });
  assert((await d.getByLabel('Extra dates').inputValue()) === '2027-03-04\n2027-03-05 14:00', 'the editor shows the extra dates');
  await d.getByLabel('This occurrence (move only)').check();
  await d.getByLabel('Start time').fill('12:00');
  await d.getByLabel('End time').fill('13:00');
  await d.getByRole('button', { name: 'Save' }).click();
  await d.waitFor({ state: 'detached' });
  stored = ok(await cal.get_event(ev.id), 'get lab course again');
  assert(rdates(stored).length === 2 && stored.overrides.length === 1, `after the move: ${rdates(stored)}, ${stored.overrides.length} overrides`);
});

await test('privacy: Bob cannot see a private event, sees a shared one read-only; anonymous sees a public one', async () => {
  const cal = await aClient.actor('calendar', aShard);
  const secret = ok(await cal.create_event(eventInput('Secret A', timed('2027-01-05T09:00:00Z', '2027-01-05T10:00:00Z'), { color: ['#b91c1c'] })), 'secret');
  ok(
    await cal.create_event(
      eventInput('Shared A', timed('2027-01-06T09:00:00Z', '2027-01-06T10:00:00Z'), {
        visibility: [{ Shared: [{ principal: bClient.principal, role: { Viewer: null } }] }],
        color: ['#0f766e'],
      }),
    ),
    'shared',
  );
  const pub = ok(await cal.create_event(eventInput('Public A', timed('2027-01-07T09:00:00Z', '2027-01-07T11:30:00Z'), { visibility: [{ Public: null }], color: ['#fbbf24'], location: ['Room 4'] })), 'public');
  await B.goto(`${ORIGIN}/week/${WEEK}/?owner=${aClient.principal.toText()}&shard=${aShard}`);
  await calendarReady(B);
  await B.getByTestId('other-calendar').waitFor();
  await B.locator('.ec-event', { hasText: 'Shared A' }).waitFor();
  assert((await B.locator('.ec-event', { hasText: 'Secret A' }).count()) === 0, 'Bob sees the private event');
  await B.locator('.ec-event', { hasText: 'Shared A' }).click();
  await B.getByRole('dialog', { name: 'Event (read only)' }).waitFor();
  assert((await B.getByRole('button', { name: 'Save' }).count()) === 0, 'a viewer gets a Save button');
  await shot(B, 'bob-shared-read-only');
  await B.keyboard.press('Escape');
  const bcal = await bClient.actor('calendar', aShard);
  const r = await bcal.get_event(secret.id);
  assert('Err' in r && 'NotFound' in r.Err, 'Bob can read the private event through the API');
  const anon = await nodeClient(B, null);
  const acal = await anon.actor('calendar', aShard);
  assert(ok(await acal.get_event(pub.id), 'anonymous get public').title === 'Public A', 'public title');
  const r2 = await acal.get_event(secret.id);
  assert('Err' in r2, 'anonymous reads the private event');
  await A.goto(`${ORIGIN}/week/${WEEK}/`);
  await calendarReady(A);
  await shot(A, 'week');
});

await test('free/busy privacy: chosen in settings, enforced by the shard for each asker', async () => {
  // Alice shared "Shared A" with Bob above: by default he may see her busy times, a stranger not.
  const week = { user: aClient.principal, from_ns: ns('2027-01-04T00:00:00Z'), to_ns: ns('2027-01-11T00:00:00Z') };
  const bobs = await bClient.actor('calendar', aShard);
  const agent = HttpAgent.createSync({ host: API_HOST, identity: Ed25519KeyIdentity.generate(), rootKey: aClient.env.rootKey });
  const strangers = Actor.createActor(await idl('calendar'), { agent, canisterId: aShard });
  const forbidden = (r) => 'Err' in r && 'Forbidden' in r.Err;
  assert(ok(await bobs.free_busy(week), 'Bob, a contact').length >= 1, 'Bob sees no busy block of Alice');
  assert(forbidden(await strangers.free_busy(week)), 'a stranger sees Alice by default');
  await A.goto(`${ORIGIN}/settings/`);
  const select = A.getByLabel("Who can see when I'm busy");
  await select.waitFor({ timeout: 15_000 });
  assert((await select.inputValue()) === 'Contacts', `default: ${await select.inputValue()}`);
  await select.selectOption({ label: 'Nobody' });
  await A.getByRole('button', { name: 'Save', exact: true }).click();
  await A.getByTestId('freebusy-msg').filter({ hasText: 'Saved.' }).waitFor({ timeout: 15_000 });
  assert(forbidden(await bobs.free_busy(week)), 'Bob still sees Alice after "Nobody"');
  await A.reload();
  await select.waitFor({ timeout: 15_000 });
  assert((await select.inputValue()) === 'Nobody', 'the choice is not kept on-chain');
  await select.selectOption({ label: 'Every signed-in user' });
  await A.getByRole('button', { name: 'Save', exact: true }).click();
  await A.getByTestId('freebusy-msg').filter({ hasText: 'Saved.' }).waitFor({ timeout: 15_000 });
  assert(ok(await strangers.free_busy(week), 'a signed-in stranger').length >= 1, 'the stranger sees no busy block');
});

// Bob's answers to each occurrence of `eventId` in the test week, as his own shard lists them
// (declined ones included), joined by commas: waits up to 30 s for them to be `want`.
async function waitForBobsAnswers(eventId, want) {
  const bShard = ok(await (await bClient.actor('load_balancer')).get_shard_for(bClient.principal), "Bob's shard").toText();
  const bcal = await bClient.actor('calendar', bShard);
  const week = { from_ns: ns('2027-01-04T00:00:00Z'), to_ns: ns('2027-01-11T00:00:00Z'), owner: [], cursor: [], limit: [] };
  const answers = async () => {
    const page = ok(await bcal.list_events({ ...week, include_declined: [true] }), 'Bob list_events');
    const mine = page.occurrences.filter((x) => x.event_id === eventId && x.invited.length === 1);
    return mine.map((o) => Object.keys(o.invited[0].rsvp)[0]).join(',');
  };
  for (let i = 0; i < 60 && (await answers()) !== want; i++) await new Promise((r) => setTimeout(r, 500));
  assert((await answers()) === want, `Bob's listing: ${await answers()}, not ${want}`);
}

await test('invitations: Alice invites Bob; it is in his week, he answers from the dialog with his own reminders, both sides see them', async () => {
  const cal = await aClient.actor('calendar', aShard);
  const invite = ok(
    await cal.create_event(eventInput('Invite A', timed('2027-01-08T13:00:00Z', '2027-01-08T14:00:00Z'), { attendees: [[bClient.principal]] })),
    'create_event with Bob invited',
  );
  // Bob's own listing (his shard) carries the invitation once it is delivered, with his answer.
  await waitForBobsAnswers(invite.id, 'NeedsAction');
  await B.goto(`${ORIGIN}/week/${WEEK}/`);
  await calendarReady(B);
  const ev = B.locator('.ec-event', { hasText: 'Invite A' });
  await ev.waitFor();
  assert((await ev.getAttribute('class')).includes('ev-rsvp-needsaction'), 'an unanswered invitation is not marked');
  await ev.click();
  const dialog = B.getByRole('dialog', { name: 'Event (read only)' });
  await dialog.waitFor();
  await dialog.getByLabel('Your answer').selectOption('Accepted');
  // His reminders are his own: he wants 45 minutes' notice, whatever Alice chose.
  await dialog.getByLabel('Your reminders (minutes before)').fill('45');
  await dialog.getByRole('button', { name: 'Send answer' }).click();
  await dialog.waitFor({ state: 'detached' });
  // The organizer's copy has the answer at once; Bob's shard gets it by delivery.
  const stored = ok(await cal.get_event(invite.id), 'get_event');
  const mine = stored.attendees.find((x) => x.principal.toText() === bClient.principal.toText());
  assert(Object.keys(mine.rsvp)[0] === 'Accepted', `Alice sees ${JSON.stringify(mine.rsvp)}`);
  const own = (stored.attendee_reminders[0] ?? []).map((r) => [r.principal.toText(), Array.from(r.reminders_minutes)]);
  assert(JSON.stringify(own) === JSON.stringify([[bClient.principal.toText(), [45]]]), `own reminders: ${JSON.stringify(own)}`);
  await waitForBobsAnswers(invite.id, 'Accepted');
  await B.reload();
  await calendarReady(B);
  await B.locator('.ec-event.ev-rsvp-accepted', { hasText: 'Invite A' }).click();
  const again = B.getByRole('dialog', { name: 'Event (read only)' });
  const field = again.getByLabel('Your reminders (minutes before)');
  assert((await field.inputValue()) === '45', `the dialog shows ${await field.inputValue()}`);
  await again.getByRole('button', { name: 'Close', exact: true }).click();
  await again.waitFor({ state: 'detached' });
  await shot(B, 'bob-invitation-accepted');
  ok(await cal.delete_event(invite.id, []), 'delete the invitation event');
});

await test('invitations: Bob declines one occurrence of a series from the dialog; the others stay, Alice sees it', async () => {
  const cal = await aClient.actor('calendar', aShard);
  const series = ok(
    await cal.create_event(
      eventInput('Standup A', timed('2027-01-05T08:00:00Z', '2027-01-05T08:30:00Z'), {
        attendees: [[bClient.principal]],
        recurrence: [{ rule: 'FREQ=DAILY;COUNT=3', exdates_ns: [], rdates_ns: [] }],
      }),
    ),
    'create_event: a daily series with Bob invited',
  );
  const second = ns('2027-01-06T08:00:00Z');
  await waitForBobsAnswers(series.id, 'NeedsAction,NeedsAction,NeedsAction');
  await B.goto(`${ORIGIN}/week/${WEEK}/`);
  await calendarReady(B);
  const occurrences = B.locator('.ec-event', { hasText: 'Standup A' });
  await occurrences.nth(2).waitFor();
  await occurrences.nth(1).click();
  const dialog = B.getByRole('dialog', { name: 'Event (read only)' });
  await dialog.waitFor();
  await dialog.getByLabel('Your answer').selectOption('Declined');
  await dialog.getByLabel('Answer for').selectOption({ label: 'This occurrence' });
  await dialog.getByRole('button', { name: 'Send answer' }).click();
  await dialog.waitFor({ state: 'detached' });
  // The organizer's copy: Bob's answer for the series is unchanged, the one occurrence declined.
  const event = ok(await cal.get_event(series.id), 'get_event');
  const answers = event.occurrence_rsvps[0] ?? [];
  assert(
    answers.length === 1 && answers[0].original_start_ns === second && 'Declined' in answers[0].rsvp,
    `Alice sees ${JSON.stringify(answers, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
  );
  assert('NeedsAction' in event.attendees[0].rsvp, 'the series answer changed');
  await waitForBobsAnswers(series.id, 'NeedsAction,Declined,NeedsAction');
  // Bob's week leaves the declined occurrence out and keeps the other two.
  await B.reload();
  await calendarReady(B);
  await occurrences.nth(1).waitFor();
  assert((await occurrences.count()) === 2, `Bob's week shows ${await occurrences.count()} standups`);
  await shot(B, 'bob-declined-one-occurrence');
  ok(await cal.delete_event(series.id, []), 'delete the series');
});

await test('keyboard: Enter opens an event, Tab stays in the dialog, Escape returns focus', async () => {
  await A.goto(`${ORIGIN}/week/${WEEK}/`);
  await calendarReady(A);
  const ev = A.locator('.ec-event', { hasText: 'Secret A' });
  await ev.focus();
  await A.keyboard.press('Enter');
  const dialog = A.getByRole('dialog', { name: 'Edit event' });
  await dialog.waitFor();
  for (let i = 0; i < 40; i++) {
    await A.keyboard.press('Tab');
    const inside = await A.evaluate(() => !!document.activeElement?.closest('dialog[open]'));
    assert(inside, `focus left the dialog after ${i + 1} Tab presses`);
  }
  await A.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  const back = await A.evaluate(() => document.activeElement?.textContent ?? '');
  assert(back.includes('Secret A'), `focus went to: ${back.slice(0, 60)}`);
});

await test('booking: Alice opens her booking page, Bob books a slot through it', async () => {
  await A.goto(`${ORIGIN}/settings/`);
  await A.getByLabel(/Let others book time with me/).check();
  await A.getByLabel('Minimum notice (min)').fill('0');
  // Every day 00:00-23:59 so a slot exists whenever the test runs.
  for (const [i, day] of ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'].entries()) {
    await A.getByRole('button', { name: 'Add range' }).click();
    const n = (await A.locator('[id^="wh-day-"]').count()) - 1;
    await A.locator(`#wh-day-${n}`).selectOption(day);
    await A.locator(`#wh-s-${n}`).fill('00:00');
    await A.locator(`#wh-e-${n}`).fill('23:59');
    void i;
  }
  // The working hours must not overlap, so keep only the seven new ranges.
  while ((await A.locator('[id^="wh-day-"]').count()) > 7) await A.getByRole('button', { name: 'Remove range 1', exact: true }).click();
  await A.getByRole('button', { name: 'Save settings' }).click();
  await A.getByTestId('settings-msg').filter({ hasText: 'Saved on-chain' }).waitFor({ timeout: 15_000 });
  await A.getByRole('button', { name: 'Save booking policy' }).click();
  await A.getByText('Booking page is open.').waitFor({ timeout: 15_000 });
  const link = await A.getByTestId('booking-link').getAttribute('href');
  await B.goto(link);
  const slot = B.getByTestId('slot').first();
  await slot.waitFor({ timeout: 20_000 });
  await shot(B, 'booking');
  await axe(B, 'booking');
  await slot.click();
  await B.getByTestId('booked').waitFor({ timeout: 15_000 });
});

await test('iCalendar: export downloads a VCALENDAR, importing it back reports the events', async () => {
  await A.goto(`${ORIGIN}/settings/`);
  const [download] = await Promise.all([A.waitForEvent('download'), A.getByRole('button', { name: 'Export .ics' }).click()]);
  const file = join(OUT, 'export.ics');
  await download.saveAs(file);
  const text = readFileSync(file, 'utf8');
  assert(text.startsWith('BEGIN:VCALENDAR') && text.includes('BEGIN:VEVENT') && text.includes('Weekly sync'), 'export content');
  await A.getByTestId('ics-import').setInputFiles(file);
  const msg = A.getByTestId('ics-msg').filter({ hasText: 'Imported' });
  await msg.waitFor({ timeout: 20_000 });
  const m = /(\d+) created, (\d+) updated/.exec(await msg.innerText());
  assert(m && Number(m[2]) > 0 && Number(m[1]) === 0, `report: ${await msg.innerText()}`);
});

await test('search over the loaded range (/)', async () => {
  await A.goto(`${ORIGIN}/month/2027-02-01/`);
  await calendarReady(A);
  await A.keyboard.press('/');
  await A.keyboard.type('v2');
  await A.getByRole('region', { name: 'Search results' }).getByText(/1 match/).waitFor();
  assert((await A.locator('.ec-event', { hasText: 'Weekly sync' }).count()) === 1, 'grid not filtered');
});

await test('operations page: every canister healthy, charts with data tables', async () => {
  const page = await open(alice, '/ops/', 'alice-ops');
  const rows = page.getByTestId('health-row');
  await page.waitForFunction(
    () => {
      const r = [...document.querySelectorAll('[data-testid="health-row"]')];
      return r.length >= 6 && r.every((x) => x.getAttribute('data-healthy') === 'true');
    },
    null,
    { timeout: 30_000 },
  );
  const names = await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-canister')));
  for (const n of ['canister_registry', 'user_registry', 'load_balancer', 'notification', 'backup_canister']) assert(names.includes(n), `no row for ${n}`);
  await page.locator('.chart canvas').first().waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => document.querySelectorAll('.chart tbody tr').length >= 4);
  await shot(page, 'ops');
  await axe(page, 'ops');
  await page.close();
});

await test('accessibility: no serious or critical axe violations on week, month, agenda, inbox, settings', async () => {
  for (const path of [`/week/${WEEK}/`, `/month/${WEEK}/`, `/agenda/${WEEK}/`, '/inbox/', '/settings/']) {
    await A.goto(`${ORIGIN}${path}`);
    if (!path.includes('inbox') && !path.includes('settings')) await calendarReady(A);
    else await A.getByRole('heading', { level: 1 }).waitFor();
    await axe(A, path);
  }
});

await test('dark mode from prefers-color-scheme, and usable at 375 px', async () => {
  const ctx = await browser.newContext({ timezoneId: 'UTC', colorScheme: 'dark', viewport: { width: 375, height: 800 } });
  await ctx.addInitScript(() => localStorage.setItem('icp-calendar.dev-user', 'Carol'));
  const page = watch(await ctx.newPage(), 'carol');
  await page.goto(`${ORIGIN}/week/${WEEK}/`);
  await calendarReady(page);
  const lum = await page.evaluate(() => {
    const m = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number);
    return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255;
  });
  assert(lum < 0.2, `background luminance ${lum}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await shot(page, 'week-375-dark');
  assert(overflow <= 1, `page scrolls sideways by ${overflow}px at 375px`);
  await axe(page, 'week, dark, 375 px');
  await page.keyboard.press('c');
  await page.getByRole('dialog', { name: 'New event' }).waitFor();
  await shot(page, 'editor-375-dark');
  await ctx.close();
});

await test('benchmark: draw a week with 200 occurrences (time printed, not asserted)', async () => {
  const ctx = await browser.newContext({ timezoneId: 'UTC', viewport: { width: 1280, height: 900 } });
  await ctx.addInitScript(() => localStorage.setItem('icp-calendar.dev-user', 'Carol'));
  const page = watch(await ctx.newPage(), 'carol-bench');
  await page.goto(`${ORIGIN}/week/2027-03-01/`);
  await calendarReady(page);
  const carol = await nodeClient(page, 'Carol');
  const account = ok(await (await carol.actor('user_registry')).get_my_account(), 'carol account');
  const cal = await carol.actor('calendar', account.shard.Assigned.toText());
  // 200 events Monday to Sunday, 08:00-18:00, 30 minutes each; one import_ics call.
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//e2e//bench//EN'];
  for (let i = 0; i < 200; i++) {
    const day = 1 + (i % 7);
    const minutes = 8 * 60 + ((Math.floor(i / 7) * 20) % 600);
    const start = new Date(Date.UTC(2027, 2, day, 0, minutes));
    const end = new Date(start.getTime() + 30 * 60_000);
    const f = (d) => d.toISOString().replace(/[-:]/g, '').replace('.000', '');
    lines.push('BEGIN:VEVENT', `UID:bench-${i}@e2e`, `DTSTART:${f(start)}`, `DTEND:${f(end)}`, `SUMMARY:Bench ${i}`, 'END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  const report = ok(await cal.import_ics(lines.join('\r\n') + '\r\n', []), 'import_ics');
  assert(report.created === 200, `created ${report.created}`);
  const t0 = Date.now();
  await page.goto(`${ORIGIN}/week/2027-03-01/`);
  await page.waitForFunction(() => document.querySelectorAll('.ec-event').length >= 200, null, { timeout: 60_000 });
  const total = Date.now() - t0;
  await shot(page, 'bench-week-200');
  console.log(`bench: week with 200 occurrences drawn ${total} ms after navigation (page load + list_events + render)`);
  await ctx.close();
});

await test('a network failure shows an error banner, and Retry recovers', async () => {
  const page = await open(bob, `/week/${WEEK}/`, 'bob-offline');
  try {
    await calendarReady(page);
    let aborted = 0;
    await page.route('**/api/**', (r) => {
      aborted += 1;
      return r.abort('connectionrefused');
    });
    // The Next button rather than its shortcut (the shortcuts have their own test): the
    // navigation is then certain, and a missing banner can only be the app's.
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/week/') && !url.pathname.includes(WEEK));
    await page.getByTestId('error-banner').first().waitFor({ timeout: 60_000 }).catch(async (e) => {
      const status = await page.getByTestId('cal-status').innerText().catch(() => '(none)');
      throw new Error(`no error banner after ${aborted} aborted requests (status: ${status}): ${e.message}`);
    });
    assert(aborted > 0, 'the banner showed, but no request was aborted');
    await shot(page, 'network-error');
    await page.unroute('**/api/**');
    await page.getByRole('button', { name: 'Retry' }).click();
    await calendarReady(page);
    assert((await page.getByTestId('error-banner').count()) === 0, 'banner stayed after recovery');
  } finally {
    await page.close();
    // The aborted requests were logged as console errors on purpose; do not count them (also
    // when this test failed, so that the console check reports only its own errors).
    for (let i = consoleErrors.length - 1; i >= 0; i--) if (consoleErrors[i].startsWith('bob-offline')) consoleErrors.splice(i, 1);
  }
});

await test('a reminder reaches the inbox; marking it read clears the badge', async () => {
  const deadline = reminderCreatedAt + 150_000;
  await A.goto(`${ORIGIN}/inbox/`);
  for (;;) {
    if ((await A.getByTestId('inbox-item').filter({ hasText: 'Reminder check' }).count()) > 0) break;
    assert(Date.now() < deadline, 'no reminder within 150 s');
    await A.waitForTimeout(5000);
    await A.reload();
    await A.getByRole('heading', { name: 'Inbox' }).waitFor();
  }
  const badge = A.getByTestId('unread-badge');
  await badge.waitFor();
  const before = Number((await badge.innerText()).match(/\d+/)[0]);
  await shot(A, 'inbox');
  await axe(A, 'inbox with an unread reminder');
  await A.getByRole('button', { name: 'Mark read: Reminder check' }).click();
  await A.getByRole('button', { name: 'Mark read: Reminder check' }).waitFor({ state: 'detached' });
  const inbox = await aClient.actor('notification');
  const page = ok(await inbox.get_notifications({ cursor: [], limit: [], unread_only: false }), 'get_notifications');
  assert(page.notifications.find((n) => n.title === 'Reminder check')?.read === true, 'not read on chain');
  // Other reminders (the booking's, say) may arrive meanwhile: the badge must match the chain.
  const unread = Number(ok(await inbox.unread_count(), 'unread_count'));
  assert(unread < before || unread === 0, `unread ${unread}, badge was ${before}`);
  if (unread === 0) await badge.waitFor({ state: 'detached' });
  else assert(Number((await badge.innerText()).match(/\d+/)[0]) === unread, 'badge differs from unread_count');
});

// Stopping a shard needs a controller: the embedded network's operator key (deploy-secure.sh
// writes it into the state directory). Without it this check is reported as skipped, not passed.
const operatorPem = process.env.OPERATOR_PEM ?? (process.env.LOCAL_NETWORK_STATE_DIR ? join(process.env.LOCAL_NETWORK_STATE_DIR, 'operator.pem') : '');
if (operatorPem && existsSync(operatorPem)) {
  await test('operations page: a stopped shard turns unhealthy, and answers again once started', async () => {
    const der = createPrivateKey(readFileSync(operatorPem)).export({ format: 'der', type: 'pkcs8' });
    const operator = Ed25519KeyIdentity.fromSecretKey(new Uint8Array(der.subarray(der.length - 32)));
    const env = await envOf(alice);
    const agent = HttpAgent.createSync({ host: API_HOST, identity: operator, rootKey: env.rootKey });
    const mgmtIdl = ({ IDL }) => {
      const arg = IDL.Record({ canister_id: IDL.Principal });
      return IDL.Service({ stop_canister: IDL.Func([arg], [], []), start_canister: IDL.Func([arg], [], []) });
    };
    const transform = (_m, args) => ({ effectiveCanisterId: args[0].canister_id });
    const mgmt = Actor.createActor(mgmtIdl, { agent, canisterId: 'aaaaa-aa', callTransform: transform, queryTransform: transform });
    const page = await open(alice, '/ops/', 'alice-ops-stop');
    const row = page.locator(`[data-testid="health-row"]:has(code:text-is("${aShard}"))`);
    await row.and(page.locator('[data-healthy="true"]')).waitFor({ timeout: 30_000 });
    const stoppedAt = Date.now();
    await mgmt.stop_canister({ canister_id: Principal.fromText(aShard) });
    try {
      await row.and(page.locator('[data-healthy="false"]')).waitFor({ timeout: 30_000 });
      await shot(page, 'ops-shard-stopped');
    } finally {
      await mgmt.start_canister({ canister_id: Principal.fromText(aShard) });
    }
    // If the balancer or the backup canister noticed the stop, they raised an operator alert:
    // this test caused it on purpose, so the operator acknowledges it (a later deploy's monitor
    // would otherwise report it as an open problem).
    const inbox = Actor.createActor(await idl('notification'), { agent, canisterId: env.ids.notification });
    const open_ = ok(await inbox.list_alerts({ include_acknowledged: false, cursor: [], limit: [] }), 'list_alerts');
    for (const a of open_.alerts.filter((x) => x.subject[0]?.toText() === aShard && Number(x.first_raised_at_ns / 1_000_000n) >= stoppedAt)) {
      ok(await inbox.acknowledge_alert(a.id), 'acknowledge_alert');
    }
    // It answers again at once; the balancer's own verdict needs M good checks in a row.
    await page.waitForFunction(
      (id) => {
        const r = [...document.querySelectorAll('[data-testid="health-row"]')].find((x) => x.textContent?.includes(id));
        return r && !r.textContent?.includes('unreachable');
      },
      aShard,
      { timeout: 30_000 },
    );
    await page.close();
    for (let i = consoleErrors.length - 1; i >= 0; i--) if (consoleErrors[i].startsWith('alice-ops-stop')) consoleErrors.splice(i, 1);
  });
} else {
  console.log('skip operations page with a stopped shard: set OPERATOR_PEM (or LOCAL_NETWORK_STATE_DIR) to a controller key');
}

await test('account deletion with confirmation removes the account on-chain', async () => {
  const ctx = await newUser('Carol');
  const page = await open(ctx, '/settings/', 'carol-delete');
  await page.getByRole('button', { name: 'Delete my account…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
  const confirm = dialog.getByRole('button', { name: 'Delete account' });
  assert(await confirm.isDisabled(), 'deletion possible without typing the confirmation');
  await dialog.getByLabel('Confirmation').fill('delete');
  await confirm.click();
  await page.getByText(/Deletion (FindingCanisters|Deleting|Complete)/).waitFor({ timeout: 20_000 });
  const carol = await nodeClient(page, 'Carol');
  const users = await carol.actor('user_registry');
  const r = await users.get_my_account();
  assert('Err' in r && 'NotFound' in r.Err, 'the account is still there');
  await ctx.close();
});

await test('no console errors on any page', async () => {
  const unique = [...new Set(consoleErrors)];
  assert(!unique.length, unique.slice(0, 5).join(' || '));
});

await browser.close();
console.log(`e2e took ${((Date.now() - started) / 1000).toFixed(0)} s; screenshots in ${OUT}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
