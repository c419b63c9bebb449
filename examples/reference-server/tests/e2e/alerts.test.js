// Alerts that reach someone busy elsewhere (alerts.js): a toast, a count in the title, a sound
// and, with the tab hidden, a desktop notification; each can be turned off, and the choice
// survives a reload. Staff hear of employee messages on any ticket, employees of staff replies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, live, screenshot, signIn } from './harness.js';

const env = fresh();

// Runs in the page before its scripts: counts every real start of a Web Audio oscillator (the
// only way the page makes its sound), records every Notification constructed, and lets the
// test say the tab is hidden or visible as the browser would (visibilityState, hidden, and
// the visibilitychange event).
function instrument() {
  window.chimes = 0;
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function counted(...args) {
    window.chimes += 1;
    return start.apply(this, args);
  };
  window.notes = [];
  if (window.Notification) {
    const Real = window.Notification;
    window.Notification = class extends Real {
      constructor(title, options) {
        super(title, options);
        window.notes.push({ title, body: options?.body });
      }
    };
  }
  window.setHidden = (hidden) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    document.dispatchEvent(new Event('visibilitychange'));
  };
}

/** Signs `user` in with notifications allowed and the page instrumented, at `path`. */
async function person(user, path, { viewport } = {}) {
  const p = await signIn(env.browser, env.server, user, { viewport });
  await p.context.grantPermissions(['notifications'], { origin: env.server.base });
  await p.context.addInitScript(instrument);
  await p.page.goto(path);
  await live(p.page);
  // A click on the page, as a person's first: browsers start sound only after one.
  await p.page.locator('main').click({ position: { x: 5, y: 5 } });
  return p;
}

const chimes = (page) => page.evaluate(() => window.chimes);
const notes = (page) => page.evaluate(() => window.notes);
const title = (page) => page.evaluate(() => document.title);
const setHidden = (page, hidden) => page.evaluate((h) => window.setHidden(h), hidden);
const waitTitle = (page, prefix) => page.waitForFunction((p) => document.title.startsWith(p), prefix);

async function setAlert(page, label, on) {
  const menu = page.locator('details.alert-settings');
  if (!(await menu.evaluate((d) => d.open))) await menu.locator('summary').click();
  await menu.getByLabel(label).setChecked(on);
  await menu.locator('summary').click();
}

