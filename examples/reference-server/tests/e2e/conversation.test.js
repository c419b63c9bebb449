// The conversation as people expect it: the full-screen live chat with a long thread, the
// phone's list → conversation, the description first, the note composer, links, the counter,
// the reopen notice and drafts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERS, fresh, live, screenshot, signIn } from './harness.js';

// Threads are seeded through the API faster than anyone types: no rate limits.
const env = fresh({ rateLimits: false });

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const composer = (page) => page.getByRole('textbox', { name: 'Message', exact: true });
const message = (page, text) => page.locator('li.message:not(.pending)', { hasText: text });

async function newTicket(subject, description = 'What happened, in a few words') {
  const { data } = await env.server.api(USERS.alice, 'POST', '/employee/portal/support',
    { subject, description, category: 'it', priority: 'medium' });
  return data;
}

const employeeSays = (t, text) => env.server.api(USERS.alice, 'POST', `/employee/portal/support/${t.id}/chat`, { message: text });
const staffSays = (t, text) => env.server.api(USERS.sam, 'POST', `/admin/support/${t.id}/chat`, { message: text });

/** The page itself does not scroll, and the composer is wholly on screen. */
async function fitsTheScreen(page) {
  const { overflow, composerBottom, height } = await page.evaluate(() => ({
    overflow: document.documentElement.scrollHeight - document.documentElement.clientHeight,
    composerBottom: [...document.querySelectorAll('form.composer')].find((f) => f.offsetParent)?.getBoundingClientRect().bottom,
    height: window.innerHeight,
  }));
  assert.ok(overflow <= 0, `the page scrolls by ${overflow}px`);
  assert.ok(composerBottom !== undefined && composerBottom <= height, `the composer ends at ${composerBottom}px of ${height}px`);
}

/** How far the visible thread is from its end, in px. */
const fromEnd = (page) => page.locator('.chat:visible .scroller').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);

/** From now on, `window.whispers` on `page` lists the data of every whisper it receives. */
const recordWhispers = (page) => page.evaluate(async () => {
  const { echo } = await import('/assets/js/realtime.js');
  window.whispers = [];
  echo.connector.pusher.connection.bind('message', (e) => {
    if (e.event.startsWith('client-')) window.whispers.push(e.data);
  });
});

test('live chat with 300 messages: opens at the newest, loads older without a jump, cues new ones', async () => {
  const t = await newTicket('A very long conversation');
  const total = 300;
  for (let i = 1; i <= total; i += 1) {
    if (i % 2) await employeeSays(t, `message number ${i}`);
    else await staffSays(t, `message number ${i}`);
  }
  const staff = await signIn(env.browser, env.server, USERS.sam, { viewport: DESKTOP });
  await staff.page.goto(`/admin/support/${t.id}/live-chat`);
  await live(staff.page);
  await message(staff.page, `message number ${total}`).waitFor();
  await staff.page.waitForFunction(() => {
    const s = document.querySelector('.chat .scroller');
    return s.scrollHeight - s.scrollTop - s.clientHeight < 2;
  });
  await fitsTheScreen(staff.page);
  assert.equal(await staff.page.getByText('message number 1', { exact: true }).count(), 0, 'the whole thread loaded at once');
  await screenshot(staff.page, 'conversation-live-chat-desktop');

  // Scroll to the top: older messages load above, and what was at the top stays put.
  const before = await staff.page.locator('.chat .scroller').evaluate((s) => {
    const first = s.querySelector('li.message');
    return { id: first.dataset.id, count: s.querySelectorAll('li.message').length };
  });
  const anchorTop = () => staff.page.locator('.chat .scroller').evaluate((s, id) => {
    const li = s.querySelector(`li.message[data-id="${id}"]`);
    return li.getBoundingClientRect().top - s.getBoundingClientRect().top;
  }, before.id);
  await staff.page.locator('.chat .scroller').evaluate((s) => { s.scrollTop = 0; });
  const atTop = await anchorTop();
  await staff.page.waitForFunction((n) => document.querySelectorAll('li.message').length > n, before.count);
  await staff.page.waitForTimeout(100);
  const afterLoad = await anchorTop();
  assert.ok(Math.abs(afterLoad - atTop) <= 2, `the thread jumped by ${afterLoad - atTop}px when older messages loaded`);
  assert.ok(await staff.page.locator('.chat .scroller').evaluate((s) => s.scrollTop) > 100, 'the view stayed at the top');
  const ids = await staff.page.locator('li.message').evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'messages out of order');
  assert.equal(new Set(ids).size, ids.length, 'a message shows twice');

  // Scrolled up, a new message does not pull the view down: a cue says it came.
  const cue = staff.page.getByRole('button', { name: 'New messages' });
  assert.equal(await cue.isVisible(), false);
  const scrolledAt = await staff.page.locator('.chat .scroller').evaluate((s) => s.scrollTop);
  await employeeSays(t, 'Are you still there?');
  await message(staff.page, 'Are you still there?').waitFor({ state: 'attached' });
  await cue.waitFor();
  assert.equal(await staff.page.locator('.chat .scroller').evaluate((s) => s.scrollTop), scrolledAt, 'the view moved');
  await screenshot(staff.page, 'conversation-new-messages-cue');
  await cue.click();
  await message(staff.page, 'Are you still there?').waitFor();
  assert.ok(await fromEnd(staff.page) < 2, 'the cue did not scroll to the end');
  await cue.waitFor({ state: 'hidden' });
  // At the end, the next message simply shows: no cue.
  await employeeSays(t, 'Hello?');
  await message(staff.page, 'Hello?').waitFor();
  await staff.page.waitForTimeout(200);
  assert.equal(await cue.isVisible(), false);
  assert.ok(await fromEnd(staff.page) < 2);
  await fitsTheScreen(staff.page);
  assert.deepEqual(staff.page.errors || [], []);
  await staff.context.close();
});

