// SLA clocks on the dashboard and the reports page, as staff use them: an urgent ticket's
// first-response clock runs out on screen (it ticks without a refetch), the sweep's
// sla.breached highlights it live, in words as well as colour; the reports page draws its
// charts with the vendored uPlot (no request elsewhere, no policy violation), its tables
// match the API, the CSV link downloads the same rows, and the range picker works from the
// keyboard. Screenshots at 1280 and 390 wide.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { USERS, fresh, live, screenshot, signIn } from './harness.js';

const slaDir = mkdtempSync(join(tmpdir(), 'support-sla-'));
const slaFile = join(slaDir, 'sla.toml');
// Urgent tickets must be answered within 10 s here; the others keep the defaults.
writeFileSync(slaFile, '[urgent]\nfirst_response = "10s"\nresolution = "8h"\n');
const env = fresh({ rateLimits: false, args: ['--sla', slaFile, '--sla-sweep-every', '1s'] });

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };

const open = async (subject, priority, category = 'it') => (await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
  { subject, description: `${subject}: details`, category, priority })).data;

/** Watches the page for Content-Security-Policy violations, from its first script on. */
async function watchPolicy(context) {
  await context.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
}

test('the dashboard counts down each clock and flags the overdue ticket live', async () => {
  const calm = await open('Monitor flickers', 'high');
  const sam = await signIn(env.browser, env.server, USERS.sam, { viewport: DESKTOP });
  const fire = await open('Server room too hot', 'urgent', 'facilities');
  await sam.page.goto('/admin/support/dashboard');
  await live(sam.page);
  const row = sam.page.locator(`tr[data-ticket="${fire.id}"]`);
  const clock = row.locator('.sla');
  await clock.filter({ hasText: /^First response due in \d+ s$/ }).waitFor({ timeout: 5000 });
  const right = await clock.evaluate((el) => [el.closest('table').getBoundingClientRect().right, innerWidth]);
  assert.ok(right[0] <= right[1], `the table fits the page: ${right}`);
  // The high one has its default 4 h.
  const calmClock = sam.page.locator(`tr[data-ticket="${calm.id}"] .sla`);
  assert.match(await calmClock.textContent(), /^First response due in 3 h 5\d min$/);
  assert.equal(await sam.page.getByRole('columnheader', { name: 'SLA' }).count(), 1);

  // The sweep marks the breach and sends sla.breached: the dashboard says so, in words.
  const note = sam.page.locator('.sla-alert');
  await note.waitFor({ timeout: 20000 });
  assert.match(await note.textContent(), new RegExp(`SLA breached: ${fire.ticket_number} \\(first response, urgent\\)`));
  await sam.page.locator(`tr[data-ticket="${fire.id}"].sla-overdue`).waitFor();
  assert.match(await clock.textContent(), /^First response overdue by \d+ s$/);
  assert.ok(await clock.evaluate((el) => el.classList.contains('overdue')));
  assert.ok(!(await sam.page.locator(`tr[data-ticket="${calm.id}"]`).evaluate((el) => el.classList.contains('sla-overdue'))));
  // It keeps ticking without a refetch.
  const before = await clock.textContent();
  await sam.page.waitForTimeout(1500);
  assert.notEqual(await clock.textContent(), before);
  // Urgent first, as before.
  const order = await sam.page.locator('table.tickets tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.dataset.ticket)));
  assert.deepEqual(order.slice(0, 2), [fire.id, calm.id]);
  await screenshot(sam.page, 'sla-dashboard-1280');

  const phone = await signIn(env.browser, env.server, USERS.sam, { viewport: PHONE });
  await phone.page.goto('/admin/support/dashboard');
  await phone.page.locator(`tr[data-ticket="${fire.id}"].sla-overdue`).waitFor();
  await phone.page.locator('.list-head').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  const box = await phone.page.locator(`tr[data-ticket="${fire.id}"] .sla`).boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, 'the clock fits the phone');
  await screenshot(phone.page, 'sla-dashboard-390');
  assert.deepEqual(sam.page.errors || [], []);
  await sam.context.close();
  await phone.context.close();
});

