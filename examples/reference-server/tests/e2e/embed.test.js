// The embeddable widget: a plain page on another origin (a host application's portal, here a
// small Node server on localhost) includes /widget.js with a JWT it signed for its user; the
// user chats with a staff member who works on the helpdesk's own pages.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { USERS, launch, live, screenshot, signIn, startServer } from './harness.js';

const SECRET = 'the-host-apps-shared-secret-of-32-bytes-or-more';

/** An HS256 JWT, signed with node's own HMAC: the host application's side, not the server's. */
function jwt(claims) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

/** A host page: hostile styles for everything, the widget's one script tag, and a script that
 * tries to reach into the widget. */
function hostPage(server, token) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme portal</title>
<style>
  * { font-family: serif !important; color: rgb(200, 0, 0) !important; background: #fdf6e3 !important; }
  button { display: none !important; }
</style></head>
<body><h1>Acme employee portal</h1><p>Payslips, holidays and more.</p>
<script src="${server}/widget.js" data-token="${token}" async></script>
</body></html>`;
}

/** A site of its own: serves `page()` at `/`, on localhost (another origin than the helpdesk's
 * 127.0.0.1, and another site). */
async function site(page) {
  const http = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page());
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { http, origin: `http://localhost:${http.address().port}` };
}

const env = { server: null, browser: null, portal: null, other: null, token: '' };
const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  env.portal = await site(() => hostPage(env.server.base, env.token));
  env.other = await site(() => '<!doctype html><title>Elsewhere</title><p>Not allowed.</p>');
  env.server = await startServer({
    args: ['--allowed-origin', env.portal.origin, '--jwt-secret', SECRET],
  });
  env.browser = await launch();
});

after(async () => {
  await env.browser?.close();
  await env.server?.stop();
  env.portal?.http.close();
  env.other?.http.close();
});

const erin = { sub: 'acme-4711', name: 'Erin Embedded', role: 'employee', email: 'erin@acme.example' };

test('a page of another origin embeds the widget; its user chats live with staff', async () => {
  env.token = jwt({ ...erin, iat: now(), exp: now() + 600 });
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 860 } });
  const host = await context.newPage();
  host.on('pageerror', (e) => { host.errors = [...(host.errors || []), e]; });
  await host.goto(env.portal.origin);
  const widget = host.frameLocator('iframe[data-support-widget]');
  const launcher = widget.getByRole('button', { name: 'Chat with support' });
  await launcher.waitFor();

  // Isolated: the host page's styles do not reach it, and its scripts cannot read it.
  const color = await launcher.evaluate((b) => getComputedStyle(b).color);
  assert.notEqual(color, 'rgb(200, 0, 0)', 'the host page styled the widget');
  assert.equal(await host.evaluate(() => document.querySelector('iframe[data-support-widget]').contentDocument), null);
  assert.equal(await host.evaluate(() => document.querySelector('iframe[data-support-widget]').src.includes('#token=')), true);
  const frame = host.frames().find((f) => f.url().includes('/widget/frame'));
  assert.ok(frame, 'the widget frame');
  assert.equal(new URL(frame.url()).hash, '', 'the token is gone from the frame address');

  // Quick chat: the first message opens a ticket.
  await launcher.click();
  await widget.getByLabel('How can we help?').fill('My payslip for November is missing');
  await widget.getByRole('button', { name: 'Start chat' }).click();
  await widget.locator('li.message', { hasText: 'My payslip for November is missing' }).waitFor();
  const number = (await widget.locator('.widget-ticket').textContent()).split(':')[0];
  await screenshot(host, 'embed-widget-open');

  // Staff work from the helpdesk's own pages: the new ticket is there, from the new user.
  const staff = await signIn(env.browser, env.server, USERS.sam);
  await live(staff.page);
  const row = staff.page.locator('tr[data-ticket]', { hasText: 'My payslip for November is missing' });
  await row.waitFor();
  const ticketId = Number(await row.getAttribute('data-ticket'));
  await staff.page.goto(`/admin/support/${ticketId}/live-chat`);
  await live(staff.page);
  await staff.page.locator('li.message', { hasText: 'My payslip for November is missing' }).waitFor();
  await staff.page.getByText('Erin Embedded').first().waitFor();

  // Typing travels both ways, and the reply arrives live in the widget.
  const staffComposer = staff.page.getByRole('textbox', { name: 'Message', exact: true });
  await staffComposer.pressSequentially('Let me check');
  await widget.getByText('Support is typing…').waitFor();
  await staffComposer.fill('Found it: it is in your inbox now.');
  await staffComposer.press('Enter');
  await widget.locator('li.message', { hasText: 'Found it: it is in your inbox now.' }).waitFor();
  const widgetComposer = widget.getByRole('textbox', { name: 'Message', exact: true });
  await widgetComposer.pressSequentially('Thanks');
  await staff.page.getByText('Erin Embedded is typing…').waitFor();
  await widgetComposer.press('Enter');
  await staff.page.locator('li.message', { hasText: 'Thanks' }).waitFor();

  // Her tickets, inside the widget.
  await widget.getByRole('button', { name: 'My tickets' }).click();
  await widget.getByRole('button', { name: new RegExp(number) }).waitFor();
  await screenshot(host, 'embed-widget-tickets');

  // Closing it gives the host page its space back.
  await widget.getByRole('button', { name: 'Close chat' }).click();
  await launcher.waitFor();
  const box = await host.locator('iframe[data-support-widget]').boundingBox();
  assert.ok(box.width <= 240 && box.height <= 100, `closed frame ${JSON.stringify(box)}`);
  assert.deepEqual(host.errors || [], []);
  await staff.context.close();
  await context.close();
});