test('live chat on a phone: the list or the conversation, with a back button', async () => {
  const first = await newTicket('Phone layout first');
  const second = await newTicket('Phone layout second');
  await employeeSays(first, 'Hello from the first');
  await employeeSays(second, 'Hello from the second');
  const staff = await signIn(env.browser, env.server, USERS.sam, { viewport: PHONE });
  const list = staff.page.getByRole('navigation', { name: 'Active tickets' });
  const back = staff.page.getByRole('button', { name: '← Tickets' });
  await staff.page.goto(`/admin/support/${first.id}/live-chat`);
  await live(staff.page);
  await message(staff.page, 'Hello from the first').waitFor();
  assert.equal(await list.isVisible(), false, 'the list shows beside the conversation on a phone');
  await fitsTheScreen(staff.page);
  await screenshot(staff.page, 'conversation-phone-chat');

  await back.click();
  await list.waitFor();
  assert.equal(await composer(staff.page).isVisible(), false, 'the conversation still shows with the list');
  await screenshot(staff.page, 'conversation-phone-list');
  await list.getByRole('link', { name: /Phone layout second/ }).click();
  await message(staff.page, 'Hello from the second').waitFor();
  assert.equal(await list.isVisible(), false);
  await fitsTheScreen(staff.page);
  await composer(staff.page).fill('Answered from a phone');
  await staff.page.keyboard.press('Enter');
  await message(staff.page, 'Answered from a phone').waitFor();
  await back.click();
  await list.getByRole('link', { name: /Phone layout first/ }).click();
  await message(staff.page, 'Hello from the first').waitFor();
  // The browser's Back goes from the conversation to the list too, and Forward returns.
  await staff.page.goBack();
  await list.waitFor();
  assert.equal(await composer(staff.page).isVisible(), false);
  await staff.page.goForward();
  await message(staff.page, 'Hello from the first').waitFor();
  assert.equal(await list.isVisible(), false);
  assert.equal(new URL(staff.page.url()).pathname, `/admin/support/${first.id}/live-chat`);

  assert.deepEqual(staff.page.errors || [], []);
  await staff.context.close();
});

