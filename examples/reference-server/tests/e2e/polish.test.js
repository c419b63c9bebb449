// The UI's polish: deep links survive sign-in (and only to this site), the favicon, loading
// states, a failed action that says so and offers Retry, and the launcher never over a chat.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, live, screenshot, signIn } from './harness.js';

const env = fresh();

async function signInAt(path, user) {
  const context = await env.browser.newContext({ baseURL: env.server.base, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(path);
  await page.getByLabel('Access token').fill(user.token);
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  return { context, page };
}

test('a deep link survives sign-in; another site never does', async () => {
  const { data: t } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'Deep link', description: 'x', category: 'it', priority: 'low' });
  const deep = await signInAt(`/admin/support/${t.id}?from=mail`, USERS.sam);
  const at = new URL(deep.page.url());
  assert.equal(at.pathname + at.search, `/admin/support/${t.id}?from=mail`);
  await deep.page.getByRole('heading', { name: 'Deep link' }).waitFor();
  await deep.context.close();

  for (const evil of ['//evil.example', 'https://evil.example/', '/\\evil.example']) {
    const s = await signInAt(`/login?next=${encodeURIComponent(evil)}`, USERS.sam);
    const u = new URL(s.page.url());
    assert.equal(u.origin, env.server.base, `${evil}: stays on this site`);
    assert.equal(u.pathname, '/admin/support/dashboard', `${evil}: the default page`);
    await s.context.close();
  }
});

test('/favicon.ico is an image, and pages link the icon', async () => {
  const res = await fetch(`${env.server.base}/favicon.ico`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^image\//);
  assert.ok((await res.arrayBuffer()).byteLength > 0);
  const svg = await fetch(`${env.server.base}/assets/favicon.svg`);
  assert.equal(svg.status, 200);
  assert.match(svg.headers.get('content-type'), /^image\/svg\+xml/);

  const emp = await signIn(env.browser, env.server, USERS.alice);
  const missing = [];
  emp.page.on('response', (r) => { if (r.status() === 404) missing.push(r.url()); });
  await emp.page.reload();
  await live(emp.page);
  assert.equal(await emp.page.locator('link[rel="icon"]').getAttribute('href'), '/assets/favicon.svg');
  assert.deepEqual(missing, [], 'nothing the page asks for is missing');
  await emp.context.close();
});

test('the chat launcher is absent where the page is a chat already', async () => {
  const { data: t } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'Launcher', description: 'x', category: 'it', priority: 'low' });
  const emp = await signIn(env.browser, env.server, USERS.alice, { viewport: { width: 390, height: 844 } });
  await emp.page.locator('.widget-button').waitFor();
  await emp.page.goto(`/employee/portal/support/${t.id}`);
  await emp.page.getByRole('heading', { name: 'Launcher' }).waitFor();
  assert.equal(await emp.page.locator('.widget-button').count(), 0, 'employee ticket page');
  await screenshot(emp.page, 'polish-employee-ticket-phone');
  await emp.context.close();

  const staff = await signIn(env.browser, env.server, USERS.sam, { viewport: { width: 1280, height: 800 } });
  await staff.page.goto(`/admin/support/${t.id}/live-chat`);
  await staff.page.getByRole('heading', { name: /Launcher/ }).waitFor();
  assert.equal(await staff.page.locator('.widget-button').count(), 0, 'live chat');
  await staff.context.close();
});

test('a page shows a spinner while it loads, and a failed load offers Retry', async () => {
  const staff = await signIn(env.browser, env.server, USERS.sam, { viewport: { width: 1280, height: 800 } });
  let release;
  const held = new Promise((r) => { release = r; });
  await staff.page.route('**/api/admin/support/users', async (route) => { await held; await route.continue(); });
  await staff.page.goto('/admin/support/dashboard');
  await staff.page.locator('main .loading[role="status"]', { hasText: 'Loading' }).waitFor();
  await screenshot(staff.page, 'polish-loading');
  release();
  await staff.page.getByRole('heading', { name: 'Live support' }).waitFor();
  assert.equal(await staff.page.locator('main .loading').count(), 0);
  await staff.page.unroute('**/api/admin/support/users');

  await staff.page.route('**/api/admin/support/dashboard*', (route) => route.abort('connectionrefused'));
  await staff.page.goto('/admin/support/dashboard');
  await staff.page.getByRole('heading', { name: 'Could not load this page' }).waitFor();
  await staff.page.unroute('**/api/admin/support/dashboard*');
  await staff.page.getByRole('button', { name: 'Retry' }).click();
  await staff.page.getByRole('heading', { name: 'Live support' }).waitFor();
  await staff.context.close();
});

test('a failed status change says so in the page and Retry does it', async () => {
  const { data: t } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'Retry me', description: 'x', category: 'it', priority: 'low' });
  const staff = await signIn(env.browser, env.server, USERS.sam, { viewport: { width: 390, height: 844 } });
  await staff.page.goto(`/admin/support/${t.id}`);
  await staff.page.getByRole('heading', { name: 'Retry me' }).waitFor();
  const patch = (r) => r.request().method() === 'PATCH';
  await staff.page.route(`**/api/admin/support/${t.id}`, (route) => (patch(route) ? route.abort('connectionrefused') : route.continue()));
  await staff.page.getByLabel('Status').selectOption('pending');
  await staff.page.getByRole('button', { name: 'Update ticket' }).click();
  const failed = staff.page.locator('.ticket-update .form-error', { hasText: 'No connection to the server' });
  await failed.waitFor();
  await failed.scrollIntoViewIfNeeded();
  await screenshot(staff.page, 'polish-failed-action-phone');
  await staff.page.unroute(`**/api/admin/support/${t.id}`);
  await failed.getByRole('button', { name: 'Retry' }).click();
  await staff.page.locator('.ticket-update .saved', { hasText: 'Saved.' }).waitFor();
  const { data } = await env.server.api(USERS.sam, 'GET', `/admin/support/${t.id}`);
  assert.equal(data.ticket.status, 'pending');

  // The live chat's quick actions too.
  await staff.page.goto(`/admin/support/${t.id}/live-chat`);
  await staff.page.getByRole('button', { name: 'Take it' }).waitFor();
  await staff.page.route(`**/api/admin/support/${t.id}`, (route) => (patch(route) ? route.abort('connectionrefused') : route.continue()));
  await staff.page.getByRole('button', { name: 'Take it' }).click();
  const quick = staff.page.locator('.quick-actions .form-error', { hasText: 'No connection to the server' });
  await quick.waitFor();
  await staff.page.unroute(`**/api/admin/support/${t.id}`);
  await quick.getByRole('button', { name: 'Retry' }).click();
  await staff.page.locator('.chat-title .badge', { hasText: 'In progress' }).waitFor();
  assert.equal(await staff.page.locator('.quick-actions .form-error').count(), 0);
  await staff.context.close();
});
