// Full-text search through the pages: staff search from the sidebar and find a subject, a
// public message and an internal note (badged as one), with the matched words drawn as <mark> elements and
// markup in the text shown as typed; a message hit opens the ticket at that message. The
// staff list's search box offers the same words over messages. An employee's portal search
// finds their own ticket's message and never the note or another employee's ticket.
// Desktop (1280) and phone (390) screenshots of both pages.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, screenshot, signIn } from './harness.js';

const env = fresh({ rateLimits: false });
const PHONE = { viewport: { width: 390, height: 844 } };

async function seed() {
  const s = env.server;
  const mk = async (user, subject, description) =>
    (await s.api(user, 'POST', '/employee/portal/support', { subject, description, category: 'it', priority: 'high' })).data;
  const vpn = await mk(USERS.alice, 'VPN drops every hour', 'Since Monday the VPN client disconnects at the top of every hour.');
  const printer = await mk(USERS.alice, 'Printer on floor 3 jams', 'The printer near the kitchen jams on every second page.');
  const bobs = await mk(USERS.bob, 'VPN certificate expired', 'My VPN certificate expired yesterday, please renew it.');
  const say = async (user, t, message) => (await s.api(user, 'POST', `/employee/portal/support/${t.id}/chat`, { message })).data;
  const note = async (t, content) => (await s.api(USERS.sam, 'POST', `/admin/support/${t.id}/comment`, { content, is_internal: true })).data;
  for (let i = 0; i < 12; i += 1) await say(USERS.alice, vpn, `Still happening, attempt ${i}: <b>ping</b> times out`);
  const reply = await say(USERS.alice, vpn, 'It drops when the VPN renews its lease, see <mark>this</mark> log line.');
  const secret = await note(vpn, 'Firewall rule 42 resets the VPN tunnel hourly; the quarantine list is why.');
  return { vpn, printer, bobs, reply, secret };
}

test('staff and employees search what they may see, matches marked as text', async () => {
  const { vpn, printer, bobs, reply, secret } = await seed();

  // Staff: from the sidebar to the search page.
  const staff = await signIn(env.browser, env.server, USERS.sam);
  const { page } = staff;
  await page.locator('aside.sidebar').getByRole('link', { name: 'Search' }).click();
  await page.waitForURL('**/admin/support/search');
  await page.getByRole('searchbox', { name: 'Search' }).fill('vpn');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const hits = page.locator('li.search-hit');
  await page.getByText(/results? for “vpn”/).waitFor();
  const tickets = await hits.evaluateAll((els) => els.map((e) => Number(e.dataset.ticket)));
  assert.ok(tickets.includes(vpn.id) && tickets.includes(bobs.id), `${tickets}`);
  assert.ok(!tickets.includes(printer.id));
  // Every mark holds a matched word, as text.
  const marks = await page.locator('li.search-hit mark').allTextContents();
  assert.ok(marks.length > 0 && marks.every((m) => m.toLowerCase().startsWith('vpn')), `${marks}`);

  // The note's word, for staff.
  await page.getByRole('searchbox', { name: 'Search' }).fill('quarantine');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const noteHit = page.locator(`li.search-hit[data-message="${secret.id}"]`);
  await noteHit.waitFor();
  assert.equal(await noteHit.locator('mark').textContent(), 'quarantine');
  // A note's hit says so; a public message's does not.
  assert.equal(await noteHit.locator('.internal-label').textContent(), 'Internal note');

  // Markup in a message stays text; the only marks are the matches.
  await page.getByRole('searchbox', { name: 'Search' }).fill('lease');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const replyHit = page.locator(`li.search-hit[data-message="${reply.id}"]`);
  await replyHit.waitFor();
  const snippet = replyHit.locator('.snippet');
  assert.match(await snippet.textContent(), /<mark>this<\/mark> log line/);
  assert.deepEqual(await snippet.locator('mark').allTextContents(), ['lease']);
  assert.equal(await snippet.locator('b').count(), 0);
  assert.equal(await replyHit.locator('.internal-label').count(), 0);
  await page.getByRole('searchbox', { name: 'Search' }).fill('vp');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByText(/results? for “vp”/).waitFor();
  await screenshot(page, 'search-staff-1280');

  // A message hit opens the ticket at that message, older than the first page of the thread.
  await page.getByRole('searchbox', { name: 'Search' }).fill('lease');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await replyHit.locator('a.number').click();
  await page.waitForURL(`**/admin/support/${vpn.id}#message-${reply.id}`);
  await page.locator(`li.message.found[data-id="${reply.id}"]`).waitFor();

  // The list's search box offers the same words over messages and notes.
  await page.goto(`${env.server.base}/admin/support?q=quarantine`);
  const link = page.getByRole('link', { name: /Search messages and notes for “quarantine” too/ });
  await link.click();
  await page.waitForURL('**/admin/support/search?q=quarantine');
  await noteHit.waitFor();

  // The phone width.
  const phone = await signIn(env.browser, env.server, USERS.sam, PHONE);
  await phone.page.goto(`${env.server.base}/admin/support/search?q=vpn`);
  await phone.page.locator('li.search-hit mark').first().waitFor();
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await screenshot(phone.page, 'search-staff-390');

  // Alice: the portal's search, her own ticket's message; no note, no Bob.
  const alice = await signIn(env.browser, env.server, USERS.alice);
  await alice.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Search' }).click();
  await alice.page.waitForURL('**/employee/portal/support/search');
  for (const q of ['quarantine', 'firewall', 'certificate']) {
    await alice.page.getByRole('searchbox', { name: 'Search' }).fill(q);
    await alice.page.getByRole('button', { name: 'Search', exact: true }).click();
    await alice.page.getByText(`Nothing matches “${q}”.`).waitFor();
  }
  await alice.page.getByRole('searchbox', { name: 'Search' }).fill('vpn');
  await alice.page.getByRole('button', { name: 'Search', exact: true }).click();
  await alice.page.getByText(/results? for “vpn”/).waitFor();
  const mine = await alice.page.locator('li.search-hit').evaluateAll((els) => els.map((e) => Number(e.dataset.ticket)));
  assert.ok(mine.length > 0 && mine.every((t) => t === vpn.id), `${mine}`);
  assert.ok(!(await alice.page.content()).includes('Firewall rule'));
  assert.equal(await alice.page.locator('li.search-hit .internal-label').count(), 0);
  await screenshot(alice.page, 'search-employee-1280');
  await alice.page.locator(`li.search-hit[data-message="${reply.id}"] a.number`).click();
  await alice.page.locator(`li.message.found[data-id="${reply.id}"]`).waitFor();

  const alicePhone = await signIn(env.browser, env.server, USERS.alice, PHONE);
  await alicePhone.page.goto(`${env.server.base}/employee/portal/support/search?q=print`);
  await alicePhone.page.locator(`li.search-hit[data-ticket="${printer.id}"] mark`).first().waitFor();
  await screenshot(alicePhone.page, 'search-employee-390');
});