test('staff: an employee message on any ticket toasts, counts, sounds and notifies; each can be turned off', async () => {
  const { api } = env.server;
  const { data: ticket } = await api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'Printer on fire', description: 'Smoke from tray 2', category: 'it', priority: 'high' });
  const { data: other } = await api(USERS.bob, 'POST', '/employee/portal/support',
    { subject: 'Badge not working', description: 'Door 3', category: 'facilities', priority: 'low' });

  const staff = await person(USERS.sam, '/admin/support/dashboard', { viewport: { width: 1280, height: 800 } });
  await staff.page.getByRole('heading', { name: 'Live support' }).waitFor();
  assert.equal(await staff.page.getByRole('button', { name: 'Enable desktop notifications' }).count(), 0,
    'allowed already: no button');
  const baseTitle = await title(staff.page);
  assert.equal(baseTitle, 'Live support · Support');

  // The employee writes on the ticket in their own browser.
  const emp = await signIn(env.browser, env.server, USERS.alice);
  await emp.page.goto(`/employee/portal/support/${ticket.id}`);
  await live(emp.page);
  const composer = emp.page.getByRole('textbox', { name: 'Message', exact: true });
  await composer.fill('It is getting worse');
  await composer.press('Enter');

  const toast = staff.page.locator('.toast', { hasText: 'Alice Employee on TKT-' });
  await toast.waitFor({ timeout: 2000 });
  assert.match(await toast.textContent(), /Printer on fire/);
  assert.match(await toast.textContent(), /It is getting worse/);
  await waitTitle(staff.page, '(1) ');
  assert.equal(await title(staff.page), `(1) ${baseTitle}`);
  assert.equal(await chimes(staff.page), 1, 'one sound');
  assert.deepEqual(await notes(staff.page), [], 'no desktop notification while the tab is visible');
  // Not covering the header's sign-out.
  const signOut = await staff.page.getByRole('button', { name: 'Sign out', exact: true }).boundingBox();
  const box = await toast.boundingBox();
  assert.ok(box.y >= signOut.y + signOut.height, 'the toast is below the header');
  await screenshot(staff.page, 'alerts-staff-toast');

  // The agent looks (focus returns to the tab): the count starts over.
  await staff.page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await staff.page.waitForFunction((t) => document.title === t, baseTitle);

  // Tab hidden: a desktop notification with the ticket's subject too.
  await setHidden(staff.page, true);
  await composer.fill('Now the fire alarm');
  await composer.press('Enter');
  await waitTitle(staff.page, '(1) ');
  await staff.page.waitForFunction(() => window.notes.length === 1);
  const [note] = await notes(staff.page);
  assert.match(note.title, /Printer on fire/);
  assert.match(note.body, /Now the fire alarm/);
  assert.equal(await chimes(staff.page), 2);
  await setHidden(staff.page, false);
  await staff.page.waitForFunction((t) => document.title === t, baseTitle);

  // Not for the agent's own messages; an internal note by another agent only toasts.
  await api(USERS.sam, 'POST', `/admin/support/${ticket.id}/comment`, { content: 'My own note', is_internal: true });
  await api(USERS.ada, 'POST', `/admin/support/${ticket.id}/comment`, { content: 'Called the fire brigade', is_internal: true });
  await staff.page.locator('.toast', { hasText: 'Internal note by Ada Admin' }).waitFor({ timeout: 2000 });
  await api(USERS.bob, 'POST', `/employee/portal/support/${other.id}/chat`, { message: 'Still locked out' });
  await staff.page.locator('.toast', { hasText: 'Still locked out' }).waitFor({ timeout: 2000 });
  assert.equal(await staff.page.locator('.toast', { hasText: 'My own note' }).count(), 0, 'own note: no alert');
  assert.equal(await chimes(staff.page), 3, 'the internal note made no sound; Bob\'s message did');
  await waitTitle(staff.page, '(1) ');

  // Clicking the toast opens the ticket's live chat.
  await staff.page.locator('.toast', { hasText: 'Still locked out' }).getByRole('link').click();
  await staff.page.waitForURL(`**/admin/support/${other.id}/live-chat`);
  await live(staff.page);
  await staff.page.locator('main').click({ position: { x: 5, y: 5 } });

  // The ticket on screen, tab visible: no alert for it; another ticket still alerts.
  await api(USERS.bob, 'POST', `/employee/portal/support/${other.id}/chat`, { message: 'Hello? (on screen)' });
  await staff.page.locator('li.message', { hasText: 'Hello? (on screen)' }).waitFor();
  await composer.fill('Third message');
  await composer.press('Enter');
  await staff.page.locator('.toast', { hasText: 'Third message' }).waitFor({ timeout: 2000 });
  assert.equal(await staff.page.locator('.toast', { hasText: 'on screen' }).count(), 0, 'the ticket on screen');
  assert.equal(await chimes(staff.page), 1);

  // Each kind turned off stops it, and the choice survives a reload.
  await staff.page.goto('/admin/support/dashboard');
  await live(staff.page);
  await setAlert(staff.page, 'Pop-up alerts', false);
  await setAlert(staff.page, 'Sound', false);
  await setAlert(staff.page, 'Desktop notifications', false);
  await staff.page.reload();
  await live(staff.page);
  await staff.page.locator('details.alert-settings summary').click();
  for (const label of ['Pop-up alerts', 'Sound', 'Desktop notifications']) {
    assert.equal(await staff.page.getByLabel(label).isChecked(), false, `${label} stays off`);
  }
  await screenshot(staff.page, 'alerts-staff-settings');
  await setHidden(staff.page, true);
  await composer.fill('Nobody hears this');
  await composer.press('Enter');
  await waitTitle(staff.page, '(1) ');
  await staff.page.waitForTimeout(300);
  assert.equal(await staff.page.locator('.toast').count(), 0, 'no toast');
  assert.equal(await chimes(staff.page), 0, 'no sound');
  assert.deepEqual(await notes(staff.page), [], 'no desktop notification');
  // On again: Sound alone comes back.
  await setHidden(staff.page, false);
  await setAlert(staff.page, 'Sound', true);
  await composer.fill('Sound is back');
  await composer.press('Enter');
  await staff.page.waitForFunction(() => window.chimes === 1);
  assert.equal(await staff.page.locator('.toast').count(), 0);

  await staff.context.close();
  await emp.context.close();
});

