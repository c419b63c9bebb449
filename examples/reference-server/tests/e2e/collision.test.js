// Two agents on one ticket: each sees who else has it open (and not once they leave), "Take
// it" on a ticket someone else has asks first, a stale update shows what changed (409), and
// the employee's page draws what the agents did as event lines, live.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, live, screenshot, signIn } from './harness.js';

const env = fresh();

async function newTicket(subject) {
  const { data } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject, description: `About ${subject}`, category: 'it', priority: 'medium' });
  return data;
}

test('presence: the other agent is shown while they have the ticket open, and gone when they leave', async () => {
  const t = await newTicket('Printer on fire');
  const sam = await signIn(env.browser, env.server, USERS.sam);
  await sam.page.goto(`/admin/support/${t.id}`);
  await live(sam.page);
  const presence = sam.page.locator('.presence');
  assert.equal(await presence.isVisible(), false, 'alone on the ticket: nobody else is shown');

  const ada = await signIn(env.browser, env.server, USERS.ada, { viewport: { width: 390, height: 844 } });
  await ada.page.goto(`/admin/support/${t.id}/live-chat`);
  await live(ada.page);
  await presence.filter({ hasText: 'Ada Admin is viewing' }).waitFor();
  assert.equal(await presence.locator('.avatar').textContent(), 'AA');
  await ada.page.locator('.chat-view:not([hidden]) .presence', { hasText: 'Sam Support is viewing' }).waitFor();
  await screenshot(sam.page, 'collision-presence-1280');
  await screenshot(ada.page, 'collision-presence-390');

  // The employee is on the ticket's channel, never on its staff presence.
  const alice = await signIn(env.browser, env.server, USERS.alice);
  await alice.page.goto(`/employee/portal/support/${t.id}`);
  await live(alice.page);
  assert.equal(await alice.page.locator('.presence').count(), 0);

  await ada.page.goto('/admin/support');
  await presence.waitFor({ state: 'hidden' });
  for (const who of [sam, ada, alice]) {
    assert.deepEqual(who.page.errors || [], []);
    await who.context.close();
  }
});

test('Take it: on a ticket assigned to someone else it asks first; the employee sees the event lines live', async () => {
  const t = await newTicket('VPN drops');
  await env.server.api(USERS.ada, 'PATCH', `/admin/support/${t.id}`, { status: 'in_progress', assigned_to: USERS.ada.id });

  const alice = await signIn(env.browser, env.server, USERS.alice, { viewport: { width: 390, height: 844 } });
  await alice.page.goto(`/employee/portal/support/${t.id}`);
  await live(alice.page);
  const lines = alice.page.locator('li.event-line');

  const sam = await signIn(env.browser, env.server, USERS.sam);
  await sam.page.goto(`/admin/support/${t.id}/live-chat`);
  await live(sam.page);
  const view = sam.page.locator(`.chat-view[data-ticket="${t.id}"]`);
  await view.getByRole('button', { name: 'Take it' }).click();
  const ask = view.locator('.confirm');
  await ask.getByText('Assigned to Ada Admin. Take it anyway?').waitFor();
  await screenshot(sam.page, 'collision-take-confirm-1280');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await ask.waitFor({ state: 'detached' });
  let now = (await env.server.api(USERS.sam, 'GET', `/admin/support/${t.id}`)).data.ticket;
  assert.equal(now.assigned_to, USERS.ada.id, 'Cancel changes nothing');

  await view.getByRole('button', { name: 'Take it' }).click();
  await view.getByRole('button', { name: 'Take it anyway' }).click();
  await view.locator('li.event-line', { hasText: 'Sam Support took this ticket' }).waitFor();
  now = (await env.server.api(USERS.sam, 'GET', `/admin/support/${t.id}`)).data.ticket;
  assert.equal(now.assigned_to, USERS.sam.id);
  // The employee's page says it too, between the messages, without a reload, after the
  // earlier assignment its history drew.
  await lines.filter({ hasText: 'Sam Support took this ticket' }).waitFor();
  assert.deepEqual(
    await lines.evaluateAll((lis) => lis.map((li) => li.textContent.replace(/just now|\d+ min ago/, '').trim())),
    ['Ada Admin took this ticket', 'Sam Support took this ticket'],
  );

  await view.getByRole('button', { name: 'Resolve' }).click();
  await lines.filter({ hasText: 'Resolved by Sam Support' }).waitFor();
  await view.locator('li.event-line', { hasText: 'Resolved by Sam Support' }).waitFor();
  await screenshot(alice.page, 'collision-event-lines-390');
  await screenshot(sam.page, 'collision-event-lines-1280');
  for (const who of [sam, alice]) {
    assert.deepEqual(who.page.errors || [], []);
    await who.context.close();
  }
});

test('a stale update shows what the other agent changed, and the agent applies theirs on top', async (t) => {
  const ticket = await newTicket('Badge reader');
  assert.ok(Number.isInteger(ticket.version), 'tickets carry a version');
  const sam = await signIn(env.browser, env.server, USERS.sam);
  await sam.page.goto(`/admin/support/${ticket.id}`);
  await live(sam.page);
  // Sam starts editing; meanwhile Ada resolves the ticket.
  await sam.page.getByLabel('Priority').selectOption('high');
  await env.server.api(USERS.ada, 'PATCH', `/admin/support/${ticket.id}`, { status: 'resolved' });
  await sam.page.getByRole('button', { name: 'Update ticket' }).click();
  const panel = sam.page.locator('.conflict');
  await panel.getByText('Someone else changed this ticket').waitFor();
  assert.match(await panel.locator('li[data-field="status"]').textContent(), /Status:\s*Open\s*→\s*Resolved/);
  assert.match(await panel.locator('ul.mine').textContent(), /Priority: High/);
  let now = (await env.server.api(USERS.sam, 'GET', `/admin/support/${ticket.id}`)).data.ticket;
  assert.equal(now.priority, 'medium', 'the stale update changed nothing');
  await screenshot(sam.page, 'collision-409-1280');
  await sam.page.setViewportSize({ width: 390, height: 844 });
  await panel.scrollIntoViewIfNeeded();
  await screenshot(sam.page, 'collision-409-390');
  await sam.page.setViewportSize({ width: 1280, height: 800 });

  await panel.getByRole('button', { name: 'Apply my change anyway' }).click();
  await sam.page.locator('.saved', { hasText: 'Saved.' }).waitFor();
  now = (await env.server.api(USERS.sam, 'GET', `/admin/support/${ticket.id}`)).data.ticket;
  assert.equal(now.priority, 'high');
  assert.equal(now.status, 'resolved', "Ada's change stays: only Sam's field was applied");
  assert.deepEqual(sam.page.errors || [], []);
  await sam.context.close();
});
