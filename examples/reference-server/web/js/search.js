// Full-text search: the staff page (/admin/support/search, every ticket and message, notes
// included) and the employee portal's (/employee/portal/support/search, their own tickets).
// A hit's snippet arrives as plain text with `highlights`, [start, end) offsets in UTF-16
// code units, which is what JavaScript strings index by: the marks are <mark> elements built
// by h() around slices of the text, so user text only ever enters the DOM as text.

import { api, showErrors } from './api.js';
import { badge, h, replace } from './dom.js';

/** The snippet as nodes: text, and each highlighted range as a <mark> holding its text. */
export function highlighted(text, highlights) {
  const out = [];
  let at = 0;
  for (const [start, end] of highlights || []) {
    if (start < at || end <= start || end > text.length) continue;
    if (start > at) out.push(text.slice(at, start));
    out.push(h('mark', {}, text.slice(start, end)));
    at = end;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

/** The link of a hit: the ticket, and for a message the message in its thread. */
function hitLink(base, hit) {
  return hit.message_id ? `${base}/${hit.ticket.id}#message-${hit.message_id}` : `${base}/${hit.ticket.id}`;
}

function hitItem(base, hit) {
  const t = hit.ticket;
  const where = hit.message_id ? (hit.is_internal ? 'In an internal note' : 'In a message') : 'In the ticket';
  // Only staff searches find notes; the label is the one the thread shows on a note.
  const note = hit.is_internal ? [' ', h('span', { class: 'internal-label' }, 'Internal note')] : [];
  return h('li', { class: `search-hit${hit.is_internal ? ' internal' : ''}`, dataset: { ticket: t.id, message: hit.message_id ?? '' } },
    h('p', { class: 'hit-head' },
      h('a', { class: 'number', href: hitLink(base, hit) }, t.ticket_number), ' ',
      h('a', { class: 'subject', href: `${base}/${t.id}` }, t.subject), ' ',
      badge('status', t.status), ...note),
    h('p', { class: 'snippet' }, h('span', { class: 'where' }, where, ': '), highlighted(hit.snippet, hit.highlights)));
}

/** A search page over `endpoint`, linking hits to `base`/{ticket}. */
async function searchPage({ main, title, endpoint, base, hint }) {
  const params = new URLSearchParams(location.search);
  const input = h('input', { id: 'search-q', name: 'q', type: 'search', maxlength: 200, autocomplete: 'off', value: params.get('q') || '' });
  // Archived tickets (closed long ago) are searched on their own, when asked.
  const archived = h('input', { id: 'search-archived', name: 'archived', type: 'checkbox', checked: params.get('archived') === 'true' });
  const form = h('form', { class: 'filters search-form', role: 'search' },
    h('div', { class: 'field grow' }, h('label', { for: 'search-q' }, 'Search'), input,
      h('p', { class: 'field-error', 'data-error-for': 'q' })),
    h('div', { class: 'field check' }, archived, h('label', { for: 'search-archived' }, 'In the archive')),
    h('button', { type: 'submit' }, 'Search'),
    h('p', { class: 'form-error', role: 'alert' }));
  const summary = h('p', { class: 'search-summary', role: 'status', 'aria-live': 'polite' }, hint);
  const list = h('ol', { class: 'search-hits' });
  const more = h('button', { type: 'button', hidden: true }, 'More results');
  replace(main, h('h1', {}, title), form, summary, list, more);

  let cursor = null;
  let shown = 0;
  const load = async (q, append) => {
    const query = new URLSearchParams({ q });
    if (archived.checked) query.set('archived', 'true');
    if (append && cursor) query.set('cursor', cursor);
    try {
      const page = await api('GET', `${endpoint}?${query}`);
      if (!append) { replace(list); shown = 0; }
      list.append(...page.data.map((hit) => hitItem(base, hit)));
      shown += page.data.length;
      cursor = page.next_cursor;
      more.hidden = !cursor;
      const place = archived.checked ? ' in the archive' : '';
      summary.textContent = shown === 0 ? `Nothing${place} matches “${q}”.` : `${shown}${cursor ? '+' : ''} result${shown === 1 ? '' : 's'} for “${q}”${place}, best first.`;
      showErrors(form, null);
    } catch (e) {
      showErrors(form, e);
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = input.value.trim();
    const address = new URLSearchParams(q ? { q } : {});
    if (archived.checked) address.set('archived', 'true');
    history.replaceState(null, '', `${location.pathname}${address.size ? `?${address}` : ''}`);
    cursor = null;
    load(q, false);
  });
  more.addEventListener('click', () => load(input.value.trim(), true));
  if (input.value.trim()) await load(input.value.trim(), false);
  input.focus();
}

export function staffSearch({ main }) {
  return searchPage({
    main,
    title: 'Search',
    endpoint: '/admin/support/search',
    base: '/admin/support',
    hint: 'Words in subjects, descriptions, messages and internal notes. The last word may be cut short.',
  });
}

export function employeeSearch({ main }) {
  return searchPage({
    main,
    title: 'Search my tickets',
    endpoint: '/employee/portal/support/search',
    base: '/employee/portal/support',
    hint: 'Words in your tickets and their messages. The last word may be cut short.',
  });
}

/**
 * On a ticket page opened from a hit (`#message-N`): brings that message into view and marks
 * it, loading older history until it is there (a few pages at most).
 */
export async function revealLinkedMessage(main) {
  const m = /^#message-(\d+)$/.exec(location.hash);
  if (!m) return;
  for (let tries = 0; tries < 20; tries += 1) {
    const li = main.querySelector(`li.message[data-id="${m[1]}"]`);
    if (li) {
      li.classList.add('found');
      li.scrollIntoView({ block: 'center' });
      return;
    }
    const older = main.querySelector('.older-row button:not([disabled])');
    if (older && tries % 2 === 1) older.click();
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
