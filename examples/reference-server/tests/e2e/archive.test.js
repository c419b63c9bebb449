// Archiving as people see it: after `maintenance archive`, a closed ticket is gone from the
// staff list and the employee's list, and is one choice away ("Show: Archive", "Archived
// tickets"); its page says it is archived; the search finds it only "In the archive".
// Desktop (1280) and phone (390) screenshots.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, screenshot, signIn } from './harness.js';

const env = fresh({ rateLimits: false });
const PHONE = { viewport: { width: 390, height: 844 } };

test('archived tickets leave the lists and stay one choice away', async () => {
  const s = env.server;
  const mk = async (user, subject) =>
    (await s.api(user, 'POST', '/employee/portal/support', { subject, description: `${subject}, since last week.`, category: 'it', priority: 'medium' })).data;
  const close = (t) => s.api(USERS.sam, 'PATCH', `/admin/support/${t.id}`, { status: 'closed' });
  const old = await mk(USERS.alice, 'Monitor cable frayed');
  await s.api(USERS.alice, 'POST', `/employee/portal/support/${old.id}/chat`, { message: 'The monitor flickers when the cable moves.' });
  await close(old);
  const bobs = await mk(USERS.bob, 'Dock monitor port dead');
  await close(bobs);
  const live = await mk(USERS.alice, 'Keyboard keys sticky');
  const said = s.command('maintenance', 'archive', '--closed-before', '0');
  assert.match(said, /^archived 2 closed tickets/);

  // Staff: not in the list; in the archive, with its badge.
  const { page } = await signIn(env.browser, s, USERS.sam);
  await page.goto(`${s.base}/admin/support`);
  const rows = page.locator('table.tickets tbody tr');
  await page.locator(`tr[data-ticket="${live.id}"]`).waitFor();
  assert.equal(await page.locator(`tr[data-ticket="${old.id}"]`).count(), 0, 'not in the list');
  await page.getByLabel('Show').selectOption('true');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.locator(`tr[data-ticket="${old.id}"]`).waitFor();
  assert.equal(await page.locator(`tr[data-ticket="${live.id}"]`).count(), 0, 'the archive only');
  assert.equal(await rows.count(), 2);
  assert.match(page.url(), /archived=true/, 'kept in the address');
  await screenshot(page, 'archive-staff-list');
  await page.locator(`tr[data-ticket="${old.id}"] a`).first().click();
  await page.waitForURL(`**/admin/support/${old.id}`);
  await page.locator('.archived-badge').waitFor();
  assert.equal(await page.locator('.archived-badge').textContent(), 'Archived');
  assert.ok(await page.locator('dl.details dt', { hasText: 'Archived' }).count() === 1);
  await page.getByText('The monitor flickers').waitFor();
  await screenshot(page, 'archive-staff-ticket');

  // Search: only in the archive.
  await page.goto(`${s.base}/admin/support/search`);
  await page.getByRole('searchbox', { name: 'Search' }).fill('monitor');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByText('Nothing matches “monitor”.').waitFor();
  await page.getByLabel('In the archive').check();
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByText(/results? for “monitor” in the archive/).waitFor();
  const found = await page.locator('li.search-hit').evaluateAll((els) => [...new Set(els.map((e) => Number(e.dataset.ticket)))].sort());
  assert.deepEqual(found, [old.id, bobs.id].sort((a, b) => a - b));
  await screenshot(page, 'archive-staff-search');

  // The employee: their list without it, their archive with it (and not Bob's).
  const alice = await signIn(env.browser, s, USERS.alice, PHONE);
  const p = alice.page;
  await p.goto(`${s.base}/employee/portal/support`);
  await p.locator(`tr[data-ticket="${live.id}"]`).waitFor();
  assert.equal(await p.locator(`tr[data-ticket="${old.id}"]`).count(), 0);
  await p.getByRole('link', { name: 'Archived tickets' }).click();
  await p.getByRole('heading', { name: 'Archived tickets' }).waitFor();
  await p.locator(`tr[data-ticket="${old.id}"]`).waitFor();
  assert.equal(await p.locator('table.tickets tbody tr').count(), 1, 'their own only');
  await screenshot(p, 'archive-employee-list-phone');
  await p.locator(`tr[data-ticket="${old.id}"] a`).first().click();
  await p.locator('.archived-badge').waitFor();
  await screenshot(p, 'archive-employee-ticket-phone');
});
