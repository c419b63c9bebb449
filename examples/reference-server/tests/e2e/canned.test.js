// Canned responses and ticket templates through the pages: an admin adds a shared response
// and a template; an employee starts a ticket from the template (the form is filled and still
// editable; the ticket has the template's subject, category and priority), and a chat from it
// in the widget; support sees the shared response, manages a personal one and cannot make one
// shared. Desktop and phone screenshots of the pages and of the form with a template picked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, screenshot, signIn } from './harness.js';

const env = fresh({ rateLimits: false });
const PHONE = { viewport: { width: 390, height: 844 } };

const cannedRow = (page, shortcut) => page.locator('li.library-item', { has: page.locator('.shortcut', { hasText: `/${shortcut}` }) });
const templateRow = (page, name) => page.locator('li.library-item', { has: page.locator('.library-title', { hasText: name }) });

test('an admin adds a shared canned response and a ticket template on the pages', async () => {
  const admin = await signIn(env.browser, env.server, USERS.ada);
  const { page } = admin;
  await page.getByRole('link', { name: 'Canned responses' }).click();
  await page.waitForURL('**/admin/support/canned-responses');
  await page.getByText('No canned responses yet.').waitFor();

  // A bad shortcut is refused beside its field (the server's 422).
  const add = page.locator('form.add');
  await add.getByLabel('Shortcut').fill('VPN Reset!');
  await add.getByLabel('Title').fill('VPN: <b>reset</b> the profile');
  await add.getByLabel('Body').fill('Hi {{employee.name}}, please remove and re-add the VPN profile.\n— {{agent.name}}');
  await add.getByLabel(/Shared/).check();
  await add.getByRole('button', { name: 'Add response' }).click();
  await add.locator('[data-error-for="shortcut"]:not(:empty)').waitFor();
  assert.equal(await add.getByLabel('Shortcut').getAttribute('aria-invalid'), 'true');
  await add.scrollIntoViewIfNeeded();
  await screenshot(page, 'canned-responses-error-1280');
  await add.getByLabel('Shortcut').fill('vpn-reset');
  await add.getByRole('button', { name: 'Add response' }).click();
  const row = cannedRow(page, 'vpn-reset');
  await row.locator('.badge', { hasText: 'Shared' }).waitFor();
  // User text is text: the markup in the title shows as typed.
  await row.locator('.library-title', { hasText: 'VPN: <b>reset</b> the profile' }).waitFor();
  assert.equal(await page.locator('li.library-item b').count(), 0);
  assert.equal(await add.getByLabel('Shortcut').inputValue(), '', 'the add form is emptied');

  // A personal one too, then edited in place.
  await add.getByLabel('Shortcut').fill('bye');
  await add.getByLabel('Title').fill('Good bye');
  await add.getByLabel('Body').fill('Have a nice day.');
  await add.getByRole('button', { name: 'Add response' }).click();
  await cannedRow(page, 'bye').locator('.badge', { hasText: 'Personal' }).waitFor();
  await cannedRow(page, 'bye').getByRole('button', { name: 'Edit /bye' }).click();
  const edit = page.getByRole('form', { name: 'Edit /bye' });
  await edit.getByLabel('Title').fill('Good bye and thanks');
  await edit.getByRole('button', { name: 'Save' }).click();
  await cannedRow(page, 'bye').locator('.library-title', { hasText: 'Good bye and thanks' }).waitFor();

  // Search by shortcut or title.
  await page.getByRole('searchbox', { name: 'Search' }).fill('profile');
  await cannedRow(page, 'bye').waitFor({ state: 'detached' });
  assert.equal(await page.locator('li.library-item').count(), 1);
  await page.getByRole('searchbox', { name: 'Search' }).fill('');
  await cannedRow(page, 'bye').waitFor();
  await screenshot(page, 'canned-responses-admin-1280');

  // Delete asks first: Cancel keeps it, Delete removes it.
  await cannedRow(page, 'bye').getByRole('button', { name: 'Delete /bye' }).click();
  await page.getByRole('alertdialog', { name: 'Delete /bye?' }).getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('alertdialog').waitFor({ state: 'detached' });
  await cannedRow(page, 'bye').getByRole('button', { name: 'Delete /bye' }).click();
  await page.getByRole('alertdialog', { name: 'Delete /bye?' }).getByRole('button', { name: 'Delete' }).click();
  await cannedRow(page, 'bye').waitFor({ state: 'detached' });
  const { data: left } = await env.server.api(USERS.ada, 'GET', '/admin/support/canned-responses');
  assert.deepEqual(left.map((r) => [r.shortcut, r.shared]), [['vpn-reset', true]]);

  // Ticket templates: admins only, from the sidebar.
  await page.getByRole('link', { name: 'Ticket templates' }).click();
  await page.waitForURL('**/admin/support/templates');
  await page.getByText('No templates yet.').waitFor();
  const form = page.locator('form.add');
  await form.getByRole('button', { name: 'Add template' }).click();
  await form.locator('[data-error-for="name"]:not(:empty)').waitFor();
  await form.getByLabel('Name').fill('VPN problem');
  await form.getByLabel('Subject').fill('VPN keeps disconnecting');
  await form.getByLabel('Description').fill('Since when?\nWhich office or network?');
  await form.getByLabel('Category').selectOption('it');
  await form.getByLabel('Priority').selectOption('high');
  await form.getByRole('button', { name: 'Add template' }).click();
  const tpl = templateRow(page, 'VPN problem');
  await tpl.locator('.badge', { hasText: 'High' }).waitFor();
  await tpl.getByText('VPN keeps disconnecting').waitFor();
  // A second one, edited, then deleted after the question.
  await form.getByLabel('Name').fill('Old laptop');
  await form.getByLabel('Subject').fill('My laptop is slow');
  await form.getByLabel('Description').fill('Model and age?');
  await form.getByRole('button', { name: 'Add template' }).click();
  await templateRow(page, 'Old laptop').getByRole('button', { name: 'Edit template Old laptop' }).click();
  const editTpl = page.getByRole('form', { name: 'Edit template Old laptop' });
  assert.equal(await editTpl.getByLabel('Description').inputValue(), 'Model and age?');
  await editTpl.getByLabel('Priority').selectOption('low');
  await editTpl.getByRole('button', { name: 'Save' }).click();
  await templateRow(page, 'Old laptop').locator('.badge', { hasText: 'Low' }).waitFor();
  await templateRow(page, 'Old laptop').getByRole('button', { name: 'Delete template Old laptop' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await templateRow(page, 'Old laptop').waitFor({ state: 'detached' });
  await screenshot(page, 'ticket-templates-admin-1280');
  assert.deepEqual(page.errors || [], []);

  const phone = await signIn(env.browser, env.server, USERS.ada, PHONE);
  await phone.page.goto('/admin/support/canned-responses');
  await cannedRow(phone.page, 'vpn-reset').waitFor();
  await screenshot(phone.page, 'canned-responses-admin-390');
  await phone.page.goto('/admin/support/templates');
  await templateRow(phone.page, 'VPN problem').waitFor();
  await screenshot(phone.page, 'ticket-templates-admin-390');
  await phone.context.close();
  await admin.context.close();
});

test('an employee starts a ticket, and a chat, from the template', async () => {
  const emp = await signIn(env.browser, env.server, USERS.alice);
  const { page } = emp;
  await page.getByRole('link', { name: 'New ticket' }).first().click();
  await page.waitForURL('**/employee/portal/support/create');
  await page.getByLabel('Start from a template').selectOption({ label: 'VPN problem' });
  const form = page.locator('main form');
  assert.equal(await form.getByLabel('Subject').inputValue(), 'VPN keeps disconnecting');
  assert.equal(await form.getByLabel('Description').inputValue(), 'Since when?\nWhich office or network?');
  assert.equal(await form.getByLabel('Category').inputValue(), 'it');
  assert.equal(await form.getByLabel('Priority').inputValue(), 'high');
  await screenshot(page, 'create-from-template-1280');

  // Still the user's to change: the description is completed before sending.
  await form.getByLabel('Description').fill('Since Monday, in the Berlin office.');
  await form.getByRole('button', { name: 'Create ticket' }).click();
  await page.waitForURL(/\/employee\/portal\/support\/\d+$/);
  const id = Number(page.url().split('/').pop());
  await page.getByRole('heading', { name: 'VPN keeps disconnecting' }).waitFor();
  const { data } = await env.server.api(USERS.alice, 'GET', `/employee/portal/support/${id}`);
  assert.equal(data.ticket.subject, 'VPN keeps disconnecting');
  assert.equal(data.ticket.category, 'it');
  assert.equal(data.ticket.priority, 'high');
  assert.equal(data.ticket.description, 'Since Monday, in the Berlin office.');

  // The widget's new chat offers the same: subject as the first line, then the description.
  await page.goto('/employee/portal/support');
  await page.getByRole('button', { name: 'Chat with support' }).click();
  const widget = page.locator('#chat-widget');
  await widget.getByLabel('Start from a template').selectOption({ label: 'VPN problem' });
  assert.equal(await widget.getByLabel('How can we help?').inputValue(), 'VPN keeps disconnecting\n\nSince when?\nWhich office or network?');
  assert.equal(await widget.getByLabel('Topic').inputValue(), 'it');
  assert.equal(await widget.getByLabel('Priority').inputValue(), 'high');
  await screenshot(page, 'widget-from-template-1280');
  await widget.getByRole('button', { name: 'Start chat' }).click();
  await widget.locator('.widget-ticket', { hasText: 'VPN keeps disconnecting' }).waitFor();
  const { data: mine } = await env.server.api(USERS.alice, 'GET', '/employee/portal/support');
  const chat = mine.find((t) => t.id !== id);
  assert.deepEqual([chat.subject, chat.category, chat.priority], ['VPN keeps disconnecting', 'it', 'high']);
  assert.deepEqual(page.errors || [], []);

  const phone = await signIn(env.browser, env.server, USERS.bob, PHONE);
  await phone.page.goto('/employee/portal/support/create');
  await phone.page.getByLabel('Start from a template').selectOption({ label: 'VPN problem' });
  await phone.page.locator('main form').getByLabel('Subject').waitFor();
  await screenshot(phone.page, 'create-from-template-390');
  await phone.context.close();
  await emp.context.close();
});

test('support sees the shared response, keeps a personal one and cannot make one shared', async () => {
  const sam = await signIn(env.browser, env.server, USERS.sam);
  const { page } = sam;
  // No templates link for support; the page itself is for admins.
  assert.equal(await page.getByRole('link', { name: 'Ticket templates' }).count(), 0);
  assert.equal((await page.goto('/admin/support/templates')).status(), 403);
  await page.goto('/admin/support/dashboard');
  await page.getByRole('link', { name: 'Canned responses' }).click();
  await page.waitForURL('**/admin/support/canned-responses');
  const shared = cannedRow(page, 'vpn-reset');
  await shared.locator('.badge', { hasText: 'Shared' }).waitFor();
  // An admin's shared response is not support's to change or delete.
  assert.equal(await shared.getByRole('button').count(), 0);
  // The add form has no Shared checkbox.
  const add = page.locator('form.add');
  assert.equal(await add.getByRole('checkbox').count(), 0);
  await add.getByLabel('Shortcut').fill('thanks');
  await add.getByLabel('Title').fill('Thanks for waiting');
  await add.getByLabel('Body').fill('Thanks for your patience, {{employee.name}}!');
  await add.getByRole('button', { name: 'Add response' }).click();
  await cannedRow(page, 'thanks').locator('.badge', { hasText: 'Personal' }).waitFor();
  // Editing one's own: still no Shared checkbox.
  await cannedRow(page, 'thanks').getByRole('button', { name: 'Edit /thanks' }).click();
  assert.equal(await page.getByRole('form', { name: 'Edit /thanks' }).getByRole('checkbox').count(), 0);
  await page.getByRole('form', { name: 'Edit /thanks' }).getByRole('button', { name: 'Cancel' }).click();
  // And the server agrees: support asking for a shared one is refused.
  const res = await fetch(`${env.server.base}/api/admin/support/canned-responses`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${USERS.sam.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ shortcut: 'mine-shared', title: 'x', body: 'x', shared: true }),
  });
  assert.equal(res.status, 403);
  // The admin does not see support's personal one.
  const { data: adas } = await env.server.api(USERS.ada, 'GET', '/admin/support/canned-responses');
  assert.deepEqual(adas.map((r) => r.shortcut), ['vpn-reset']);
  await screenshot(page, 'canned-responses-support-1280');
  assert.deepEqual(page.errors || [], []);

  const phone = await signIn(env.browser, env.server, USERS.sam, PHONE);
  await phone.page.goto('/admin/support/canned-responses');
  await cannedRow(phone.page, 'thanks').waitFor();
  await screenshot(phone.page, 'canned-responses-support-390');
  await phone.context.close();
  await sam.context.close();
});
