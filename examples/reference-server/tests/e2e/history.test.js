// The planned message pagination of the Laravel helpdesk: a long thread opens at its newest messages and
// older ones load when scrolling up, each exactly once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, signIn } from './harness.js';

// The thread is seeded through the API faster than anyone types: no rate limits.
const env = fresh({ rateLimits: false });

test('scrolling up loads older messages until the first, none twice', async () => {
  const { data: t } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'Long story', description: 'Many messages', category: 'other', priority: 'low' });
  const total = 130;
  for (let i = 1; i <= total; i += 1) {
    const who = i % 2 ? USERS.alice : USERS.sam;
    const path = i % 2 ? `/employee/portal/support/${t.id}/chat` : `/admin/support/${t.id}/chat`;
    await env.server.api(who, 'POST', path, { message: `message number ${i}` });
  }
  const emp = await signIn(env.browser, env.server, USERS.alice);
  await emp.page.goto(`/employee/portal/support/${t.id}`);
  await emp.page.locator('li.message', { hasText: `message number ${total}` }).waitFor();
  const shownAtFirst = await emp.page.locator('li.message').count();
  assert.ok(shownAtFirst < total, `the page opened with all ${total} messages`);
  assert.equal(await emp.page.getByText('message number 1', { exact: true }).count(), 0);

  // Scroll to the top until the first message is there.
  for (let round = 0; round < 10; round += 1) {
    if (await emp.page.getByText('message number 1', { exact: true }).count()) break;
    const before = await emp.page.locator('li.message').count();
    await emp.page.locator('.scroller').evaluate((el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); });
    await emp.page.waitForFunction((n) => document.querySelectorAll('li.message').length > n, before);
  }
  const texts = await emp.page.locator('li.message .content').allTextContents();
  assert.deepEqual(texts, Array.from({ length: total }, (_, i) => `message number ${i + 1}`));
  await emp.page.locator('button.older').waitFor({ state: 'hidden' });
});
