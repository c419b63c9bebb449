// Scenario 2: several employees, several tickets; the dashboard orders them urgent first and
// the live chat switches between them, each chat keeping its own state.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, live, screenshot, signIn } from './harness.js';

const env = fresh();

const view = (page, id) => page.locator(`.chat-view[data-ticket="${id}"]:not([hidden])`);
const composer = (page, id) => view(page, id).getByRole('textbox', { name: 'Message', exact: true });

test('multiple tickets: urgent first, switching chats keeps each one apart', async () => {
  const staff = await signIn(env.browser, env.server, USERS.sam);
  await live(staff.page);

  const alice = await signIn(env.browser, env.server, USERS.alice);
  const bob = await signIn(env.browser, env.server, USERS.bob);
  const create = async (who, subject, priority) => {
    await who.page.goto('/employee/portal/support/create');
    await who.page.getByLabel('Subject').fill(subject);
    await who.page.getByLabel('Description').fill(`About ${subject}`);
    await who.page.getByLabel('Priority').selectOption(priority);
    await who.page.getByRole('button', { name: 'Create ticket' }).click();
    await who.page.waitForURL(/\/support\/\d+$/);
    await live(who.page);
    return Number(who.page.url().split('/').pop());
  };
  const low = await create(alice, 'Monitor flickers', 'low');
  const urgent = await create(bob, 'Payroll missing', 'urgent');
  const medium = await create(alice, 'Parking badge', 'medium');

  // An urgent ticket is an alert, and the dashboard puts it first.
  await staff.page.locator('.toast.urgent', { hasText: 'Payroll missing' }).waitFor();
  await staff.page.locator('.urgent-alert', { hasText: '1 urgent ticket' }).waitFor();
  const rows = staff.page.locator('tbody tr[data-ticket]');
  await staff.page.waitForFunction(() => document.querySelectorAll('tbody tr[data-ticket]').length === 3);
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.ticket))), [urgent, medium, low]);
  await screenshot(staff.page, 'staff-dashboard-urgent');

  // Live chat: open the urgent one, leave a draft, switch, talk, switch back.
  await staff.page.goto(`/admin/support/${urgent}/live-chat`);
  await live(staff.page);
  const entries = staff.page.locator('.chat-list li');
  await staff.page.waitForFunction(() => document.querySelectorAll('.chat-list li').length === 3);
  assert.deepEqual(await entries.evaluateAll((lis) => lis.map((li) => Number(li.dataset.ticket))), [urgent, medium, low]);
  await composer(staff.page, urgent).fill('Checking payroll with finance');
  await view(staff.page, urgent).getByRole('button', { name: 'Send' }).click();
  await bob.page.locator('li.message', { hasText: 'Checking payroll with finance' }).waitFor();
  await composer(staff.page, urgent).fill('a draft for Bob');

  await entries.filter({ hasText: 'Monitor flickers' }).getByRole('link').click();
  await staff.page.waitForURL(`**/admin/support/${low}/live-chat`);
  await composer(staff.page, low).fill('Which monitor model?');
  await staff.page.keyboard.press('Enter');
  await alice.page.goto(`/employee/portal/support/${low}`);
  await alice.page.locator('li.message', { hasText: 'Which monitor model?' }).waitFor();

  // Bob writes while his chat is in the background: an unread count, not a mix-up.
  await bob.page.getByRole('textbox', { name: 'Message', exact: true }).fill('Thank you!');
  await bob.page.getByRole('button', { name: 'Send' }).click();
  await entries.filter({ hasText: 'Payroll missing' }).locator('.unread', { hasText: '1' }).waitFor();
  assert.equal(await view(staff.page, low).locator('li.message', { hasText: 'Thank you!' }).count(), 0);
  await screenshot(staff.page, 'staff-live-chat-switching');

  await entries.filter({ hasText: 'Payroll missing' }).getByRole('link').click();
  await staff.page.waitForURL(`**/admin/support/${urgent}/live-chat`);
  assert.equal(await composer(staff.page, urgent).inputValue(), 'a draft for Bob', 'the draft was kept');
  await view(staff.page, urgent).locator('li.message', { hasText: 'Thank you!' }).waitFor();
  assert.equal(await entries.filter({ hasText: 'Payroll missing' }).locator('.unread').count(), 0);

  // Each ticket holds exactly its own messages.
  const contents = async (id) => (await env.server.api(USERS.sam, 'GET', `/admin/support/${id}`)).data.messages.map((m) => m.content);
  assert.deepEqual(await contents(urgent), ['Checking payroll with finance', 'Thank you!']);
  assert.deepEqual(await contents(low), ['Which monitor model?']);
  assert.deepEqual(await contents(medium), []);
  // Bob never sees Alice's tickets.
  await bob.page.goto('/employee/portal/support');
  await bob.page.locator('tr', { hasText: 'Payroll missing' }).waitFor();
  assert.equal(await bob.page.getByText('Monitor flickers').count(), 0);
  await bob.page.goto(`/employee/portal/support/${low}`);
  await bob.page.getByRole('heading', { name: 'Not found' }).waitFor();
  assert.equal(await bob.page.getByText('Which monitor model?').count(), 0);
});
