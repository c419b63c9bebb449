// The UI ships pusher-js and laravel-echo as published: the embedded files must be byte for
// byte the builds of the versions pinned in package-lock.json.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const vendor = (f) => readFileSync(new URL(`../../web/vendor/${f}`, import.meta.url));
const pkg = (f) => readFileSync(new URL(`./node_modules/${f}`, import.meta.url));

test('web/vendor holds the pinned pusher-js and laravel-echo builds, with their licences', () => {
  const lock = JSON.parse(readFileSync(new URL('./package-lock.json', import.meta.url)));
  assert.equal(lock.packages['node_modules/pusher-js'].version, '8.6.0');
  assert.equal(lock.packages['node_modules/laravel-echo'].version, '2.5.0');
  assert.ok(vendor('pusher.min.js').equals(pkg('pusher-js/dist/web/pusher.min.js')));
  assert.ok(vendor('pusher.min.js.LICENSE.txt').equals(pkg('pusher-js/dist/web/pusher.min.js.LICENSE.txt')));
  assert.ok(vendor('pusher-js.LICENCE').equals(pkg('pusher-js/LICENCE')));
  assert.ok(vendor('echo.iife.js').equals(pkg('laravel-echo/dist/echo.iife.js')));
  assert.ok(vendor('laravel-echo.LICENSE.md').equals(pkg('laravel-echo/LICENSE.md')));
});

test('web/vendor holds the pinned emoji picker and its data, with their licences', () => {
  const lock = JSON.parse(readFileSync(new URL('./package-lock.json', import.meta.url)));
  assert.equal(lock.packages['node_modules/emoji-picker-element'].version, '1.29.1');
  assert.equal(lock.packages['node_modules/emoji-picker-element-data'].version, '1.8.0');
  for (const f of ['index.js', 'picker.js', 'database.js', 'LICENSE']) {
    assert.ok(vendor(`emoji-picker-element/${f}`).equals(pkg(`emoji-picker-element/${f}`)), f);
  }
  for (const f of ['en/emojibase/data.json', 'LICENSE']) {
    assert.ok(vendor(`emoji-picker-element-data/${f}`).equals(pkg(`emoji-picker-element-data/${f}`)), f);
  }
});

test('web/vendor holds the pinned uPlot build (ES module and stylesheet), with its licence', () => {
  const lock = JSON.parse(readFileSync(new URL('./package-lock.json', import.meta.url)));
  assert.equal(lock.packages['node_modules/uplot'].version, '1.6.32');
  assert.equal(lock.packages['node_modules/uplot'].license, 'MIT');
  for (const f of ['dist/uPlot.esm.js', 'dist/uPlot.min.css', 'LICENSE']) {
    const name = f.replace('dist/', '');
    assert.ok(vendor(`uplot/${name}`).equals(pkg(`uplot/${f}`)), f);
  }
});
