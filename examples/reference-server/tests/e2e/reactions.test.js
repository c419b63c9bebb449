// Reactions, emoji and transcripts as people use them: the agent reacts through the emoji
// picker and the employee sees the count move on her phone, adds hers (highlighted as her
// own) and takes it back; `:tada` completes to 🎉 in the composer; the composer's emoji
// button inserts one; each side downloads the transcript, the employee's without the note.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { USERS, fresh, live, screenshot, signIn } from './harness.js';

const env = fresh({ rateLimits: false });

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };

async function send(page, text) {
  await page.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('li.message:not(.pending)', { hasText: text }).waitFor();
}

/** Picks `emoji` in the open picker by searching for `query`. */
async function pick(page, query, emoji) {
  const picker = page.locator('emoji-picker');
  await picker.waitFor();
  await picker.locator('input[type="search"]').fill(query);
  // Each emoji's label starts with the emoji, as the picker's data writes it ("👍️, thumbs
  // up, +1", with U+FE0F: the server stores the fully-qualified "👍").
  await picker.locator(`button.emoji[aria-label^="${emoji}"]`).first().click();
  await picker.waitFor({ state: 'detached' });
}

const reaction = (li, emoji) => li.locator('button.reaction', { hasText: emoji });

test('react with the picker, see counts move on the other side, complete :shortcodes:, download transcripts', async () => {
  const { data: ticket } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'Badge reader', description: 'My badge stopped opening the door', category: 'facilities', priority: 'medium' });
  await env.server.api(USERS.sam, 'POST', `/admin/support/${ticket.id}/comment`,
    { content: 'Internal: the reader firmware is the suspect', is_internal: true });

  const alice = await signIn(env.browser, env.server, USERS.alice, { viewport: PHONE });
  await alice.page.goto(`/employee/portal/support/${ticket.id}`);
  await live(alice.page);
  await send(alice.page, 'It beeps red since this morning');

  const sam = await signIn(env.browser, env.server, USERS.sam, { viewport: DESKTOP });
  const served = await sam.page.goto(`/admin/support/${ticket.id}`);
  await live(sam.page);
  const onSam = sam.page.locator('li.message', { hasText: 'It beeps red' });
  await onSam.hover();
  await onSam.getByRole('button', { name: 'Add a reaction' }).click();
  await sam.page.locator('emoji-picker button.emoji[role=menuitem]').first().waitFor();
  await screenshot(sam.page, 'reactions-picker-1280');
  // The picker is drawn with its own styles: the page's policy allows its one style element
  // by hash, and that hash is the one of the picker shipped.
  const css = await sam.page.locator('emoji-picker').evaluate((el) => el.shadowRoot.querySelector('style').textContent);
  const hash = `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`;
  assert.ok(served.headers()['content-security-policy'].includes(hash), `the page's policy allows ${hash}`);
  const tabs = await sam.page.locator('emoji-picker').evaluate((el) => getComputedStyle(el.shadowRoot.querySelector('.tabpanel, [role=tabpanel]')).overflowY);
  assert.equal(tabs, 'auto', 'the picker is styled (its emoji scroll inside it)');
  await pick(sam.page, 'thumbs up', '👍');
  await reaction(onSam, '👍').locator('.reaction-count', { hasText: '1' }).waitFor();
  assert.equal(await reaction(onSam, '👍').getAttribute('aria-pressed'), 'true', 'his own is highlighted');

  // Alice sees it live, not as hers; she adds hers and both sides count two.
  const onAlice = alice.page.locator('li.message', { hasText: 'It beeps red' });
  await reaction(onAlice, '👍').locator('.reaction-count', { hasText: '1' }).waitFor();
  assert.equal(await reaction(onAlice, '👍').getAttribute('aria-pressed'), 'false');
  await reaction(onAlice, '👍').click();
  await reaction(onAlice, '👍').locator('.reaction-count', { hasText: '2' }).waitFor();
  assert.equal(await reaction(onAlice, '👍').getAttribute('aria-pressed'), 'true');
  await reaction(onSam, '👍').locator('.reaction-count', { hasText: '2' }).waitFor();
  await screenshot(alice.page, 'reactions-390');
  await screenshot(sam.page, 'reactions-1280');

  // The picker on a phone: a sheet along the bottom.
  await onAlice.getByRole('button', { name: 'Add a reaction' }).click();
  await alice.page.locator('emoji-picker button.emoji[role=menuitem]').first().waitFor();
  await screenshot(alice.page, 'reactions-picker-390');
  await alice.page.keyboard.press('Escape');
  await alice.page.locator('emoji-picker').waitFor({ state: 'detached' });

  // Taken back: one again on Sam's page.
  await reaction(onAlice, '👍').click();
  await reaction(onSam, '👍').locator('.reaction-count', { hasText: '1' }).waitFor();
  assert.equal(await reaction(onAlice, '👍').getAttribute('aria-pressed'), 'false');

  // The note's reaction never shows on Alice's page (she never has the note at all).
  const note = sam.page.locator('li.message.internal');
  await note.hover();
  await note.getByRole('button', { name: 'Add a reaction' }).click();
  await pick(sam.page, 'eyes', '👀');
  await reaction(note, '👀').waitFor();

  // `:tada` opens the emoji list; Enter inserts 🎉 without sending.
  const box = alice.page.getByRole('textbox', { name: 'Message', exact: true });
  await box.fill('');
  await box.pressSequentially('Thanks, fixed now :tada');
  const option = alice.page.getByRole('option', { name: /🎉/ });
  await option.waitFor();
  await screenshot(alice.page, 'emoji-shortcode-390');
  await box.press('Enter');
  assert.equal(await box.inputValue(), 'Thanks, fixed now 🎉');
  assert.equal(await alice.page.locator('li.message', { hasText: 'Thanks, fixed now' }).count(), 0, 'Enter picked, it did not send');
  await alice.page.getByRole('button', { name: 'Send' }).click();
  await sam.page.locator('li.message', { hasText: 'Thanks, fixed now 🎉' }).waitFor();
  assert.equal(await alice.page.locator('button.reaction', { hasText: '👀' }).count(), 0);

  // The composer's emoji button inserts at the caret.
  const samBox = sam.page.getByRole('textbox', { name: 'Message', exact: true });
  await samBox.fill('Glad it works ');
  await sam.page.getByRole('button', { name: 'Insert an emoji' }).click();
  await pick(sam.page, 'rocket', '🚀');
  assert.equal(await samBox.inputValue(), 'Glad it works 🚀');

  // Transcripts: each side downloads what it may see.
  const download = async (page, label) => {
    await page.getByText('Download transcript').click();
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: label }).click(),
    ]);
    return { name: file.suggestedFilename(), text: readFileSync(await file.path(), 'utf8') };
  };
  const mine = await download(alice.page, 'Plain text');
  assert.equal(mine.name, `ticket-${ticket.ticket_number}.txt`);
  assert.match(mine.text, /It beeps red since this morning/);
  assert.match(mine.text, /Thanks, fixed now 🎉/);
  assert.doesNotMatch(mine.text, /firmware/, "the employee's transcript has no internal note");
  const theirs = await download(sam.page, 'Printable page (HTML)');
  assert.equal(theirs.name, `ticket-${ticket.ticket_number}.html`);
  assert.match(theirs.text, /the reader firmware is the suspect/);

  assert.deepEqual(alice.page.errors || [], []);
  assert.deepEqual(sam.page.errors || [], []);
  await alice.context.close();
  await sam.context.close();
});
