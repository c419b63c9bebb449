// Emoji: the picker (the vendored emoji-picker-element, loaded on first use, with its data
// served by this server) and `:shortcode:` completion in composers from the same data.

import { h } from './dom.js';
import { Suggest, insertText } from './suggest.js';

const VENDOR = '/assets/vendor/emoji-picker-element/index.js';
const DATA = '/assets/vendor/emoji-picker-element-data/en/emojibase/data.json';

let loaded = null;
/** The library, imported once. */
function library() {
  loaded ??= import(VENDOR);
  return loaded;
}

let database = null;
async function db() {
  if (!database) {
    const { Database } = await library();
    database = new Database({ dataSource: DATA });
  }
  return database;
}

let openPicker = null;

/**
 * Opens the emoji picker beside `anchor` and calls `chosen(emoji)` with the one picked;
 * Escape, a click outside or a second click of the anchor closes it. It floats over the page
 * (no scrolling list clips it): below the anchor when there is room, else above; on a phone,
 * a sheet along the bottom of the screen.
 */
export async function pickEmoji(anchor, chosen) {
  if (openPicker) {
    const same = openPicker.anchor === anchor;
    openPicker.close();
    if (same) return;
  }
  await library();
  const picker = h('emoji-picker', { class: 'emoji-picker', 'data-source': DATA });
  picker.dataSource = DATA;
  const pop = h('div', { class: 'emoji-popover', role: 'dialog', 'aria-label': 'Choose an emoji' }, picker);
  const close = () => {
    pop.remove();
    document.removeEventListener('mousedown', outside, true);
    document.removeEventListener('keydown', escape, true);
    anchor.setAttribute('aria-expanded', 'false');
    if (openPicker?.pop === pop) openPicker = null;
  };
  const outside = (e) => { if (!pop.contains(e.target) && !anchor.contains(e.target)) close(); };
  const escape = (e) => { if (e.key === 'Escape') { e.preventDefault(); close(); anchor.focus(); } };
  picker.addEventListener('emoji-click', (e) => { close(); chosen(e.detail.unicode); });
  document.addEventListener('mousedown', outside, true);
  document.addEventListener('keydown', escape, true);
  document.body.append(pop);
  place(pop, anchor);
  anchor.setAttribute('aria-expanded', 'true');
  openPicker = { anchor, pop, close };
  // The search box, so typing a name finds the emoji at once.
  requestAnimationFrame(() => picker.shadowRoot?.querySelector('input')?.focus());
}

const WIDTH = 352;
const HEIGHT = 320;

function place(pop, anchor) {
  if (window.matchMedia('(max-width: 720px)').matches) return;
  const r = anchor.getBoundingClientRect();
  const below = window.innerHeight - r.bottom > HEIGHT + 8;
  pop.style.top = `${Math.max(8, below ? r.bottom + 4 : r.top - HEIGHT - 4)}px`;
  pop.style.left = `${Math.max(8, Math.min(r.left, window.innerWidth - WIDTH - 8))}px`;
}

/** `:smi` completion for a text box: the emoji whose shortcode starts with what was typed. */
export function shortcodes(input) {
  return new Suggest(input, {
    label: 'Emoji',
    trigger: (before) => {
      const m = /(^|[\s(])(:([a-z0-9_+-]{2,32}))$/i.exec(before);
      return m ? { start: before.length - m[2].length, query: m[3].toLowerCase() } : null;
    },
    source: async (query) => {
      const found = await (await db()).getEmojiBySearchQuery(query);
      const items = [];
      for (const e of found) {
        const code = (e.shortcodes || []).find((s) => s.startsWith(query));
        if (code && e.unicode) items.push({ label: e.unicode, detail: `:${code}:`, value: e.unicode, exact: code === query });
      }
      items.sort((a, b) => (b.exact - a.exact) || a.detail.length - b.detail.length);
      return items.slice(0, 8);
    },
    pick: (item, range) => insertText(input, range, item.value),
  });
}
