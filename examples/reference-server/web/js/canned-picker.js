// `/` in a staff composer: the canned responses the agent may use (shared ones and their
// own), searched by shortcut and title as they type; the chosen one is filled in for this
// ticket by the server (`{{employee.name}}`, `{{ticket.number}}`, `{{agent.name}}`) and put
// in the composer for editing before sending.

import { api } from './api.js';
import { Suggest, insertText } from './suggest.js';

const FRESH_MS = 60_000;
let cache = null;

/** The canned responses, read at most once a minute. */
async function responses() {
  if (!cache || Date.now() - cache.at > FRESH_MS) {
    cache = { at: Date.now(), list: api('GET', '/admin/support/canned-responses').then((r) => r.data) };
    cache.list.catch(() => { cache = null; });
  }
  return cache.list;
}

export function cannedSuggest(input, ticketId) {
  return new Suggest(input, {
    label: 'Canned responses',
    empty: 'No canned response matches. Manage them under Canned responses.',
    trigger: (before) => {
      const m = /(^|\s)(\/([a-z0-9_-]{0,32}))$/i.exec(before);
      return m ? { start: before.length - m[2].length, query: m[3].toLowerCase() } : null;
    },
    source: async (query) => {
      const list = await responses();
      const starts = (r) => r.shortcut.startsWith(query);
      return list
        .filter((r) => starts(r) || r.shortcut.includes(query) || r.title.toLowerCase().includes(query))
        .sort((a, b) => (starts(b) - starts(a)) || a.shortcut.localeCompare(b.shortcut))
        .slice(0, 10)
        .map((r) => ({ label: `/${r.shortcut}`, detail: r.shared ? r.title : `${r.title} (personal)`, value: r }));
    },
    pick: async (item, range) => {
      let body = item.value.body;
      try {
        ({ data: { body } } = await api('POST', `/admin/support/${ticketId}/canned-responses/${item.value.id}/render`));
      } catch {
        // Not filled in (offline, or gone): the text as written, variables and all, to edit.
      }
      insertText(input, range, body);
    },
  });
}