test('the description is the first item, and an empty thread says what to do', async () => {
  const t = await newTicket('Monitor flickers', 'The left monitor flickers every few seconds since Monday.');
  const emp = await signIn(env.browser, env.server, USERS.alice, { viewport: DESKTOP });
  await emp.page.goto(`/employee/portal/support/${t.id}`);
  await live(emp.page);
  const firstItem = (page) => page.locator('.messages > li.entry').first();
  const description = firstItem(emp.page);
  await description.waitFor();
  assert.match(await description.getAttribute('class'), /description-item/);
  assert.match(await description.textContent(), /Description/);
  assert.match(await description.textContent(), /The left monitor flickers every few seconds since Monday\./);
  assert.match(await description.textContent(), /Alice Employee/);
  const empty = emp.page.locator('.empty-thread');
  await empty.waitFor();
  assert.match(await empty.textContent(), /^No replies yet\. Write a message below/);
  await screenshot(emp.page, 'conversation-employee-empty');

  const staff = await signIn(env.browser, env.server, USERS.sam, { viewport: DESKTOP });
  for (const path of [`/admin/support/${t.id}`, `/admin/support/${t.id}/live-chat`]) {
    await staff.page.goto(path);
    await live(staff.page);
    const d = firstItem(staff.page);
    await d.waitFor();
    assert.match(await d.getAttribute('class'), /description-item/);
    assert.match(await d.textContent(), /Alice Employee.*Description.*The left monitor flickers/);
    assert.match(await staff.page.locator('.empty-thread').textContent(), /^No messages yet\. Write the first reply below/);
  }

  // The first message: the empty state goes, the description stays first.
  await composer(emp.page).fill('It happens on battery too.');
  await emp.page.keyboard.press('Enter');
  await message(staff.page, 'It happens on battery too.').waitFor();
  await message(emp.page, 'It happens on battery too.').waitFor();
  await empty.waitFor({ state: 'hidden' });
  await staff.page.locator('.empty-thread').waitFor({ state: 'hidden' });
  const order = await emp.page.locator('.messages > li.entry').evaluateAll((lis) => lis.map((li) => li.className.includes('description-item') ? 'description' : li.querySelector('.content').textContent));
  assert.deepEqual(order, ['description', 'It happens on battery too.']);
  // A day separator heads the day, and times read relatively with the full date on hover.
  assert.equal(await emp.page.locator('.messages > li').first().textContent(), 'Today');
  const when = message(emp.page, 'It happens on battery too.').locator('time');
  assert.match(await when.textContent(), /^(just now|1 min ago)$/);
  assert.match(await when.getAttribute('title'), new RegExp(String(new Date().getFullYear())));
  await screenshot(emp.page, 'conversation-employee-description');
  const phone = await emp.context.newPage();
  await phone.setViewportSize(PHONE);
  await phone.goto(`/employee/portal/support/${t.id}`);
  await message(phone, 'It happens on battery too.').waitFor();
  await screenshot(phone, 'conversation-employee-phone');
  await emp.context.close();
  await staff.context.close();
});

test('times and day separators read as people say them', async () => {
  const emp = await signIn(env.browser, env.server, USERS.alice);
  const r = await emp.page.evaluate(async () => {
    const { agoText, dayLabel } = await import('/assets/js/dom.js');
    const now = new Date(2026, 11, 2, 10, 0);
    return {
      seconds: agoText(new Date(2026, 11, 2, 9, 59, 40), now),
      minutes: agoText(new Date(2026, 11, 2, 9, 58), now),
      today: agoText(new Date(2026, 11, 2, 7, 5), now),
      yesterday: agoText(new Date(2026, 11, 1, 14, 3), now),
      older: agoText(new Date(2026, 10, 30, 14, 3), now),
      days: [dayLabel(new Date(2026, 11, 2), now), dayLabel(new Date(2026, 11, 1), now), dayLabel(new Date(2026, 10, 30), now), dayLabel(new Date(2025, 10, 30), now)],
    };
  });
  assert.deepEqual(r, {
    seconds: 'just now', minutes: '2 min ago', today: '07:05', yesterday: 'yesterday 14:03', older: 'Mon 30 Nov 14:03',
    days: ['Today', 'Yesterday', 'Mon 30 Nov', 'Sun 30 Nov 2025'],
  });
  await emp.context.close();
});

