// What the Laravel helpdesk's security rules ask of the UI: sessions by cookie, CSRF on every state
// change, user text rendered as text, internal notes and other people's tickets never shown.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, live, screenshot, signIn, startServer } from './harness.js';

const env = fresh();

const XSS_SUBJECT = '<img src=x onerror="window.__xss=1">Broken <b>mouse</b>';
const XSS_MESSAGE = '<script>window.__xss=2</script><svg onload="window.__xss=3">';

test('an XSS payload in a subject or message shows as typed, on both sides', async () => {
  const emp = await signIn(env.browser, env.server, USERS.alice);
  await emp.page.goto('/employee/portal/support/create');
  await emp.page.getByLabel('Subject').fill(XSS_SUBJECT);
  await emp.page.getByLabel('Description').fill(XSS_MESSAGE);
  await emp.page.getByRole('button', { name: 'Create ticket' }).click();
  await emp.page.waitForURL(/\/support\/\d+$/);
  const id = Number(emp.page.url().split('/').pop());
  await live(emp.page);
  await emp.page.getByRole('textbox', { name: 'Message', exact: true }).fill(XSS_MESSAGE);
  await emp.page.keyboard.press('Enter');
  await emp.page.locator('li.message:not(.pending)', { hasText: '<script>' }).waitFor();

  const staff = await signIn(env.browser, env.server, USERS.sam);
  for (const path of ['/admin/support/dashboard', '/admin/support', `/admin/support/${id}`, `/admin/support/${id}/live-chat`]) {
    await staff.page.goto(path);
    await staff.page.getByText(XSS_SUBJECT).first().waitFor();
  }
  await staff.page.locator('li.message', { hasText: XSS_MESSAGE }).waitFor();
  await live(staff.page);
  await staff.page.getByRole('textbox', { name: 'Message', exact: true }).fill(`${XSS_MESSAGE} reply`);
  await staff.page.keyboard.press('Enter');
  await emp.page.locator('li.message', { hasText: `${XSS_MESSAGE} reply` }).waitFor();
  await emp.page.goto('/employee/portal/support');
  await emp.page.getByText(XSS_SUBJECT).waitFor();

  for (const page of [emp.page, staff.page]) {
    assert.equal(await page.evaluate(() => window.__xss), undefined, 'a payload ran');
    assert.equal(await page.locator('img[src="x"], svg[onload], b:text("mouse")').count(), 0, 'a payload became markup');
  }
});

test('internal notes never reach the employee: not on the page, not by the API, not by the channel', async () => {
  const { data: t } = await env.server.api(USERS.bob, 'POST', '/employee/portal/support',
    { subject: 'Salary question', description: 'Bonus', category: 'payroll', priority: 'medium' });
  const emp = await signIn(env.browser, env.server, USERS.bob);
  await emp.page.goto(`/employee/portal/support/${t.id}`);
  await live(emp.page);
  // Record every event Bob's socket receives, on any channel.
  await emp.page.evaluate(async () => {
    const { echo } = await import('/assets/js/realtime.js');
    window.__seen = [];
    echo.connector.pusher.bind_global((event, data) => window.__seen.push(JSON.stringify([event, data])));
  });
  await env.server.api(USERS.sam, 'POST', `/admin/support/${t.id}/comment`, { content: 'NOTE: check his contract', is_internal: true });
  await env.server.api(USERS.sam, 'POST', `/admin/support/${t.id}/chat`, { message: 'Looking into it' });
  await emp.page.locator('li.message', { hasText: 'Looking into it' }).waitFor();
  assert.equal(await emp.page.getByText('check his contract').count(), 0);
  const seen = await emp.page.evaluate(() => window.__seen);
  assert.ok(seen.some((e) => e.includes('Looking into it')), 'the recorder works');
  assert.ok(!seen.some((e) => e.includes('check his contract')), 'the note travelled to the employee');
  // The page's own API calls with the cookie: the note is not in them either.
  const fromPage = await emp.page.evaluate(async (id) => {
    const r = await fetch(`/api/employee/portal/support/${id}/messages?after=0`);
    return (await r.json()).data.map((m) => m.content);
  }, t.id);
  assert.deepEqual(fromPage, ['Looking into it']);
  // The staff channel is refused to the employee's session.
  const refused = await emp.page.evaluate(async () => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const r = await fetch('/broadcasting/auth', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-TOKEN': csrf },
      body: 'socket_id=1234.5678&channel_name=private-support.admin',
    });
    return r.status;
  });
  assert.equal(refused, 403);
});

