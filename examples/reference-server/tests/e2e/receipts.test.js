// Read state as people see it: the agent's unread badge, preview and waiting time, "Seen"
// under the employee's message once the agent opened the ticket (and after a reload), "Seen"
// under the agent's reply once the employee read it, unread replies on "My tickets" and the
// chat launcher, and a reopened ticket back on the dashboard after the employee replies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, live, screenshot, signIn } from './harness.js';

const env = fresh();

async function newTicket(subject) {
  const { data } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject, description: `About ${subject}`, category: 'it', priority: 'medium' });
  return data;
}

async function readStateServed() {
  const { data } = await env.server.api(USERS.sam, 'GET', '/admin/support/dashboard?limit=1');
  return data.length > 0 && data[0].unread_count !== undefined;
}

const send = async (page, text) => {
  await page.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('li.message:not(.pending)', { hasText: text }).waitFor();
};

test('unread badge, preview and waiting time; Seen on both sides', async (t) => {
  const ticket = await newTicket('Laptop will not boot');
  assert.ok(await readStateServed(), 'ticket items carry unread_count');
  const alice = await signIn(env.browser, env.server, USERS.alice, { viewport: { width: 390, height: 844 } });
  await alice.page.goto(`/employee/portal/support/${ticket.id}`);
  await live(alice.page);
  await send(alice.page, 'It shows a blinking cursor');

  const sam = await signIn(env.browser, env.server, USERS.sam, { viewport: { width: 1280, height: 800 } });
  await sam.page.goto('/admin/support/dashboard');
  await live(sam.page);
  const row = sam.page.locator(`tr[data-ticket="${ticket.id}"]`);
  await row.locator('.unread', { hasText: '1' }).waitFor();
  assert.match(await row.locator('.preview').textContent(), /It shows a blinking cursor/);
  assert.match(await row.locator('time.waiting').textContent(), /^waiting /);
  await screenshot(sam.page, 'receipts-dashboard-unread-1280');

  // No "Seen" before the agent has looked.
  const mine = alice.page.locator('li.message.employee', { hasText: 'It shows a blinking cursor' });
  assert.equal(await mine.locator('.seen').count(), 0);
  await sam.page.goto(`/admin/support/${ticket.id}`);
  await live(sam.page);
  await mine.locator('.seen', { hasText: 'Seen' }).waitFor();
  await alice.page.reload();
  await live(alice.page);
  await alice.page.locator('li.message.employee', { hasText: 'It shows a blinking cursor' }).locator('.seen').waitFor();
  await screenshot(alice.page, 'receipts-seen-390');

  await sam.page.goto('/admin/support/dashboard');
  await row.waitFor();
  assert.equal(await row.locator('.unread').count(), 0, 'the badge cleared once read');

  // The agent's reply is "Seen" once the employee (on the ticket, at the bottom) read it.
  await sam.page.goto(`/admin/support/${ticket.id}`);
  await live(sam.page);
  await send(sam.page, 'Hold the power button for ten seconds');
  await alice.page.locator('li.message', { hasText: 'Hold the power button' }).waitFor();
  await sam.page.locator('li.message.support', { hasText: 'Hold the power button' }).locator('.seen').waitFor();
  await screenshot(sam.page, 'receipts-staff-seen-1280');

  // Away from the ticket, a new reply marks it on "My tickets" and on the launcher.
  await alice.page.goto('/employee/portal/support');
  await live(alice.page);
  await send(sam.page, 'Did that work?');
  const aliceRow = alice.page.locator(`tr[data-ticket="${ticket.id}"]`);
  await aliceRow.locator('.unread', { hasText: '1' }).waitFor();
  await alice.page.locator('.widget-button .launcher-count', { hasText: '1' }).waitFor();
  await screenshot(alice.page, 'receipts-my-tickets-390');
  await alice.page.reload();
  await aliceRow.locator('.unread', { hasText: '1' }).waitFor();
  await alice.page.goto(`/employee/portal/support/${ticket.id}`);
  await live(alice.page);
  await sam.page.locator('li.message.support', { hasText: 'Did that work?' }).locator('.seen').waitFor();
  await alice.page.goto('/employee/portal/support');
  await aliceRow.waitFor();
  assert.equal(await aliceRow.locator('.unread').count(), 0);
  for (const who of [sam, alice]) {
    assert.deepEqual(who.page.errors || [], []);
    await who.context.close();
  }
});