test('times age while the page stays open: "2 min ago", then the day turns "Yesterday"', async () => {
  const t = await newTicket('Ageing');
  await employeeSays(t, 'Posted a moment ago');
  const emp = await signIn(env.browser, env.server, USERS.alice);
  const page = await emp.context.newPage();
  await page.clock.install();
  await page.goto(`/employee/portal/support/${t.id}`);
  const when = message(page, 'Posted a moment ago').locator('time');
  await when.waitFor();
  assert.equal(await when.textContent(), 'just now');
  const title = await when.getAttribute('title');
  await page.clock.fastForward('02:05');
  await page.waitForFunction(() => document.querySelector('li.message time').textContent === '2 min ago');
  assert.equal(await when.getAttribute('title'), title, 'the full date changed');
  await page.clock.fastForward('24:00:00');
  await page.locator('.day-separator', { hasText: 'Yesterday' }).first().waitFor();
  assert.match(await when.textContent(), /^yesterday \d\d:\d\d$/);
  await emp.context.close();
});

test('a note written in note mode is internal, looks it, and whispers nothing to the employee', async () => {
  const t = await newTicket('Needs a note');
  const emp = await signIn(env.browser, env.server, USERS.alice);
  await emp.page.goto(`/employee/portal/support/${t.id}`);
  await live(emp.page);
  const staff = await signIn(env.browser, env.server, USERS.sam, { viewport: DESKTOP });
  await staff.page.goto(`/admin/support/${t.id}`);
  await live(staff.page);
  // The employee has no note mode.
  assert.equal(await emp.page.getByRole('tab').count(), 0);
  assert.equal(await staff.page.getByLabel('Internal note').count(), 0, 'the old checkbox is still there');

  await recordWhispers(emp.page);
  const noteTab = staff.page.getByRole('tab', { name: 'Note' });
  await noteTab.click();
  assert.equal(await noteTab.getAttribute('aria-selected'), 'true');
  assert.equal(await staff.page.getByRole('button', { name: 'Send' }).count(), 0);
  const form = staff.page.locator('form.composer');
  const noteYellow = await staff.page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--internal').trim());
  assert.equal(noteYellow, '#fff6d6');
  assert.equal(await form.evaluate((f) => getComputedStyle(f).backgroundColor), 'rgb(255, 246, 214)', 'the note box is not the yellow of notes');
  await composer(staff.page).pressSequentially('Her laptop is on the recall list', { delay: 30 });
  await screenshot(staff.page, 'conversation-note-mode');
  await staff.page.getByRole('button', { name: 'Add note' }).click();
  const note = staff.page.locator('li.message.internal:not(.pending)', { hasText: 'recall list' });
  await note.waitFor();
  const { data } = await env.server.api(USERS.sam, 'GET', `/admin/support/${t.id}`);
  assert.deepEqual(data.messages.map((m) => [m.content, m.is_internal]), [['Her laptop is on the recall list', true]]);
  await emp.page.waitForTimeout(500);
  assert.deepEqual(await emp.page.evaluate(() => window.whispers), [], 'typing a note was whispered to the employee');
  assert.equal(await emp.page.locator('.typing.shown').count(), 0);
  assert.equal(await emp.page.getByText('recall list').count(), 0);

  // Back in reply mode, typing is whispered and the reply is public.
  await staff.page.getByRole('tab', { name: 'Reply' }).click();
  await composer(staff.page).pressSequentially('We will swap it', { delay: 30 });
  await emp.page.getByText('Sam Support is typing…').or(emp.page.getByText('Support is typing…')).first().waitFor();
  await staff.page.getByRole('button', { name: 'Send' }).click();
  await message(emp.page, 'We will swap it').waitFor();
  await emp.page.reload();
  await message(emp.page, 'We will swap it').waitFor();
  assert.equal(await emp.page.getByText('recall list').count(), 0, 'the note is on the employee page');
  await emp.context.close();
  await staff.context.close();
});

