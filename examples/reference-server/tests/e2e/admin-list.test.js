// Admin/Support/Index: every ticket, filters that combine and stay in the address, and paging.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, screenshot, signIn } from './harness.js';

const env = fresh();

// The subject's link: the cell also holds the latest message and the waiting time.
const subjects = (page) => page.locator('tbody tr[data-ticket] td.subject a').allTextContents();

test('the ticket list filters, searches and pages', async () => {
  const priorities = ['low', 'medium', 'high', 'urgent'];
  for (let i = 1; i <= 30; i += 1) {
    const who = i % 3 ? USERS.alice : USERS.bob;
    await env.server.api(who, 'POST', '/employee/portal/support', {
      subject: `Case ${String(i).padStart(2, '0')}${i === 17 ? ' projector' : ''}`,
      description: 'd', category: i % 2 ? 'it' : 'hr', priority: priorities[i % 4],
    });
  }
  await env.server.api(USERS.sam, 'PATCH', '/admin/support/5', { status: 'resolved', assigned_to: USERS.sam.id });

  const staff = await signIn(env.browser, env.server, USERS.sam);
  await staff.page.goto('/admin/support');
  await staff.page.locator('tbody tr[data-ticket]').first().waitFor();
  const first = await subjects(staff.page);
  assert.equal(first.length, 25, 'a page holds 25 tickets');
  await staff.page.getByRole('button', { name: 'Next page' }).click();
  await staff.page.getByText('Page 2').waitFor();
  const second = await subjects(staff.page);
  assert.equal(second.length, 5);
  assert.equal(new Set([...first, ...second]).size, 30, 'no ticket on two pages, none missing');
  assert.equal(await staff.page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
  await staff.page.getByRole('button', { name: 'Previous page' }).click();
  await staff.page.getByText('Page 1').waitFor();
  assert.deepEqual(await subjects(staff.page), first);

  // Filters combine, and the address keeps them.
  await staff.page.getByLabel('Priority').selectOption('urgent');
  await staff.page.getByLabel('Category').selectOption('it');
  await staff.page.getByRole('button', { name: 'Filter' }).click();
  await staff.page.waitForURL(/priority=urgent/);
  await staff.page.waitForFunction(() => document.querySelectorAll('tbody tr[data-ticket]').length === 7);
  for (const row of await staff.page.locator('tbody tr[data-ticket]').all()) {
    assert.equal(await row.locator('.badge[data-priority]').getAttribute('data-priority'), 'urgent');
    assert.match(await row.textContent(), /IT/);
  }
  await screenshot(staff.page, 'staff-ticket-list');
  await staff.page.reload();
  await staff.page.waitForFunction(() => document.querySelectorAll('tbody tr[data-ticket]').length === 7);
  assert.equal(await staff.page.getByLabel('Priority').inputValue(), 'urgent');

  // Search, status and assignment.
  await staff.page.goto('/admin/support?q=projector');
  await staff.page.waitForFunction(() => document.querySelectorAll('tbody tr[data-ticket]').length === 1);
  assert.deepEqual(await subjects(staff.page), ['Case 17 projector']);
  await staff.page.goto(`/admin/support?status=resolved&assigned_to=${USERS.sam.id}`);
  await staff.page.waitForFunction(() => document.querySelectorAll('tbody tr[data-ticket]').length === 1);
  assert.deepEqual(await subjects(staff.page), ['Case 05']);
  await staff.page.goto('/admin/support?q=nothing-matches-this');
  await staff.page.getByText('No tickets match.').waitFor();
});
