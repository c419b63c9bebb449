// Scenario 1 (new ticket flow) and every item of the Laravel helpdesk's manual testing checklist, with an
// employee and a staff member each in their own browser context.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, live, screenshot, signIn } from './harness.js';

const env = fresh();

const composer = (page) => page.getByRole('textbox', { name: 'Message', exact: true });
const message = (page, text) => page.locator('li.message', { hasText: text });
const typing = (page, who) => page.getByText(`${who} is typing…`, { exact: true });

/** Whispers `typing` on a ticket's channel from `page`, through the page's own Echo. */
const whisperFrom = (page, ticketId, data) => page.evaluate(async ([id, d]) => {
  const { echo } = await import('/assets/js/realtime.js');
  echo.private(`support.ticket.${id}`).whisper('typing', d);
}, [ticketId, data]);

/** From now on, `window.whispers` on `page` lists the data of every whisper it receives. */
const recordWhispers = (page) => page.evaluate(async () => {
  const { echo } = await import('/assets/js/realtime.js');
  window.whispers = [];
  echo.connector.pusher.connection.bind('message', (e) => {
    if (e.event.startsWith('client-')) window.whispers.push(e.data);
  });
});

test('new ticket flow: the checklist of both sides, live', async () => {
  // Admin side: the live dashboard, empty, with no badge.
  const staff = await signIn(env.browser, env.server, USERS.sam);
  assert.equal(new URL(staff.page.url()).pathname, '/admin/support/dashboard');
  await live(staff.page);
  await staff.page.getByRole('heading', { name: 'Live support' }).waitFor();
  assert.equal(await staff.page.locator('#badge-open').isHidden(), true, 'no badge while nothing is open');

  // Employee side: the ticket list, then the create form.
  const emp = await signIn(env.browser, env.server, USERS.alice);
  assert.equal(new URL(emp.page.url()).pathname, '/employee/portal/support');
  await emp.page.getByText('You have no support tickets yet.').waitFor();
  await emp.page.getByRole('link', { name: 'New ticket' }).first().click();
  await emp.page.getByRole('button', { name: 'Create ticket' }).click();
  await emp.page.getByText('The subject field is required.').waitFor();
  await emp.page.getByLabel('Subject').fill('Login Issue');
  await emp.page.getByLabel('Description').fill('Cannot access my account');
  await emp.page.getByLabel('Category').selectOption('it');
  await emp.page.getByLabel('Priority').selectOption('high');
  await emp.page.getByRole('button', { name: 'Create ticket' }).click();
  await emp.page.waitForURL(/\/employee\/portal\/support\/\d+$/);
  const ticketId = Number(emp.page.url().split('/').pop());
  await emp.page.getByRole('heading', { name: 'Login Issue' }).waitFor();
  await live(emp.page);

  // The admin is told at once: a notification, the dashboard row, the badge.
  await staff.page.locator('.toast', { hasText: 'New ticket TKT-' }).waitFor();
  await staff.page.locator('tr[data-ticket]', { hasText: 'Login Issue' }).waitFor();
  await staff.page.locator('#badge-open', { hasText: '1' }).waitFor();
  assert.equal(await staff.page.locator('.stat-open .value').textContent(), '1');
  await screenshot(staff.page, 'staff-dashboard');

  // The employee's list shows it with status and priority.
  const list = await emp.context.newPage();
  await list.goto('/employee/portal/support');
  const row = list.locator('tr', { hasText: 'Login Issue' });
  await row.locator('.badge', { hasText: 'Open' }).waitFor();
  await row.locator('.badge', { hasText: 'High' }).waitFor();
  await screenshot(list, 'employee-tickets');
  await list.close();

  // The admin opens the ticket in live chat from the dashboard.
  await staff.page.locator('tr[data-ticket]', { hasText: 'Login Issue' }).getByRole('link', { name: 'Live chat' }).click();
  await staff.page.waitForURL(`**/admin/support/${ticketId}/live-chat`);
  await live(staff.page);

  // Typing indicator: admin types, the employee sees it, and it goes when the message lands.
  // The employee has no name for this agent yet: "Support".
  await composer(staff.page).pressSequentially('Let me check', { delay: 20 });
  await typing(emp.page, 'Support').waitFor();
  await composer(staff.page).pressSequentially(' your account status...');
  await staff.page.keyboard.press('Enter');
  const reply = message(emp.page, 'Let me check your account status...');
  await reply.waitFor();
  await typing(emp.page, 'Support').waitFor({ state: 'hidden' });
  // Now it knows the agent from their message.
  await composer(staff.page).pressSequentially('One moment', { delay: 20 });
  await typing(emp.page, 'Sam Support').waitFor();
  await screenshot(emp.page, 'employee-sees-typing');
  await composer(staff.page).fill('');
  // Timestamps on messages.
  assert.match(await reply.locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
  assert.ok((await reply.locator('time').textContent()).trim().length > 0);

  // The employee answers; the admin sees the typing and then the message, live.
  await composer(emp.page).pressSequentially('I tried resetting my password', { delay: 20 });
  await typing(staff.page, 'Alice Employee').waitFor();
  await emp.page.getByRole('button', { name: 'Send' }).click();
  await message(staff.page, 'I tried resetting my password').waitFor();
  await typing(staff.page, 'Alice Employee').waitFor({ state: 'hidden', timeout: 6000 });
  // A whisper that claims another name shows the sender the server names.
  await whisperFrom(emp.page, ticketId, { id: USERS.ada.id, name: USERS.ada.name, typing: true });
  await typing(staff.page, 'Alice Employee').waitFor();
  assert.equal(await typing(staff.page, 'Ada Admin').count(), 0, 'the name in the whisper was shown');
  await screenshot(emp.page, 'employee-ticket-chat');
  await screenshot(staff.page, 'staff-live-chat');

  // Ticket details: status, assignment, internal note.
  await staff.page.goto(`/admin/support/${ticketId}`);
  await live(staff.page);
  await staff.page.getByLabel('Status').selectOption('in_progress');
  await staff.page.getByLabel('Assigned to').selectOption(String(USERS.sam.id));
  await staff.page.getByRole('button', { name: 'Update ticket' }).click();
  await staff.page.getByText('Saved.').waitFor();
  await emp.page.locator('.ticket-head .badge', { hasText: 'In progress' }).waitFor();
  // Nothing is open any more: the badge goes without a reload of any page.
  await staff.page.locator('#badge-open').waitFor({ state: 'hidden' });

  // Writing an internal note whispers nothing on the ticket's channel, which the employee is on.
  await recordWhispers(emp.page);
  await staff.page.getByRole('tab', { name: 'Note' }).click();
  await composer(staff.page).pressSequentially('Password reset looks blocked by the SSO policy', { delay: 40 });
  await staff.page.getByRole('button', { name: 'Add note' }).click();
  const note = staff.page.locator('li.message.internal', { hasText: 'SSO policy' });
  await note.waitFor();
  await note.getByText('Internal note').waitFor();
  await screenshot(staff.page, 'staff-ticket-details');
  await emp.page.waitForTimeout(500);
  assert.deepEqual(await emp.page.evaluate(() => window.whispers), [], 'writing an internal note was whispered');
  assert.equal(await emp.page.locator('.typing.shown').count(), 0);

  // A public message after the note: once the employee has it, the note would have come too.
  // Its typing is whispered, with no name in it.
  await staff.page.getByRole('tab', { name: 'Reply' }).click();
  await composer(staff.page).fill('We are on it.');
  await typing(emp.page, 'Sam Support').waitFor();
  await staff.page.getByRole('button', { name: 'Send' }).click();
  await message(emp.page, 'We are on it.').waitFor();
  const whispers = await emp.page.evaluate(() => window.whispers);
  assert.ok(whispers.length >= 1, 'the public message was not whispered');
  assert.ok(whispers.every((d) => Object.keys(d).join() === 'typing'), JSON.stringify(whispers));
  assert.equal(await emp.page.getByText('SSO policy').count(), 0, 'the internal note reached the employee live');
  await emp.page.reload();
  await message(emp.page, 'We are on it.').waitFor();
  assert.equal(await emp.page.getByText('SSO policy').count(), 0, 'the internal note is on the employee page');
  assert.equal(await emp.page.locator('.internal-label').count(), 0);

  // The admin resolves; the employee sees it live.
  await live(emp.page);
  await staff.page.getByLabel('Status').selectOption('resolved');
  await staff.page.getByRole('button', { name: 'Update ticket' }).click();
  await emp.page.locator('.ticket-head .badge', { hasText: 'Resolved' }).waitFor();
  const { data } = await env.server.api(USERS.sam, 'GET', `/admin/support/${ticketId}`);
  assert.equal(data.ticket.status, 'resolved');
  assert.equal(data.ticket.assigned_to, USERS.sam.id);
  assert.ok(data.ticket.resolved_at);
  // Every message once: 3 public and 1 note.
  assert.deepEqual(data.messages.map((m) => m.is_internal), [false, false, true, false]);
  assert.deepEqual(emp.page.errors || [], []);
  assert.deepEqual(staff.page.errors || [], []);
  await emp.context.close();
  await staff.context.close();
});

test('the badge counts open tickets live while staff work elsewhere', async () => {
  const staff = await signIn(env.browser, env.server, USERS.ada);
  await staff.page.goto('/admin/support');
  await live(staff.page);
  const badge = staff.page.locator('#badge-open');
  const before = (await badge.isHidden()) ? 0 : Number(await badge.textContent());
  const { data: t } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'Printer', description: 'Jammed', category: 'facilities', priority: 'low' });
  await staff.page.locator('#badge-open', { hasText: String(before + 1) }).waitFor();
  await env.server.api(USERS.sam, 'PATCH', `/admin/support/${t.id}`, { status: 'closed' });
  if (before === 0) await badge.waitFor({ state: 'hidden' });
  else await staff.page.locator('#badge-open', { hasText: String(before) }).waitFor();
  await staff.context.close();
});
