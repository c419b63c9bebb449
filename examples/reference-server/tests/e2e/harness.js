// Starts the real reference-server binary on a fresh SQLite file and drives Debian's
// Chromium with playwright-core, one browser context per person.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const USERS = {
  alice: { id: 101, name: 'Alice Employee', role: 'employee', token: 'alice-token-0123456789' },
  bob: { id: 102, name: 'Bob Employee', role: 'employee', token: 'bob-token-0123456789ab' },
  sam: { id: 201, name: 'Sam Support', role: 'support', token: 'sam-token-0123456789ab' },
  ada: { id: 202, name: 'Ada Admin', role: 'admin', token: 'ada-token-0123456789ab' },
};

const SERVER_BIN = process.env.SERVER_BIN || new URL('../../../../target/debug/reference-server', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOTS_DIR || new URL('../../../../target/screenshots', import.meta.url).pathname;

/** Starts a server. `demo: true` starts it without a users file (demo users);
 * `rateLimits: false` with `--no-rate-limits`, for a test that seeds data faster than a person
 * writes; `args`: more flags. */
export async function startServer({ demo = false, rateLimits = true, args: extra = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'support-e2e-'));
  const args = ['--bind', '127.0.0.1:0', '--database-url', `sqlite://${join(dir, 'support.db')}`, ...extra];
  if (!rateLimits) args.push('--no-rate-limits');
  if (!demo) {
    const toml = Object.values(USERS)
      .map((u) => `[[user]]\nid = ${u.id}\nname = "${u.name}"\nrole = "${u.role}"\ntoken = "${u.token}"\n`)
      .join('\n');
    writeFileSync(join(dir, 'users.toml'), toml);
    args.push('--users', join(dir, 'users.toml'));
  }
  const child = spawn(SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
  let output = '';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const m = output.match(/listening on (http:\/\/[0-9.:]+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${output}`)));
  });
  return {
    base,
    dir,
    output: () => output,
    /** Calls the JSON API with a bearer token, as an outside client would. */
    async api(user, method, path, body) {
      const res = await fetch(`${base}/api${path}`, {
        method,
        headers: { Authorization: `Bearer ${user.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = await res.json().catch(() => null);
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    /** Runs `reference-server ARGS --database-url <this server's database>`; its stdout. */
    command(...commandArgs) {
      return execFileSync(SERVER_BIN, [...commandArgs, '--database-url', `sqlite://${join(dir, 'support.db')}`],
        { env: { ...process.env, RUST_LOG: 'warn' }, encoding: 'utf8' });
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Launches headless Chromium with the flags this sandbox needs. */
export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A browser context signed in as `user` through the sign-in page's token form. */
export async function signIn(browser, server, user, { viewport } = {}) {
  const context = await browser.newContext({ baseURL: server.base, viewport: viewport || { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => { page.errors = [...(page.errors || []), e]; });
  await page.goto('/login');
  await page.getByLabel('Access token').fill(user.token);
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  return { context, page };
}

/** Waits until the page's realtime connection is up (the indicator says Live). */
export async function live(page) {
  await page.locator('.connection[data-state="connected"]').waitFor();
}

/** Saves a screenshot of `page` as `name`.png in target/screenshots (or SCREENSHOTS_DIR). */
export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

/** A server and a browser for one test file, started before its tests and stopped after:
 * `const env = fresh();` then `env.server`, `env.browser`. `options` go to `startServer`. */
export function fresh(options = {}) {
  const env = { server: null, browser: null };
  before(async () => { env.server = await startServer(options); env.browser = await launch(); });
  after(async () => { await env.browser?.close(); await env.server?.stop(); });
  return env;
}