test('links: http and https become safe links, nothing else does', async () => {
  const emp = await signIn(env.browser, env.server, USERS.alice);
  const cases = await emp.page.evaluate(async () => {
    const { linkify } = await import('/assets/js/dom.js');
    const inputs = [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(document.cookie)',
      '<a href="javascript:alert(2)">click</a>',
      '<img src=x onerror=alert(3)>',
      'data:text/html,<script>alert(4)</script>',
      'vbscript:msgbox ftp://example.com file:///etc/passwd mailto:a@b.c',
      'xhttps://example.com',
      'http://',
      'https://example.com/<script>alert(5)</script>',
      'https://example.com"onmouseover="alert(6)',
      'see https://example.com/a?b=1&c=2#d, then (https://en.wikipedia.org/wiki/Rust_(language)).',
      'http://localhost:8080/path and https://example.org.',
    ];
    return inputs.map((input) => {
      const nodes = linkify(input);
      const box = document.createElement('p');
      box.append(...nodes);
      return {
        input,
        text: box.textContent,
        kinds: nodes.map((n) => (n.nodeType === Node.TEXT_NODE ? 'text' : n.tagName)),
        elements: box.querySelectorAll('*').length,
        links: [...box.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), text: a.textContent, rel: a.rel, target: a.target })),
      };
    });
  });
  for (const c of cases) {
    assert.equal(c.text, c.input, `the text changed: ${c.input}`);
    assert.equal(c.elements, c.links.length, `an element other than a link: ${c.input}`);
    for (const l of c.links) {
      assert.match(l.href, /^https?:\/\//, c.input);
      assert.equal(l.rel, 'noopener noreferrer');
      assert.equal(l.target, '_blank');
    }
  }
  const links = Object.fromEntries(cases.map((c) => [c.input, c.links.map((l) => l.text)]));
  for (const input of cases.slice(0, 8).map((c) => c.input)) assert.deepEqual(links[input], [], input);
  assert.deepEqual(links['https://example.com/<script>alert(5)</script>'], ['https://example.com/']);
  assert.deepEqual(links['https://example.com"onmouseover="alert(6)'], ['https://example.com']);
  assert.deepEqual(links['see https://example.com/a?b=1&c=2#d, then (https://en.wikipedia.org/wiki/Rust_(language)).'],
    ['https://example.com/a?b=1&c=2#d', 'https://en.wikipedia.org/wiki/Rust_(language)']);
  assert.deepEqual(links['http://localhost:8080/path and https://example.org.'], ['http://localhost:8080/path', 'https://example.org']);

  // In a real thread, seen by the other side.
  const t = await newTicket('Links');
  const text = 'Docs at https://example.com/help?x=1 but not javascript:alert(1) nor <a href="javascript:alert(2)">this</a>';
  await employeeSays(t, text);
  const staff = await signIn(env.browser, env.server, USERS.sam);
  await staff.page.goto(`/admin/support/${t.id}`);
  const li = message(staff.page, 'Docs at');
  await li.waitFor();
  assert.equal(await li.locator('.content').textContent(), text);
  const hrefs = await li.locator('a').evaluateAll((as) => as.map((a) => [a.href, a.rel, a.target]));
  assert.deepEqual(hrefs, [['https://example.com/help?x=1', 'noopener noreferrer', '_blank']]);
  await emp.context.close();
  await staff.context.close();
});

test('the counter shows near the limit, and a paste over it is said, not cut', async () => {
  const t = await newTicket('Long text');
  const emp = await signIn(env.browser, env.server, USERS.alice, { viewport: DESKTOP });
  await emp.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await emp.page.goto(`/employee/portal/support/${t.id}`);
  await live(emp.page);
  const counter = emp.page.locator('.counter');
  await composer(emp.page).fill('a'.repeat(1799));
  assert.equal(await counter.isVisible(), false, 'the counter shows far from the limit');
  await composer(emp.page).fill('a'.repeat(1950));
  assert.equal(await counter.textContent(), '1,950 / 2,000');
  await screenshot(emp.page, 'conversation-counter');

  await composer(emp.page).fill('');
  await emp.page.evaluate((n) => navigator.clipboard.writeText('b'.repeat(n)), 2100);
  await composer(emp.page).focus();
  await emp.page.keyboard.press('Control+V');
  assert.equal((await composer(emp.page).inputValue()).length, 2100, 'the paste was cut');
  await emp.page.getByRole('alert').filter({ hasText: 'the limit is 2,000' }).waitFor();
  assert.match(await counter.textContent(), /^2,100 \/ 2,000: 100 too many$/);
  await screenshot(emp.page, 'conversation-paste-over-limit');
  await emp.page.keyboard.press('Enter');
  await emp.page.getByRole('alert').filter({ hasText: '100 characters too long' }).waitFor();
  assert.equal(await emp.page.locator('li.message').count(), 0, 'a message over the limit was sent');
  // Shortened, it goes.
  await composer(emp.page).fill('b'.repeat(2000));
  await emp.page.keyboard.press('Enter');
  await message(emp.page, 'bbbb').waitFor();
  const { data } = await env.server.api(USERS.alice, 'GET', `/employee/portal/support/${t.id}`);
  assert.equal(data.messages[0].content.length, 2000);
  await emp.context.close();
});