/** Moves ticket `id`'s history `daysAgo` days back, answered after `fr` and solved after `res`
 * seconds (null: not solved), in the server's SQLite file: a history of two weeks for the
 * charts, which the API alone could only write today. */
function backdate(id, daysAgo, fr, res) {
  const micros = 1000000;
  const age = daysAgo * 86400 + 3600 * (id % 7) + 1800;
  const answered = Math.min(fr, Math.floor(age / 2));
  const solved = res == null ? null : Math.min(res, Math.floor(age * 0.9));
  const created = `(CAST(strftime('%s','now') AS INTEGER) - ${age}) * ${micros}`;
  // On the right of SET, columns hold the row's values before the update: the due times move
  // back with the creation time.
  const sql = `UPDATE tickets SET first_response_due = first_response_due - (created_at - ${created}), `
    + `resolution_due = resolution_due - (created_at - ${created}), created_at = ${created}, `
    + `first_response_at = ${created} + ${answered * micros}, `
    + `resolved_at = ${solved == null ? 'NULL' : `${created} + ${solved * micros}`}, `
    + `sla_paused_at = ${solved == null ? 'NULL' : `${created} + ${solved * micros}`} WHERE id = ${id};`;
  execFileSync('sqlite3', ['-cmd', '.timeout 5000', join(env.server.dir, 'support.db'), sql]);
}