test('pages need a session, staff pages need staff, and others\' tickets are not found', async () => {
  const anon = await env.browser.newContext({ baseURL: env.server.base });
  const page = await anon.newPage();
  await page.goto('/admin/support/dashboard');
  assert.equal(new URL(page.url()).pathname, '/login');
  await anon.close();

  const { data: t } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'Private matter', description: 'x', category: 'hr', priority: 'low' });
  const bob = await signIn(env.browser, env.server, USERS.bob);
  const denied = await bob.page.goto('/admin/support/dashboard');
  assert.equal(denied.status(), 403);
  await bob.page.getByRole('heading', { name: 'Staff only' }).waitFor();
  await bob.page.goto(`/employee/portal/support/${t.id}`);
  await bob.page.getByRole('heading', { name: 'Not found' }).waitFor();
  assert.equal(await bob.page.getByText('Private matter').count(), 0);
});

test('CSRF: a state change by cookie without the token is refused with 419; with it, it works', async () => {
  const emp = await signIn(env.browser, env.server, USERS.alice);
  const statuses = await emp.page.evaluate(async () => {
    const post = (headers) => fetch('/api/employee/portal/support/quick-chat', {
      method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ message: 'hi' }),
    }).then((r) => r.status);
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    return [await post({}), await post({ 'X-CSRF-TOKEN': 'forged' }), await post({ 'X-CSRF-TOKEN': csrf })];
  });
  assert.deepEqual(statuses, [419, 419, 201]);
  const cookies = await emp.context.cookies();
  const session = cookies.find((c) => c.name === 'support_session');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');

  // A sign-in form posted from another site is refused (login CSRF).
  const res = await fetch(`${env.server.base}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://evil.example' },
    body: `token=${USERS.alice.token}`,
  });
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('set-cookie'), null);

  // Signing out ends the session, on the server too: the old cookie, put back, opens nothing.
  await emp.page.goto('/employee/portal/support');
  await emp.page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await emp.page.waitForURL('**/login');
  await emp.page.goto('/employee/portal/support');
  assert.equal(new URL(emp.page.url()).pathname, '/login');
  await emp.context.addCookies([session]);
  await emp.page.goto('/employee/portal/support');
  assert.equal(new URL(emp.page.url()).pathname, '/login');
});

test('"Sign out everywhere" ends every session of that user, and only theirs', async () => {
  const laptop = await signIn(env.browser, env.server, USERS.alice);
  const phone = await signIn(env.browser, env.server, USERS.alice);
  const other = await signIn(env.browser, env.server, USERS.bob);
  await laptop.page.goto('/employee/portal/support');
  await laptop.page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await laptop.page.waitForURL('**/login');
  for (const [who, expected] of [[phone, '/login'], [other, '/employee/portal/support']]) {
    await who.page.goto('/employee/portal/support');
    assert.equal(new URL(who.page.url()).pathname, expected);
  }
  for (const c of [laptop, phone, other]) await c.context.close();
});

test('a wrong token is refused on the sign-in page', async () => {
  const ctx = await env.browser.newContext({ baseURL: env.server.base });
  const page = await ctx.newPage();
  await page.goto('/login');
  await page.getByLabel('Access token').fill('not-a-real-token-at-all');
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await page.getByRole('alert').filter({ hasText: 'does not belong to any user' }).waitFor();
  await ctx.close();
});

test('demo mode: the sign-in page lists the demo users and leads each to their home', async () => {
  const demo = await startServer({ demo: true });
  try {
    const ctx = await env.browser.newContext({ baseURL: demo.base });
    const page = await ctx.newPage();
    await page.goto('/');
    assert.equal(new URL(page.url()).pathname, '/login');
    for (const name of ['Alice Employee', 'Bob Employee', 'Sam Support', 'Ada Admin', 'Hana HR']) {
      await page.getByRole('button', { name: new RegExp(name) }).waitFor();
    }
    await screenshot(page, 'sign-in');
    await page.getByRole('button', { name: /Hana HR/ }).click();
    await page.waitForURL('**/admin/support/dashboard');
    await ctx.close();
  } finally {
    await demo.stop();
  }
});
