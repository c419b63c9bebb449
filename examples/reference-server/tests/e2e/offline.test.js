// Scenario 3 (offline handling), and what a person sees when their own connection drops: the
// indicator, a message kept and sent once when the connection returns, and the thread
// catching up with what was missed, without duplicates.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, live, screenshot, signIn } from './harness.js';

const env = fresh();

const composer = (page) => page.getByRole('textbox', { name: 'Message', exact: true });
const message = (page, text) => page.locator('li.message:not(.pending)', { hasText: text });

test('scenario 3: a message sent while the admin is offline is there when they come online', async () => {
  const emp = await signIn(env.browser, env.server, USERS.alice);
  const { data: t } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'VPN drops', description: 'Every hour', category: 'it', priority: 'medium' });
  await emp.page.goto(`/employee/portal/support/${t.id}`);
  await live(emp.page);
  await composer(emp.page).fill('Are you there?');
  await composer(emp.page).press('Enter');
  await message(emp.page, 'Are you there?').waitFor();

  // The admin comes online afterwards and finds it.
  const staff = await signIn(env.browser, env.server, USERS.sam);
  await staff.page.goto(`/admin/support/${t.id}/live-chat`);
  await message(staff.page, 'Are you there?').waitFor();
  await live(staff.page);
  await composer(staff.page).fill('Yes, looking now.');
  await composer(staff.page).press('Enter');
  await message(emp.page, 'Yes, looking now.').waitFor();
  await emp.context.close();
  await staff.context.close();
});

test('offline: the indicator shows it, a queued message goes once, the thread catches up', async () => {
  const emp = await signIn(env.browser, env.server, USERS.bob);
  const { data: t } = await env.server.api(USERS.bob, 'POST', '/employee/portal/support',
    { subject: 'Laptop battery', description: 'Swells', category: 'it', priority: 'high' });
  await emp.page.goto(`/employee/portal/support/${t.id}`);
  await live(emp.page);
  const staff = await signIn(env.browser, env.server, USERS.ada);
  await staff.page.goto(`/admin/support/${t.id}/live-chat`);
  await live(staff.page);

  await emp.context.setOffline(true);
  await emp.page.locator('.connection[data-state="offline"]').waitFor();
  assert.match(await emp.page.locator('.connection').textContent(), /Offline/);

  // Typed and sent while offline: kept on screen as not sent yet.
  await composer(emp.page).fill('Sent from the train');
  await composer(emp.page).press('Enter');
  await emp.page.locator('li.message.pending', { hasText: 'Sent from the train' }).waitFor();
  await emp.page.locator('li.message.pending.waiting').waitFor();
  await screenshot(emp.page, 'employee-offline');

  // Meanwhile support writes twice; the employee cannot receive it yet.
  for (const text of ['Please stop using it', 'We will send a new one']) {
    await composer(staff.page).fill(text);
    await composer(staff.page).press('Enter');
    await message(staff.page, text).waitFor();
  }
  assert.equal(await message(emp.page, 'Please stop using it').count(), 0);

  // Back online: the queued message goes out and the missed ones arrive.
  await emp.context.setOffline(false);
  await emp.page.locator('.connection[data-state="connected"]').waitFor({ timeout: 30000 });
  await message(emp.page, 'Sent from the train').waitFor({ timeout: 15000 });
  await message(emp.page, 'Please stop using it').waitFor();
  await message(emp.page, 'We will send a new one').waitFor();
  await message(staff.page, 'Sent from the train').waitFor();
  assert.equal(await emp.page.locator('li.message.pending').count(), 0);

  // Exactly once everywhere, in order.
  const { data } = await env.server.api(USERS.ada, 'GET', `/admin/support/${t.id}/messages?after=0`);
  assert.deepEqual(data.map((m) => m.content).sort(), ['Please stop using it', 'Sent from the train', 'We will send a new one']);
  const shown = await emp.page.locator('li.message .content').allTextContents();
  assert.deepEqual([...shown].sort(), ['Please stop using it', 'Sent from the train', 'We will send a new one']);
  const ids = await emp.page.locator('li.message').evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'messages are shown in order');
  assert.equal((await staff.page.locator('li.message .content').allTextContents()).filter((c) => c === 'Sent from the train').length, 1);
});

test('a message whose answer was lost is kept across a reload and stored once', async () => {
  const emp = await signIn(env.browser, env.server, USERS.alice);
  const { data: t } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'Keyboard', description: 'Sticky keys', category: 'it', priority: 'low' });
  await emp.page.goto(`/employee/portal/support/${t.id}`);
  await live(emp.page);
  // The network drops between request and answer: the server stores the message, the page
  // never hears back, so it keeps the message queued with its idempotency key.
  let reachedServer = 0;
  await emp.page.route('**/chat', async (route) => {
    const answer = await route.fetch();
    reachedServer += answer.status() === 201 ? 1 : 0;
    await route.abort('internetdisconnected');
  });
  await composer(emp.page).fill('Typed before the reload');
  await composer(emp.page).press('Enter');
  await emp.page.locator('li.message.pending.waiting', { hasText: 'Typed before the reload' }).waitFor();
  assert.ok(reachedServer >= 1, 'the first attempt reached the server');
  await emp.page.unroute('**/chat');
  await emp.page.reload();
  await message(emp.page, 'Typed before the reload').waitFor();
  const { data } = await env.server.api(USERS.alice, 'GET', `/employee/portal/support/${t.id}/messages?after=0`);
  assert.deepEqual(data.map((m) => m.content), ['Typed before the reload']);
  await emp.page.locator('li.message.pending').waitFor({ state: 'detached' });
  assert.equal(await emp.page.locator('li.message', { hasText: 'Typed before the reload' }).count(), 1);
});
