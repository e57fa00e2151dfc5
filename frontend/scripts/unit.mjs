// Unit checks of the pure modules (time-zone arithmetic, RRULE builder, feed addresses), without a test framework:
// the TypeScript is transpiled with the compiler already installed. Prints "N passed, N failed".
import ts from 'typescript';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'lib');
const dir = mkdtempSync(join(tmpdir(), 'fe-unit-'));
async function load(name) {
  const out = ts.transpileModule(readFileSync(join(src, `${name}.ts`), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, out);
  return import(pathToFileURL(file).href);
}
const t = await load('time');
const r = await load('recurrence');
const f = await load('feeds');

let passed = 0;
let failed = 0;
function check(name, actual, expected) {
  if (actual === expected) passed++;
  else {
    failed++;
    console.log(`FAIL ${name}: got ${actual}, expected ${expected}`);
  }
}
const iso = (ms) => new Date(ms).toISOString();
const w = (year, month, day, hour, minute = 0) => ({ year, month, day, hour, minute, second: 0 });
const NY = 'America/New_York';

check('NY winter 09:00', iso(t.instantOf(w(2026, 3, 6, 9), NY)), '2026-03-06T14:00:00.000Z');
check('NY summer 09:00', iso(t.instantOf(w(2026, 3, 13, 9), NY)), '2026-03-13T13:00:00.000Z');
check('NY gap 02:30 -> 03:30 EDT', iso(t.instantOf(w(2026, 3, 8, 2, 30), NY)), '2026-03-08T07:30:00.000Z');
check('NY repeated 01:30 -> first', iso(t.instantOf(w(2026, 11, 1, 1, 30), NY)), '2026-11-01T05:30:00.000Z');
check('Kolkata half-hour offset', iso(t.instantOf(w(2026, 6, 1, 9), 'Asia/Kolkata')), '2026-06-01T03:30:00.000Z');
check('Berlin DST end', iso(t.instantOf(w(2026, 10, 25, 12), 'Europe/Berlin')), '2026-10-25T11:00:00.000Z');
check('floating NY', t.floating(t.wallAt(Date.parse('2026-03-13T13:00:00Z'), NY)), '2026-03-13T09:00:00');
check('floating UTC', t.floating(t.wallAt(Date.parse('2026-03-13T13:00:00Z'), 'UTC')), '2026-03-13T13:00:00');
check('offset +05:30', t.offsetString(t.offsetMinutes(Date.parse('2026-06-01T00:00:00Z'), 'Asia/Kolkata')), '+05:30');
check('offset -04:00', t.offsetString(t.offsetMinutes(Date.parse('2026-06-01T00:00:00Z'), NY)), '-04:00');
check('addDays over month', t.addDays('2026-12-30', 3), '2027-01-02');
check('addMonths clamps', t.addMonths('2027-01-31', 1), '2027-02-28');
check('parseIsoDate rejects 02-30', t.parseIsoDate('2027-02-30'), undefined);
check('round trip through every hour of a DST day', (() => {
  for (let h = 0; h < 24; h++) {
    if (h === 2) continue; // skipped hour
    const ms = t.instantOf(w(2026, 3, 8, h), NY);
    if (t.wallAt(ms, NY).hour !== h) return `hour ${h}`;
  }
  return 'ok';
})(), 'ok');

// POSIX rules (a zone only an imported file defined) agree with the IANA zones they restate.
const agrees = (rule, iana) => {
  for (let ms = Date.parse('2025-01-01T00:00:00Z'); ms < Date.parse('2028-01-01T00:00:00Z'); ms += 3 * 3600_000) {
    if (t.offsetMinutes(ms, rule) !== t.offsetMinutes(ms, iana)) return new Date(ms).toISOString();
  }
  return 'ok';
};
check('POSIX rule = Berlin', agrees('<+01>-1<+02>,M3.5.0,M10.5.0/3', 'Europe/Berlin'), 'ok');
check('POSIX rule = New York', agrees('<-05>5<-04>,M3.2.0,M11.1.0', NY), 'ok');
check('POSIX rule = Sydney (DST over new year)', agrees('<+10>-10<+11>,M10.1.0,M4.1.0/3', 'Australia/Sydney'), 'ok');
check('POSIX fixed = Kolkata', agrees('<+0530>-5:30', 'Asia/Kolkata'), 'ok');
const FIJI = '<+12>-12<+13>,M10.3.1/146,M1.3.4/74';
check('POSIX extended time: Sunday on or after 21 Oct', iso(t.instantOf(w(2026, 10, 25, 3), FIJI)), '2026-10-24T14:00:00.000Z');
check('POSIX extended time: before it', t.offsetMinutes(Date.parse('2026-10-24T13:59:00Z'), FIJI), 720);
check('POSIX wall time', t.floating(t.wallAt(Date.parse('2026-03-23T08:00:00Z'), '<+01>-1<+02>,M3.5.0,M10.5.0')), '2026-03-23T09:00:00');
check('POSIX gap 02:30 -> 03:30', iso(t.instantOf(w(2026, 3, 29, 2, 30), '<+01>-1<+02>,M3.5.0,M10.5.0')), '2026-03-29T01:30:00.000Z');
check('POSIX zone is valid', t.isValidZone('<-03>3<-02>,M10.2.6/23:59:59,M2.3.6/23:59:59'), true);
check('UTC+3 is not a rule', t.posixRule('UTC+3'), undefined);
check('month 13 is not a rule', t.isValidZone('<+01>-1<+02>,M13.5.0,M10.5.0'), false);
check('minute 75 is not a rule', t.isValidZone('<+01>-1:75'), false);

check('weekly preset', r.presets('2027-02-03').find((p) => p.id === 'weekly').rule, 'FREQ=WEEKLY;BYDAY=WE');
check('builder', r.buildRule({ freq: 'WEEKLY', interval: 2, days: ['WE', 'MO'], end: 'count', count: 4, until: '' }), 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=4');
check('until', r.buildRule({ freq: 'DAILY', interval: 1, days: [], end: 'until', count: 1, until: '2027-03-01' }), 'FREQ=DAILY;UNTIL=20270301');
const parsed = r.parseRule('RRULE:FREQ=MONTHLY;INTERVAL=3;COUNT=5');
check('parse freq', parsed.freq, 'MONTHLY');
check('parse interval', parsed.interval, 3);
check('parse end', parsed.end, 'count');

// Feed addresses: the gateway the app is served by, never the page's custom domain.
const shard = 'bkyz2-fmaaa-aaaaa-qaaaq-cai';
const front = 'bd3sg-teaaa-aaaaa-qaaba-cai';
const page = (protocol, host) => ({ protocol, host });
check('feed on icp0.io', f.shardUrl(shard, '/feeds/t.ics', page('https:', `${front}.icp0.io`), front, false), `https://${shard}.icp0.io/feeds/t.ics`);
check('feed from raw', f.shardUrl(shard, '/feeds/t.ics', page('https:', `${front}.raw.icp0.io`), front, false), `https://${shard}.icp0.io/feeds/t.ics`);
check('feed on custom domain', f.shardUrl(shard, '/feeds/t.ics', page('https:', 'calendar.example.com'), front, false), `https://${shard}.icp0.io/feeds/t.ics`);
check('feed on local network', f.shardUrl(shard, '/feeds/t.ics', page('http:', `${front}.localhost:4950`), front, true), `http://${shard}.localhost:4950/feeds/t.ics`);
check('feed from dev server', f.shardUrl(shard, '/feeds/t.ics', page('http:', '127.0.0.1:5173'), front, true), `http://${shard}.localhost:4943/feeds/t.ics`);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