test('the dashboard sorts by longest waiting, and keeps the choice', async (t) => {
  const older = await newTicket('Older question');
  await new Promise((r) => setTimeout(r, 1100));
  const newer = await newTicket('Newer question');
  assert.ok(await readStateServed(), 'ticket items carry unread_count');
  await env.server.api(USERS.sam, 'PATCH', `/admin/support/${older.id}`, { priority: 'low' });
  await env.server.api(USERS.sam, 'PATCH', `/admin/support/${newer.id}`, { priority: 'urgent' });
  const sam = await signIn(env.browser, env.server, USERS.sam);
  await sam.page.goto('/admin/support/dashboard');
  await live(sam.page);
  const order = () => sam.page.locator('tbody tr[data-ticket]').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.ticket)));
  await sam.page.locator(`tr[data-ticket="${newer.id}"]`).waitFor();
  let ids = await order();
  assert.ok(ids.indexOf(newer.id) < ids.indexOf(older.id), 'urgent first by default');
  await sam.page.getByLabel('Sort').selectOption('waiting');
  ids = await order();
  assert.ok(ids.indexOf(older.id) < ids.indexOf(newer.id), 'the longest waiting first');
  await sam.page.reload();
  await sam.page.locator(`tr[data-ticket="${newer.id}"]`).waitFor();
  assert.equal(await sam.page.getByLabel('Sort').inputValue(), 'waiting');
  ids = await order();
  assert.ok(ids.indexOf(older.id) < ids.indexOf(newer.id));
  await screenshot(sam.page, 'receipts-dashboard-waiting-1280');

  // The live chat's list shows the same: the latest message and how long it has waited.
  const phone = await signIn(env.browser, env.server, USERS.sam, { viewport: { width: 390, height: 844 } });
  await phone.page.goto(`/admin/support/${newer.id}/live-chat`);
  await phone.page.getByRole('button', { name: '← Tickets' }).click();
  const entry = phone.page.locator(`.chat-list li[data-ticket="${older.id}"]`);
  await entry.waitFor();
  assert.match(await entry.locator('.preview').textContent(), /About Older question|Older question/);
  await entry.locator('time.waiting').waitFor();
  await screenshot(phone.page, 'receipts-live-chat-list-390');
  await phone.context.close();
  await sam.context.close();
});

test('a resolved ticket the employee replies to is back on the dashboard, with the reopening line', async (t) => {
  const ticket = await newTicket('Email bounces');
  await env.server.api(USERS.sam, 'PATCH', `/admin/support/${ticket.id}`, { status: 'resolved' });
  const sam = await signIn(env.browser, env.server, USERS.sam);
  await sam.page.goto('/admin/support/dashboard');
  await live(sam.page);
  const row = sam.page.locator(`tr[data-ticket="${ticket.id}"]`);
  assert.equal(await row.count(), 0, 'a resolved ticket is not active');

  const alice = await signIn(env.browser, env.server, USERS.alice);
  await alice.page.goto(`/employee/portal/support/${ticket.id}`);
  await live(alice.page);
  await alice.page.getByText('This ticket is resolved. Replying will reopen it.').waitFor();
  await send(alice.page, 'It bounces again');
  const now = (await env.server.api(USERS.sam, 'GET', `/admin/support/${ticket.id}`)).data.ticket;
  assert.equal(now.status, 'open', "the employee's reply reopened the ticket");
  await row.waitFor();
  await alice.page.locator('li.event-line', { hasText: /Reopened/ }).waitFor();
  await alice.page.getByText('This ticket is resolved. Replying will reopen it.').waitFor({ state: 'hidden' });
  await screenshot(alice.page, 'receipts-reopened-employee-1280');
  // Loaded again, the thread draws the same history from the view's `activity`.
  const view = (await env.server.api(USERS.sam, 'GET', `/admin/support/${ticket.id}`)).data;
  assert.ok(Array.isArray(view.activity), 'the view carries the activity');
  await sam.page.goto(`/admin/support/${ticket.id}`);
  await sam.page.locator('li.event-line', { hasText: 'Reopened by Alice Employee (reply)' }).waitFor();
  await sam.page.locator('li.event-line', { hasText: 'Resolved by Sam Support' }).waitFor();
  const order = await sam.page.locator('li.entry').evaluateAll((lis) => lis.map((li) => li.textContent));
  const reply = order.findIndex((x) => x.includes('It bounces again'));
  assert.ok(order.findIndex((x) => x.includes('Resolved by Sam Support')) < reply, 'resolved before the reply');
  assert.ok(order.findIndex((x) => x.includes('Reopened by Alice')) > reply, 'reopened by the reply, after it');
  await screenshot(sam.page, 'receipts-reopened-1280');
  await sam.context.close();
  await alice.context.close();
});
