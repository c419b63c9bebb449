// The audit trail on the pages: a ticket's History panel (staff) lists every act on it in
// order, with who and from where, a note's record included; the admins' Audit log page lists
// the whole log newest first, filters it (a failed sign-in found by action), pages it, and
// downloads it as CSV; support staff are refused the page. Desktop and phone screenshots.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { USERS, fresh, screenshot, signIn } from './harness.js';

const env = fresh({ rateLimits: false });
const PHONE = { viewport: { width: 390, height: 844 } };

test('a ticket shows its history and admins read, filter and download the audit log', async () => {
  const { server } = env;
  // A failed sign-in, from the sign-in page itself.
  const stranger = await env.browser.newContext({ baseURL: server.base });
  const login = await stranger.newPage();
  await login.goto('/login');
  await login.getByLabel('Access token').fill('not-anyones-token');
  await login.getByRole('button', { name: 'Sign in with the token' }).click();
  await login.waitForURL('**/login?error=1');
  await stranger.close();

  // A ticket with a reply, a note and a change, through the API.
  const { data: t } = await server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'Badge reader <b>broken</b>', description: 'Door 3 rejects my badge', category: 'facilities', priority: 'high' });
  await server.api(USERS.alice, 'POST', `/employee/portal/support/${t.id}/chat`, { message: 'Still broken this morning' });
  await server.api(USERS.sam, 'POST', `/admin/support/${t.id}/comment`, { content: 'Vendor ticket 4411 opened', is_internal: true });
  await server.api(USERS.sam, 'PATCH', `/admin/support/${t.id}`, { status: 'in_progress', assigned_to: USERS.sam.id });

  // Staff: the History panel on the ticket's page.
  const sam = await signIn(env.browser, server, USERS.sam);
  await sam.page.goto(`/admin/support/${t.id}`);
  const panel = sam.page.locator('details.history-panel');
  await panel.locator('summary').click();
  const items = panel.locator('ol.history li');
  await items.nth(4).waitFor();
  const lines = await items.allTextContents();
  assert.equal(lines.length, 5, lines.join('\n'));
  assert.match(lines[0], /Alice Employee Opened the ticket \(High priority, Facilities\) from 127\.0\.0\.1/);
  assert.match(lines[1], /Alice Employee Posted a message/);
  assert.match(lines[2], /Sam Support Added an internal note/);
  assert.match(lines[3], /Sam Support Status: Open → In progress/);
  assert.match(lines[4], /Sam Support Assigned the ticket to Sam Support/);
  await panel.scrollIntoViewIfNeeded();
  await screenshot(sam.page, 'ticket-history-1280');
  // Support staff may not open the audit log.
  const refused = await sam.page.goto('/admin/support/audit');
  assert.equal(refused.status(), 403);
  assert.equal(await sam.page.getByRole('link', { name: 'Audit log' }).count(), 0);
  await sam.context.close();

  // Admins: the whole log, newest first.
  const ada = await signIn(env.browser, server, USERS.ada);
  const { page } = ada;
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.waitForURL('**/admin/support/audit');
  const rows = page.locator('table.audit-log tbody tr');
  await rows.first().waitFor();
  const first = await rows.first().textContent();
  assert.match(first, /Ada Admin.*Signed in \(token\)/, 'the newest is her own sign-in');
  assert.ok(await rows.count() >= 8, `${await rows.count()} rows`);
  // The subject's markup never became markup.
  assert.equal(await page.locator('table.audit-log b').count(), 0);
  await screenshot(page, 'audit-log-1280');

  // Filter by action: the failed sign-in, by nobody proven.
  await page.getByLabel('Action').selectOption('auth.sign_in_failed');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/action=auth.sign_in_failed/);
  await rows.filter({ hasText: 'Failed sign-in (token): unknown token' }).waitFor();
  assert.equal(await rows.count(), 1);
  // A bad ticket filter is shown beside its field (the server's 422).
  await page.getByLabel('Action').selectOption('');
  await page.getByRole('textbox', { name: 'Ticket' }).fill('abc');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.locator('[data-error-for="ticket"]:not(:empty)').waitFor();
  await page.getByRole('textbox', { name: 'Ticket' }).fill(String(t.id));
  await page.getByRole('button', { name: 'Filter' }).click();
  await rows.nth(4).waitFor();
  assert.equal(await rows.count(), 5);
  assert.equal(await rows.locator(`a[href="/admin/support/${t.id}"]`).count(), 5);

  // CSV of what the filters show.
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  assert.equal(file.suggestedFilename(), 'audit-log.csv');
  const csv = readFileSync(await file.path(), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'id,at,actor_id,actor_name,origin,action,ticket_id,detail');
  assert.equal(csv.length, 6, csv.join('\n'));
  assert.ok(csv.slice(1).every((line) => line.includes(`,${t.id},`)), csv.join('\n'));
  assert.deepEqual(page.errors || [], []);
  await ada.context.close();

  // On a phone.
  const phone = await signIn(env.browser, server, USERS.ada, PHONE);
  await phone.page.goto('/admin/support/audit');
  await phone.page.locator('table.audit-log tbody tr').first().waitFor();
  await screenshot(phone.page, 'audit-log-390');
  await phone.page.goto(`/admin/support/${t.id}`);
  await phone.page.locator('details.history-panel summary').click();
  await phone.page.locator('ol.history li').nth(4).waitFor();
  await phone.page.locator('details.history-panel').scrollIntoViewIfNeeded();
  await screenshot(phone.page, 'ticket-history-390');
  await phone.context.close();
});