test('the employee is told that replying reopens a resolved or closed ticket', async () => {
  const t = await newTicket('Reopen me');
  const emp = await signIn(env.browser, env.server, USERS.alice, { viewport: DESKTOP });
  await emp.page.goto(`/employee/portal/support/${t.id}`);
  await live(emp.page);
  const notice = emp.page.getByText('This ticket is resolved. Replying will reopen it.');
  assert.equal(await notice.count(), 0);
  await env.server.api(USERS.sam, 'PATCH', `/admin/support/${t.id}`, { status: 'resolved' });
  await notice.waitFor();
  await screenshot(emp.page, 'conversation-reopen-notice');
  // The notice follows the ticket live (reopening itself is the server's: the spec's "Read
  // state and receipts"); a reply can still be sent.
  await composer(emp.page).fill('Sorry, it is back');
  await emp.page.keyboard.press('Enter');
  await message(emp.page, 'Sorry, it is back').waitFor();
  await env.server.api(USERS.sam, 'PATCH', `/admin/support/${t.id}`, { status: 'open' });
  await notice.waitFor({ state: 'hidden' });
  await emp.page.locator('.ticket-head .badge', { hasText: 'Open' }).waitFor();
  // Closed, on a fresh load.
  await env.server.api(USERS.sam, 'PATCH', `/admin/support/${t.id}`, { status: 'closed' });
  await emp.page.reload();
  await emp.page.getByText('This ticket is closed. Replying will reopen it.').waitFor();
  // Staff are not warned: they reply without reopening.
  const staff = await signIn(env.browser, env.server, USERS.sam);
  await staff.page.goto(`/admin/support/${t.id}`);
  await composer(staff.page).waitFor();
  assert.equal(await staff.page.locator('.reopen-notice:visible').count(), 0);
  await emp.context.close();
  await staff.context.close();
});

test('a draft survives a reload, per user and ticket, and goes when sent', async () => {
  const t = await newTicket('Drafts');
  const other = await newTicket('Other drafts');
  const emp = await signIn(env.browser, env.server, USERS.alice);
  await emp.page.goto(`/employee/portal/support/${t.id}`);
  await live(emp.page);
  await composer(emp.page).pressSequentially('Half a thought', { delay: 10 });
  await emp.page.reload();
  await live(emp.page);
  assert.equal(await composer(emp.page).inputValue(), 'Half a thought');
  await emp.page.goto(`/employee/portal/support/${other.id}`);
  assert.equal(await composer(emp.page).inputValue(), '', 'the draft leaked to another ticket');
  await emp.page.goto(`/employee/portal/support/${t.id}`);
  await live(emp.page);
  await composer(emp.page).pressSequentially(', finished.');
  await emp.page.keyboard.press('Enter');
  await message(emp.page, 'Half a thought, finished.').waitFor();
  await emp.page.reload();
  await message(emp.page, 'Half a thought, finished.').waitFor();
  assert.equal(await composer(emp.page).inputValue(), '');

  // A note's draft comes back as a note.
  const staff = await signIn(env.browser, env.server, USERS.sam);
  await staff.page.goto(`/admin/support/${t.id}`);
  await staff.page.getByRole('tab', { name: 'Note' }).click();
  await composer(staff.page).fill('Private draft');
  await staff.page.goto(`/admin/support/${t.id}/live-chat`);
  assert.equal(await composer(staff.page).inputValue(), 'Private draft');
  assert.equal(await staff.page.getByRole('tab', { name: 'Note' }).getAttribute('aria-selected'), 'true');
  await staff.page.getByRole('button', { name: 'Add note' }).waitFor();
  await emp.context.close();
  await staff.context.close();
});