test('employee: a staff reply on another page of the portal alerts them', async () => {
  const { api } = env.server;
  const { data: ticket } = await api(USERS.bob, 'POST', '/employee/portal/support',
    { subject: 'VPN drops hourly', description: 'Since Monday', category: 'it', priority: 'medium' });
  const { data: second } = await api(USERS.bob, 'POST', '/employee/portal/support',
    { subject: 'Payslip question', description: 'March', category: 'payroll', priority: 'low' });

  const emp = await person(USERS.bob, '/employee/portal/support', { viewport: { width: 390, height: 844 } });
  await emp.page.locator('tr', { hasText: 'VPN drops hourly' }).waitFor();
  const baseTitle = await title(emp.page);

  await api(USERS.sam, 'POST', `/admin/support/${ticket.id}/chat`, { message: 'Try the new client' });
  const toast = emp.page.locator('.toast', { hasText: 'Sam Support replied on' });
  await toast.waitFor({ timeout: 2000 });
  assert.match(await toast.textContent(), /VPN drops hourly/);
  await waitTitle(emp.page, '(1) ');
  assert.equal(await chimes(emp.page), 1);
  const signOut = await emp.page.getByRole('button', { name: 'Sign out', exact: true }).boundingBox();
  const box = await toast.boundingBox();
  assert.ok(box.y >= signOut.y + signOut.height, 'the toast is below the header at phone width');
  await screenshot(emp.page, 'alerts-employee-toast-phone');

  // An internal note never reaches them; hidden tab: a desktop notification with the subject.
  await emp.page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await emp.page.waitForFunction((t) => document.title === t, baseTitle);
  await setHidden(emp.page, true);
  await api(USERS.sam, 'POST', `/admin/support/${ticket.id}/comment`, { content: 'secret note', is_internal: true });
  await api(USERS.sam, 'POST', `/admin/support/${second.id}/chat`, { message: 'It is on its way' });
  await emp.page.waitForFunction(() => window.notes.length === 1);
  const [note] = await notes(emp.page);
  assert.match(note.title, /Payslip question/);
  assert.equal(await emp.page.locator('.toast', { hasText: 'secret' }).count(), 0);
  assert.equal(await title(emp.page), `(1) ${baseTitle}`);
  await setHidden(emp.page, false);

  // Clicking the toast opens the ticket; on it, a reply alerts nothing (it is on screen).
  await emp.page.locator('.toast', { hasText: 'It is on its way' }).getByRole('link').click();
  await emp.page.waitForURL(`**/employee/portal/support/${second.id}`);
  await live(emp.page);
  await api(USERS.sam, 'POST', `/admin/support/${second.id}/chat`, { message: 'Here it is' });
  await emp.page.locator('li.message', { hasText: 'Here it is' }).waitFor();
  await api(USERS.sam, 'POST', `/admin/support/${ticket.id}/chat`, { message: 'Any better?' });
  await emp.page.locator('.toast', { hasText: 'Any better?' }).waitFor({ timeout: 2000 });
  assert.equal(await emp.page.locator('.toast', { hasText: 'Here it is' }).count(), 0);

  // Turned off, it stays off after a reload.
  await setAlert(emp.page, 'Pop-up alerts', false);
  await setAlert(emp.page, 'Sound', false);
  await emp.page.goto('/employee/portal/support/create');
  await live(emp.page);
  await emp.page.locator('details.alert-settings summary').click();
  assert.equal(await emp.page.getByLabel('Pop-up alerts').isChecked(), false);
  assert.equal(await emp.page.getByLabel('Sound').isChecked(), false);
  assert.equal(await emp.page.getByLabel('Desktop notifications').isChecked(), true);
  await screenshot(emp.page, 'alerts-employee-settings-phone');
  await emp.page.locator('details.alert-settings summary').click();
  await setHidden(emp.page, true);
  await api(USERS.sam, 'POST', `/admin/support/${ticket.id}/chat`, { message: 'Quietly' });
  await emp.page.waitForFunction(() => window.notes.length === 1);
  assert.equal(await emp.page.locator('.toast').count(), 0);
  assert.equal(await chimes(emp.page), 0);
  await emp.context.close();
});

test('staff: a new ticket alerts once, a quick chat (ticket and first message) too', async () => {
  const staff = await person(USERS.ada, '/admin/support', { viewport: { width: 1280, height: 800 } });
  const before = await chimes(staff.page);
  await env.server.api(USERS.alice, 'POST', '/employee/portal/support/quick-chat', { message: 'Quick: screen flickers' });
  await staff.page.locator('.toast', { hasText: /New ticket TKT-\d+ from Alice Employee/ }).waitFor({ timeout: 2000 });
  await env.server.api(USERS.bob, 'POST', '/employee/portal/support',
    { subject: 'Urgent: payroll missing', description: 'x', category: 'payroll', priority: 'urgent' });
  await staff.page.locator('.toast.urgent', { hasText: 'Urgent ticket' }).waitFor({ timeout: 2000 });
  assert.equal(await staff.page.locator('.toast').count(), 2, 'one toast per ticket');
  assert.equal(await chimes(staff.page), before + 2, 'one sound per ticket');
  assert.equal(await title(staff.page), '(2) All tickets · Support');
  await staff.context.close();
});

test('desktop notifications are asked for only on the button', async () => {
  const emp = await signIn(env.browser, env.server, USERS.alice);
  await emp.context.addInitScript(() => {
    window.asked = 0;
    const ask = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = (...a) => { window.asked += 1; return ask(...a); };
  });
  await emp.page.reload();
  await live(emp.page);
  await emp.page.waitForTimeout(300);
  assert.equal(await emp.page.evaluate(() => window.asked), 0, 'nothing asked on load');
  assert.equal(await emp.page.evaluate(() => Notification.permission), 'default');
  await emp.page.locator('details.alert-settings summary').click();
  await screenshot(emp.page, 'alerts-employee-settings');
  await emp.page.getByRole('button', { name: 'Enable desktop notifications' }).click();
  await emp.page.waitForFunction(() => window.asked === 1);
  await emp.context.close();
});
