#!/usr/bin/env node
// gen-cron-table.mjs - writes the table of cron expressions and their next run times that
// tests/unit/core/cron_schedule_test.cpp checks drover's cron parser against.
//
// The expected times come from the npm package cron-parser, the parser Node's bullmq@6.7.0
// schedules with (a dependency of bullmq in node_modules). Regenerate after changing the
// cases below, and commit the output:
//
//   node scripts/gen-cron-table.mjs node_modules tests/unit/core/data/cron_table.json
//
// Each row: {pattern, tz, from (ms since the epoch), next: [the next 6 run times in ms, each
// computed from the one before; null where cron-parser throws, which ends the row]}, or
// {pattern, error: "<cron-parser's message>"} for an expression cron-parser refuses.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [nodeModules, output] = process.argv.slice(2);
if (!nodeModules || !output) {
  console.error('usage: gen-cron-table.mjs <node_modules dir> <output .json>');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const { CronExpressionParser } = require(join(resolve(nodeModules), 'cron-parser'));
const version = require(join(resolve(nodeModules), 'cron-parser', 'package.json')).version;

const patterns = [
  // 5 and 6 fields, wildcards, lists, ranges, steps
  '* * * * *', '* * * * * *', '*/5 * * * * *', '15,45 * * * * *', '0 * * * *', '*/15 * * * *',
  '5 4 * * *', '0 0 * * *', '0 9-17 * * *', '0 9-17/2 * * 1-5', '1,2-5/2,*/20 * * * *', '30 10/3 * * *',
  '0 0 1 * *', '0 0 1 1 *', '0 12 1-7 * 1', '0 0 31 * *', '0 0 31 4,5 *', '0 0 29 2 *', '*/1 * * * *',
  '59 23 31 12 *', '0 0 */2 * *', '0 0 1-10/3 * *', '0 0 * * */2', '10-20/5 3 * * *',
  // names, 7 as Sunday, ranges over Sunday
  '0 0 * * MON-FRI', '0 0 * JAN,jul *', '0 8 * * sun', '0 0 * * 7', '0 0 * * 5-7', '0 6 * mar-may sat',
  // question mark, L, #
  '0 0 ? * MON', '0 0 L * *', '0 0 1,L * *', '0 0 L 2 *', '0 18 * * 5L', '0 0 * * 5#3', '0 7 * * 1#1',
  // day of month and day of week together: either matches
  '0 0 13 * 5', '0 0 1,15 * 3',
  // seconds with steps and DST-sensitive hours
  '0 30 2 * * *', '0 0 2 * * *', '30 2 * * *', '0 2 * * *', '0 3 * * *', '59 1 * * *', '15 1-3 * * *',
  '0 */2 * * *', '59 2 * * *', '*/20 1 * * *', '30 1 * * *', '0,30 2 * * *', '0 0-23 * * *',
  '*/30 * * * *', '0 1,2,3 * * *', '0 0 0-23/1 * * *',
  // aliases and the empty expression (cron-parser reads it as every minute)
  '@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly', '@minutely', '@secondly',
  '@weekdays', '@weekends', '', '  0  0  *  *  * ',
];
const invalid = [
  '0 0 30 2 *', '0 0 31 4 *', '1 2 3 4 5 6 7', '60 * * * *', '5-2 * * * *', '*/0 * * * *',
  '0 0 * * L', '@DAILY', '0 0 LW * *', '0 0 15W * *', '0 0 L-2 * *', '0 0 * * 1#6', '0 0 * * 1#2,3',
  '0 0 * foo *', '* 24 * * *', '0 0 0 * *', '0 0 * 13 *', '0 0 * * 8', 'a b c d e',
  '*/5/2 * * * *', '0 0 1,,2 * *',
];
const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney'];
const starts = [
  '2026-01-01T00:00:00.000Z', '2026-05-17T13:45:12.345Z', '2028-02-28T22:59:59.000Z',
  // around DST changes: Berlin 2026-03-29 and 2026-10-25 at 01:00 UTC, New York 2026-03-08
  // 07:00 UTC and 2026-11-01 06:00 UTC, Sydney 2026-04-05 and 2026-10-04 at 16:00 UTC
  '2026-03-28T23:10:00.000Z', '2026-03-29T00:59:59.500Z', '2026-03-29T01:10:00.000Z',
  '2026-10-24T23:10:00.000Z', '2026-10-25T00:40:00.000Z', '2026-10-25T01:10:00.000Z',
  '2026-03-08T05:30:00.000Z', '2026-03-08T07:10:00.000Z', '2026-11-01T04:00:00.000Z',
  '2026-11-01T05:50:00.000Z', '2026-11-01T06:10:00.000Z', '2026-04-04T15:10:00.000Z',
  '2026-10-03T15:10:00.000Z',
];

// DST changes unlike the ones above: at midnight (America/Santiago and America/Havana skip
// 00:00-01:00 in spring; Santiago repeats 23:00-24:00, Havana 00:00-01:00 in autumn) and
// by 30 minutes (Australia/Lord_Howe: 02:00 -> 02:30 and 02:00 -> 01:30). cron-parser's
// answers there depend on how its search reaches the change, so the patterns reach it by
// day, hour and minute steps.
const dstPatterns = [
  '0 0 * * *', '0 0 5-20/3 * *', '0 0 ? * SUN', '0 0,23 * * *', '0 0,12 * * *', '0 0 L * *', '0 0 0 * * *',
  '30 23 * * *', '10 0 * * *', '*/30 0-2 * * *', '30 2 * * *', '0 2 * * *', '15 2 * * *', '45 1 * * *',
  '0,30 * * * *', '0 1 * * *', '30 0-3 * * *', '19 20 * * *',
];
const dstStarts = {
  // spring 2027-09-05 04:00Z, autumn 2027-04-04 03:00Z
  'America/Santiago': [
    '2027-09-04T05:00:00.000Z', '2027-09-04T15:30:00.000Z', '2027-09-05T02:59:59.000Z', '2027-09-05T04:10:00.000Z',
    '2027-04-03T04:00:00.000Z', '2027-04-04T02:10:00.000Z', '2027-04-04T03:10:00.000Z', '2027-04-04T03:59:00.250Z',
  ],
  // spring 2027-03-14 05:00Z, autumn 2027-11-07 05:00Z
  'America/Havana': [
    '2027-03-13T06:00:00.000Z', '2027-03-13T17:30:00.000Z', '2027-03-14T04:59:59.000Z', '2027-03-14T05:10:00.000Z',
    '2027-11-06T06:00:00.000Z', '2027-11-07T04:10:00.000Z', '2027-11-07T05:10:00.000Z', '2027-11-07T05:59:00.250Z',
  ],
  // spring 2027-10-02 15:30Z, autumn 2027-04-03 15:00Z
  'Australia/Lord_Howe': [
    '2027-10-02T05:00:00.000Z', '2027-10-02T14:10:00.000Z', '2027-10-02T15:10:00.000Z', '2027-10-02T15:40:00.000Z',
    '2027-04-02T05:00:00.000Z', '2027-04-03T14:20:00.000Z', '2027-04-03T14:50:00.000Z', '2027-04-03T15:10:00.000Z',
  ],
};

const cases = [];
for (const pattern of patterns) {
  for (const tz of zones) {
    for (const from of starts) cases.push({ pattern, tz, from });
  }
}
for (const pattern of dstPatterns) {
  for (const [tz, zoneStarts] of Object.entries(dstStarts)) {
    for (const from of zoneStarts) cases.push({ pattern, tz, from });
  }
}

const rows = [];
for (const { pattern, tz, from } of cases) {
  // A fresh parse from each previous run time, as bullmq's repeat strategy does for every
  // iteration (one iterator's later next() calls keep DST state that bullmq never sees).
  const next = [];
  let current = Date.parse(from);
  for (let i = 0; i < 6; i++) {
    try {
      current = CronExpressionParser.parse(pattern, { tz, currentDate: new Date(current) }).next().getTime();
    } catch {
      // Its search gave up (loop limit): bullmq gets no next run.
      next.push(null);
      break;
    }
    next.push(current);
  }
  rows.push({ pattern, tz, from: Date.parse(from), next });
}
for (const pattern of invalid) {
  try {
    CronExpressionParser.parse(pattern, { tz: 'UTC' });
    throw new Error(`cron-parser accepts ${JSON.stringify(pattern)}; move it to the valid patterns`);
  } catch (e) {
    if (e.message.startsWith('cron-parser accepts')) throw e;
    rows.push({ pattern, error: e.message });
  }
}
const header = { generator: 'scripts/gen-cron-table.mjs', cronParser: version, rows: rows.length };
// One case per line, so that a regenerated table reads well in a diff.
const body = rows.map((r) => '  ' + JSON.stringify(r)).join(',\n');
writeFileSync(output, `{"meta": ${JSON.stringify(header)},\n"cases": [\n${body}\n]}\n`);
console.log(`gen-cron-table: ${rows.length} rows from cron-parser ${version}`);