test('the reports page draws its charts, matches the API, downloads CSV, and takes its range from the keyboard', async () => {
  // Two weeks of tickets, each answered by Sam or Ada and most of them solved.
  const agents = [USERS.sam, USERS.ada];
  const categories = ['it', 'hr', 'payroll', 'facilities'];
  for (let i = 0; i < 24; i += 1) {
    const t = await open(`Report ticket ${i}`, ['low', 'medium', 'high', 'urgent'][i % 4], categories[i % 4]);
    const agent = agents[i % 2];
    await env.server.api(agent, 'PATCH', `/admin/support/${t.id}`, { assigned_to: agent.id });
    await env.server.api(agent, 'POST', `/admin/support/${t.id}/chat`, { message: 'Looking into it' });
    const solved = i % 5 !== 0;
    if (solved) await env.server.api(agent, 'PATCH', `/admin/support/${t.id}`, { status: 'resolved' });
    backdate(t.id, i % 14, 300 + ((i * 977) % 7200), solved ? 3600 * (2 + ((i * 7) % 40)) : null);
  }
  // Let the sweep (every second) record the breaches of that history before anything is read.
  await new Promise((r) => setTimeout(r, 2500));

  const sam = await signIn(env.browser, env.server, USERS.sam, { viewport: DESKTOP });
  await watchPolicy(sam.context);
  await sam.page.goto('/admin/support/reports');
  await sam.page.locator('.chart canvas').first().waitFor();
  await sam.page.locator('[data-chart] canvas').nth(2).waitFor();
  assert.equal(await sam.page.locator('.chart canvas').count(), 3);

  // Each chart drew its data: pixels of its first series' colour on the canvas.
  const inked = await sam.page.locator('[data-chart]').evaluateAll((charts) => charts.map((c) => {
    const canvas = c.querySelector('canvas');
    const ctx = canvas.getContext('2d');
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const colour = { counts: [0x24, 0x56, 0xc7], 'first-response': [0x24, 0x56, 0xc7], resolution: [0x17, 0x60, 0x3a] }[c.dataset.chart];
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 128 && Math.abs(data[i] - colour[0]) < 40 && Math.abs(data[i + 1] - colour[1]) < 40 && Math.abs(data[i + 2] - colour[2]) < 40) n += 1;
    }
    return [c.dataset.chart, n];
  }));
  for (const [chart, n] of inked) assert.ok(n > 50, `${chart} has its series drawn (${n} pixels)`);
  for (const chart of await sam.page.locator('[data-chart]').all()) {
    assert.match(await chart.getAttribute('aria-label'), /\S+\. \S+/, 'a text alternative');
  }

  // The tables say what the API says.
  const qs = new URL(sam.page.url()).search;
  const byAgent = await env.server.api(USERS.sam, 'GET', `/admin/support/reports${qs}&group_by=agent`);
  const rows = await sam.page.locator('table.figures').first().locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  assert.deepEqual(rows.map((r) => [r[0], r[1], r[2], r[7]]),
    byAgent.groups.map((g) => [g.label, String(g.created), String(g.resolved), String(g.sla_breaches)]));
  // The first test's two tickets are nobody's yet.
  assert.deepEqual(rows.map((r) => r[0]), ['Sam Support', 'Ada Admin', 'Unassigned']);
  const byDay = await env.server.api(USERS.sam, 'GET', `/admin/support/reports${qs}&group_by=day`);
  const total = async (key) => sam.page.locator(`[data-total="${key}"] .value`).textContent();
  assert.equal(byDay.total.created, 26, 'every ticket of the last 30 days');
  assert.equal(await total('created'), String(byDay.total.created));
  assert.equal(await total('resolved'), String(byDay.total.resolved));
  await screenshot(sam.page, 'reports-1280');
  await sam.page.locator('table.figures').first().evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await screenshot(sam.page, 'reports-tables-1280');
  await sam.page.evaluate(() => scrollTo(0, 0));

  // The CSV link downloads the same rows.
  const [download] = await Promise.all([
    sam.page.waitForEvent('download'),
    sam.page.locator('a[data-csv="agent"]').click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'group,label,created,resolved,first_response_median_s,first_response_p90_s,resolution_median_s,resolution_p90_s,sla_breaches');
  assert.deepEqual(csv.slice(1).map((l) => l.split(',').slice(0, 4)),
    byAgent.groups.map((g) => [g.key ?? '', g.label, String(g.created), String(g.resolved)]));

  // The range from the keyboard: the quick range button, then a date typed in.
  await sam.page.getByRole('button', { name: 'Last 7 days' }).focus();
  await sam.page.keyboard.press('Enter');
  await sam.page.waitForFunction(() => new URL(location.href).searchParams.get('from') !== null
    && (Date.parse(new URL(location.href).searchParams.get('to')) - Date.parse(new URL(location.href).searchParams.get('from'))) === 6 * 86400000);
  await sam.page.locator('tbody tr[data-key]').first().waitFor();
  assert.equal(await sam.page.locator('table.figures').last().locator('tbody tr').count(), 7);
  // A from after to is refused by the server, shown beside the field.
  await sam.page.locator('#r-from').fill('2026-12-31');
  await sam.page.locator('#r-to').fill('2026-01-01');
  await sam.page.getByRole('button', { name: 'Show' }).press('Enter');
  await sam.page.locator('[data-error-for="from"]', { hasText: 'before or equal' }).waitFor();
  assert.equal(await sam.page.locator('#r-from').getAttribute('aria-invalid'), 'true');
  assert.deepEqual(await sam.page.evaluate(() => window.cspViolations), []);

  const phone = await signIn(env.browser, env.server, USERS.sam, { viewport: PHONE });
  await watchPolicy(phone.context);
  await phone.page.goto('/admin/support/reports');
  await phone.page.locator('[data-chart] canvas').nth(2).waitFor();
  for (const c of await phone.page.locator('[data-chart]').all()) {
    const box = await c.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width + 1, `the chart fits the phone (${box.x}+${box.width})`);
  }
  await phone.page.locator('[data-chart="counts"]').evaluate((el) => el.closest('figure').scrollIntoView({ block: 'start' }));
  await screenshot(phone.page, 'reports-390');
  assert.deepEqual(await phone.page.evaluate(() => window.cspViolations), []);
  assert.deepEqual([...(sam.page.errors || []), ...(phone.page.errors || [])], []);

  // An employee is refused the page.
  const alice = await signIn(env.browser, env.server, USERS.alice, { viewport: DESKTOP });
  const refused = await alice.page.goto('/admin/support/reports');
  assert.equal(refused.status(), 403);
  await Promise.all([sam.context.close(), phone.context.close(), alice.context.close()]);
});
