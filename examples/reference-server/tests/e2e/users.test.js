// Admin/Users: an admin adds a user and disables another; the disabled user's token stops
// working at once. Desktop and phone screenshots.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, screenshot, signIn } from './harness.js';

const env = fresh();

test('an admin adds a user and disables one on the users page', async () => {
  const admin = await signIn(env.browser, env.server, USERS.ada);
  const { page } = admin;
  await page.getByRole('link', { name: 'Users' }).click();
  await page.waitForURL('**/admin/users');
  const row = (name) => page.locator('li.user', { has: page.locator('.user-name', { hasText: name }) });
  await row('Bob Employee').waitFor();

  // Add a user; a bad email is refused beside its field first.
  await page.getByLabel('Name', { exact: true }).fill('Nina <b>New</b>');
  await page.getByLabel('Email', { exact: true }).fill('not-an-email');
  await page.getByLabel('Role', { exact: true }).selectOption('support');
  await page.getByLabel('Password (optional, at least 12 characters)').fill('a long enough password');
  // The browser's own check would stop a type=email field; ask the server.
  await page.locator('#new-email').evaluate((el) => { el.type = 'text'; });
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.locator('[data-error-for="email"]', { hasText: 'valid email' }).waitFor();
  await page.getByLabel('Email', { exact: true }).fill('nina@example.com');
  await page.getByRole('button', { name: 'Add user' }).click();
  // User text is text: the markup in the name shows as typed.
  await row('Nina <b>New</b>').waitFor();
  assert.equal(await page.locator('li.user b').count(), 0);

  // Disable Bob: the row says so, and his token proves nobody from now on.
  await row('Bob Employee').getByRole('button', { name: 'Disable' }).click();
  await row('Bob Employee').locator('.badge', { hasText: 'Disabled' }).waitFor();
  const res = await fetch(`${env.server.base}/api/employee/portal/support`, {
    headers: { Authorization: `Bearer ${USERS.bob.token}`, Accept: 'application/json' },
  });
  assert.equal(res.status, 401);
  // The admin's own row cannot be disabled.
  assert.equal(await row('Ada Admin').getByRole('button', { name: 'Disable' }).isDisabled(), true);
  await screenshot(page, 'admin-users');

  // A token for Nina, shown once.
  await row('Nina <b>New</b>').getByText('Password and tokens').click();
  await row('Nina <b>New</b>').getByRole('button', { name: 'Create token' }).click();
  const token = await row('Nina <b>New</b>').locator('.token-value').textContent();
  assert.match(token, /^sup_[0-9a-f]{64}$/);
  const mine = await fetch(`${env.server.base}/api/admin/support`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
  });
  assert.equal(mine.status, 200);
  assert.deepEqual(page.errors || [], []);

  const phone = await signIn(env.browser, env.server, USERS.ada, { viewport: { width: 390, height: 844 } });
  await phone.page.goto('/admin/users');
  await phone.page.locator('li.user').first().waitFor();
  await screenshot(phone.page, 'admin-users-phone');
  await phone.context.close();
  await admin.context.close();
});

test('the users page is for admins only', async () => {
  const staff = await signIn(env.browser, env.server, USERS.sam);
  assert.equal(await staff.page.getByRole('link', { name: 'Users' }).count(), 0);
  const res = await staff.page.goto('/admin/users');
  assert.equal(res.status(), 403);
  await staff.context.close();
});
