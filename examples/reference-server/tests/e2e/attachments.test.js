// Files as people use them: the employee pastes a screenshot into the chat on her phone and
// the agent sees its thumbnail arrive and opens it full size; the agent attaches a PDF by the
// button, which shows as a chip with name and size; the owner can download her file, another
// employee gets 404 for the same address; a file of a type not allowed is refused in the tray.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, live, screenshot, signIn } from './harness.js';

const env = fresh({ rateLimits: false });

// A 2×2 PNG (red, green, blue, white), as a screenshot tool would put on the clipboard.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';
const PDF = '%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n';

test('paste a screenshot, see the thumbnail on the other side, download as owner, 404 as another employee', async () => {
  const { data: ticket } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'Error dialog', description: 'A dialog pops up at login', category: 'it', priority: 'medium' });
  const alice = await signIn(env.browser, env.server, USERS.alice, { viewport: { width: 390, height: 844 } });
  await alice.page.goto(`/employee/portal/support/${ticket.id}`);
  await live(alice.page);
  const sam = await signIn(env.browser, env.server, USERS.sam);
  await sam.page.goto(`/admin/support/${ticket.id}`);
  await live(sam.page);

  // Paste: a real paste event carrying an image file.
  const box = alice.page.getByRole('textbox', { name: 'Message', exact: true });
  await box.fill('This is what I see');
  await box.evaluate((el, b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'screenshot.png', { type: 'image/png' }));
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, PNG);
  await alice.page.locator('.tray-item.ready', { hasText: 'screenshot.png' }).waitFor();
  assert.equal(await box.inputValue(), 'This is what I see', 'the paste added a file, not text');
  await screenshot(alice.page, 'attachments-tray-390');
  await alice.page.getByRole('button', { name: 'Send' }).click();

  const onSam = sam.page.locator('li.message', { hasText: 'This is what I see' });
  const thumb = onSam.locator('img.thumb-img');
  await thumb.waitFor();
  await sam.page.waitForFunction((el) => el.complete && el.naturalWidth === 2, await thumb.elementHandle());
  await screenshot(sam.page, 'attachments-thumbnail-1280');
  await onSam.getByRole('button', { name: /screenshot\.png/ }).click();
  await sam.page.locator('dialog.image-viewer[open] img').waitFor();
  await sam.page.keyboard.press('Escape');

  // The file's address: the owner gets the bytes, another employee gets 404.
  const { data: view } = await env.server.api(USERS.alice, 'GET', `/employee/portal/support/${ticket.id}`);
  const file = view.messages.find((m) => m.content === 'This is what I see').attachments[0];
  assert.equal(file.name, 'screenshot.png');
  const get = (user) => fetch(`${env.server.base}${file.url}`, { headers: { Authorization: `Bearer ${user.token}` } });
  const mine = await get(USERS.alice);
  assert.equal(mine.status, 200);
  assert.equal(mine.headers.get('content-type'), 'image/png');
  assert.deepEqual(Buffer.from(await mine.arrayBuffer()), Buffer.from(PNG, 'base64'));
  assert.equal((await get(USERS.bob)).status, 404);

  // A PDF by the button: a chip with its name and size on Alice's side.
  await sam.page.getByRole('textbox', { name: 'Message', exact: true }).fill('The guide is attached');
  await sam.page.locator('.composer input[type=file]').setInputFiles({ name: 'VPN guide.pdf', mimeType: 'application/pdf', buffer: Buffer.from(PDF) });
  await sam.page.locator('.tray-item.ready', { hasText: 'VPN guide.pdf' }).waitFor();
  await sam.page.getByRole('button', { name: 'Send' }).click();
  const chip = alice.page.locator('li.message', { hasText: 'The guide is attached' }).locator('.file-chip');
  await chip.waitFor();
  assert.match(await chip.textContent(), /VPN guide\.pdf.*\d+ bytes/);
  await screenshot(alice.page, 'attachments-chip-390');
  const [download] = await Promise.all([alice.page.waitForEvent('download'), chip.click()]);
  assert.equal(download.suggestedFilename(), 'VPN guide.pdf');

  // A type not allowed is refused in the tray, with the reason.
  await sam.page.locator('.composer input[type=file]').setInputFiles({ name: 'page.html', mimeType: 'text/html', buffer: Buffer.from('<html><script>alert(1)</script></html>') });
  await sam.page.locator('.tray-item.failed', { hasText: 'page.html' }).waitFor();
  await screenshot(sam.page, 'attachments-refused-1280');

  assert.deepEqual(alice.page.errors || [], []);
  assert.deepEqual(sam.page.errors || [], []);
  await alice.context.close();
  await sam.context.close();
});
