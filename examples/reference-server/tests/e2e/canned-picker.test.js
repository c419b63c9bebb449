// `/` in the staff composer: the agent types `/vpn`, picks the shared canned response with the
// keyboard, and gets it filled in for this ticket (the employee's name, the ticket number, his
// own name) in the composer, to edit before sending; Escape closes the list without a change.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, live, screenshot, signIn } from './harness.js';

const env = fresh({ rateLimits: false });

test('a canned response inserted with /, filled in, edited, then sent', async () => {
  await env.server.api(USERS.ada, 'POST', '/admin/support/canned-responses', {
    shortcut: 'vpn-reset', title: 'VPN: reset the profile', shared: true,
    body: 'Hi {{employee.name}}, about {{ticket.number}}: please remove and re-add the VPN profile. {{agent.name}}',
  });
  await env.server.api(USERS.sam, 'POST', '/admin/support/canned-responses', {
    shortcut: 'thanks', title: 'Thanks for waiting', shared: false, body: 'Thanks for your patience!',
  });
  const { data: ticket } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject: 'VPN drops', description: 'Every hour', category: 'it', priority: 'high' });

  const sam = await signIn(env.browser, env.server, USERS.sam);
  await sam.page.goto(`/admin/support/${ticket.id}`);
  await live(sam.page);
  const box = sam.page.getByRole('textbox', { name: 'Message', exact: true });

  // Both are listed on `/`; typing narrows to the one asked for.
  await box.pressSequentially('/');
  const list = sam.page.getByRole('listbox', { name: 'Canned responses' });
  await list.getByRole('option').nth(1).waitFor();
  assert.deepEqual(await list.locator('.suggestion-label').allTextContents(), ['/thanks', '/vpn-reset']);
  await box.pressSequentially('vpn');
  await list.getByRole('option', { name: /vpn-reset/ }).waitFor();
  assert.equal(await list.getByRole('option').count(), 1);
  await screenshot(sam.page, 'canned-picker-1280');

  // Escape closes the list, the text stays; typing again reopens it; Enter picks.
  await box.press('Escape');
  await list.waitFor({ state: 'hidden' });
  assert.equal(await box.inputValue(), '/vpn');
  await box.pressSequentially('-');
  await list.getByRole('option', { name: /vpn-reset/ }).waitFor();
  await box.press('ArrowDown');
  await box.press('Enter');
  const filled = `Hi Alice Employee, about ${ticket.ticket_number}: please remove and re-add the VPN profile. Sam Support`;
  await sam.page.waitForFunction((want) => document.querySelector('.composer textarea').value === want, filled);
  assert.equal(await sam.page.locator('li.message', { hasText: 'VPN profile' }).count(), 0, 'inserted, not sent');

  // Edited, then sent as any reply.
  await box.press('End');
  await box.pressSequentially(' (takes a minute)');
  await sam.page.getByRole('button', { name: 'Send' }).click();
  await sam.page.locator('li.message:not(.pending)', { hasText: 'VPN profile. Sam Support (takes a minute)' }).waitFor();
  assert.deepEqual(sam.page.errors || [], []);
  await sam.context.close();
});