test('only the allowed origin may call the API across origins, and only it may frame the widget', async () => {
  const token = jwt({ ...erin, iat: now(), exp: now() + 600 });
  const context = await env.browser.newContext();
  const call = (page) => page.evaluate(async ([base, t]) => {
    try {
      const r = await fetch(`${base}/api/employee/portal/support`, { headers: { Authorization: `Bearer ${t}`, Accept: 'application/json' } });
      return r.status;
    } catch {
      return 'refused';
    }
  }, [env.server.base, token]);
  const allowed = await context.newPage();
  await allowed.goto(env.portal.origin);
  assert.equal(await call(allowed), 200);
  const other = await context.newPage();
  await other.goto(env.other.origin);
  assert.equal(await call(other), 'refused', 'the browser refuses the answer: no CORS for this origin');

  const res = await fetch(`${env.server.base}/widget/frame`);
  const policy = res.headers.get('content-security-policy');
  assert.match(policy, new RegExp(`frame-ancestors 'self' ${env.portal.origin}(;|$)`));
  assert.equal(res.headers.get('x-frame-options'), null);
  const page = await fetch(`${env.server.base}/login`);
  assert.match(page.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  await context.close();
});

test('on a phone the open widget takes the screen', async () => {
  env.token = jwt({ ...erin, iat: now(), exp: now() + 600 });
  const context = await env.browser.newContext({ viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true });
  const host = await context.newPage();
  await host.goto(env.portal.origin);
  const widget = host.frameLocator('iframe[data-support-widget]');
  await widget.getByRole('button', { name: 'Chat with support' }).click();
  await widget.getByLabel('How can we help?').waitFor();
  const box = await host.locator('iframe[data-support-widget]').boundingBox();
  assert.ok(box.width >= 389 && box.height >= 779, `open frame on a phone ${JSON.stringify(box)}`);
  await screenshot(host, 'embed-widget-phone');
  await context.close();
});

test('a bad token shows a clear message in the frame, not a broken widget', async () => {
  env.token = jwt({ ...erin, iat: now() - 7200, exp: now() - 3600 });
  const context = await env.browser.newContext();
  const host = await context.newPage();
  await host.goto(env.portal.origin);
  const widget = host.frameLocator('iframe[data-support-widget]');
  await widget.getByText('Support chat could not sign you in.').waitFor();
  await context.close();
});
