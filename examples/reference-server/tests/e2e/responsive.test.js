// Usable by keyboard and on a phone-width screen, and the floating widget's quick chat.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, live, screenshot, signIn } from './harness.js';

const env = fresh();

const PHONE = { width: 390, height: 844 };

async function noSideways(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at ${page.viewportSize().width}px`);
}

test('the floating widget starts a quick chat that support answers live', async () => {
  const emp = await signIn(env.browser, env.server, USERS.alice);
  await live(emp.page);
  const open = emp.page.getByRole('button', { name: 'Chat with support' });
  await open.click();
  assert.equal(await open.getAttribute('aria-expanded'), 'true');
  const dialog = emp.page.getByRole('dialog', { name: 'Chat with support' });
  await dialog.getByLabel('How can we help?').fill('My badge does not open the door');
  await dialog.getByLabel('Topic').selectOption('facilities');
  await dialog.getByRole('button', { name: 'Start chat' }).click();
  await dialog.locator('li.message', { hasText: 'My badge does not open the door' }).waitFor();
  // The ticket list behind the widget shows the new ticket at once.
  await emp.page.locator('main tr[data-ticket]', { hasText: 'My badge does not open the door' }).waitFor();
  await screenshot(emp.page, 'employee-widget');

  const staff = await signIn(env.browser, env.server, USERS.sam);
  await staff.page.locator('tr[data-ticket]', { hasText: 'My badge does not open the door' }).waitFor();
  const id = await staff.page.locator('tr[data-ticket]').first().getAttribute('data-ticket');
  const { data } = await env.server.api(USERS.sam, 'GET', `/admin/support/${id}`);
  assert.equal(data.ticket.category, 'facilities');
  await staff.page.goto(`/admin/support/${id}/live-chat`);
  await live(staff.page);
  await staff.page.getByRole('textbox', { name: 'Message', exact: true }).fill('Which door?');
  await staff.page.keyboard.press('Enter');
  await dialog.locator('li.message', { hasText: 'Which door?' }).waitFor();

  // Closed with Escape; reopened on another page, it continues the same ticket.
  await emp.page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await emp.page.goto('/employee/portal/support/create');
  await emp.page.getByRole('button', { name: 'Chat with support' }).click();
  await emp.page.getByRole('dialog').locator('li.message', { hasText: 'Which door?' }).waitFor();
});

test('keyboard only: sign in, create a ticket and send a message without the mouse', async () => {
  const ctx = await env.browser.newContext({ baseURL: env.server.base });
  const page = await ctx.newPage();
  await page.goto('/login');
  await page.getByLabel('Access token').focus();
  await page.keyboard.type(USERS.bob.token);
  await page.keyboard.press('Enter');
  await page.waitForURL('**/employee/portal/support');
  await page.goto('/employee/portal/support/create');
  // The form opens with the subject focused (once it is drawn); Tab walks the labelled fields in order.
  await page.waitForFunction(() => document.activeElement?.name === 'subject');
  await page.keyboard.type('Headset broken');
  await page.keyboard.press('Tab');
  await page.keyboard.type('The left side is silent');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.name), 'priority');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/support\/\d+$/);
  await live(page);
  await page.getByRole('textbox', { name: 'Message', exact: true }).focus();
  await page.keyboard.type('Sent with the keyboard');
  await page.keyboard.press('Enter');
  await page.locator('li.message:not(.pending)', { hasText: 'Sent with the keyboard' }).waitFor();
  // Every form control on the page has a label.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map((el) => el.outerHTML));
  assert.deepEqual(unlabelled, []);
  await ctx.close();
});

test('phone width: the main pages fit without sideways scrolling', async () => {
  const { data: t } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'A rather long subject line that could push a narrow layout sideways if it did not wrap', description: 'x', category: 'it', priority: 'urgent' });
  await env.server.api(USERS.alice, 'POST', `/employee/portal/support/${t.id}/chat`, { message: 'averyveryverylongwordwithoutanyspacesthatmustwrapinsteadofoverflowingthescreen' });
  const emp = await signIn(env.browser, env.server, USERS.alice, { viewport: PHONE });
  for (const path of ['/employee/portal/support', '/employee/portal/support/create', `/employee/portal/support/${t.id}`]) {
    await emp.page.goto(path);
    await emp.page.locator('main h1').first().waitFor();
    await noSideways(emp.page);
  }
  await screenshot(emp.page, 'phone-employee-ticket');
  const staff = await signIn(env.browser, env.server, USERS.sam, { viewport: PHONE });
  for (const path of ['/admin/support/dashboard', '/admin/support', `/admin/support/${t.id}`, `/admin/support/${t.id}/live-chat`]) {
    await staff.page.goto(path);
    await staff.page.locator('main h1, main h2').first().waitFor();
    await noSideways(staff.page);
  }
  await staff.page.goto('/admin/support/dashboard');
  await staff.page.locator('tr[data-ticket]').first().waitFor();
  await screenshot(staff.page, 'phone-staff-dashboard');
});
