// The audit trail: each record as a sentence ("Sam Support set the status to Resolved",
// "Failed sign-in as nina@example.com: wrong password"), a ticket's History panel on its
// staff page, and the admins' Audit log page (filters, pages, CSV download). Drawn from
// /api/admin/support/{ticket}/history and /api/admin/support/audit; user text only as text.

import { api, showErrors } from './api.js';
import { h, LABELS, replace, time } from './dom.js';
import { download } from './download.js';

const BASE = '/admin/support';

/** The actions the log filter offers, by group, with their labels. */
const ACTIONS = [
  ['Tickets', [['ticket', 'Opened or changed'], ['message.posted', 'Message or note posted'],
    ['attachment.added', 'File attached'], ['reaction.added', 'Reaction added'],
    ['reaction.removed', 'Reaction removed'], ['transcript.exported', 'Transcript downloaded']]],
  ['Sign-in', [['auth.signed_in', 'Signed in'], ['auth.sign_in_failed', 'Failed sign-in'],
    ['auth.signed_out', 'Signed out']]],
  ['Accounts', [['user.created', 'User added'], ['user.updated', 'User changed'],
    ['token.created', 'API token made'], ['token.revoked', 'API token revoked']]],
];

const REASONS = {
  unknown_user: 'no such user', wrong_password: 'wrong password', disabled: 'account disabled',
  unknown_token: 'unknown token', invalid_token: 'invalid sign-in link',
};

function label(kind, value) {
  return LABELS[kind][value] || value;
}

/** What a record says happened, as text. `nameOf(id)` names a user (or null). */
export function describeRecord(r, nameOf = () => null) {
  const user = (id) => nameOf(id) || `user #${id}`;
  switch (r.action) {
    case 'ticket':
      switch (r.field) {
        case 'created': return `Opened the ticket (${label('priority', r.priority)} priority, ${label('category', r.category)})`;
        case 'status': return `Status: ${label('status', r.before)} → ${label('status', r.after)}`;
        case 'priority': return `Priority: ${label('priority', r.before)} → ${label('priority', r.after)}`;
        case 'assigned_to': return r.after == null ? 'Unassigned the ticket' : `Assigned the ticket to ${user(r.after)}`;
        default: return `Changed ${r.field}`;
      }
    case 'message.posted': return r.internal ? 'Added an internal note' : 'Posted a message';
    case 'attachment.added': return `Attached ${r.filename}`;
    case 'reaction.added': return `Reacted ${r.emoji}`;
    case 'reaction.removed': return `Took back the reaction ${r.emoji}`;
    case 'transcript.exported': return `Downloaded the transcript (${r.format}${r.internal ? ', with internal notes' : ''})`;
    case 'auth.signed_in': return `Signed in (${r.method})`;
    case 'auth.sign_in_failed': return `Failed sign-in (${r.method}): ${REASONS[r.reason] || r.reason}`;
    case 'auth.signed_out': return 'Signed out';
    case 'user.created': return `Added ${user(r.user_id)} as ${r.role}`;
    case 'user.updated': return `Changed ${user(r.user_id)}: ${(r.fields || []).join(', ')}`;
    case 'token.created': return `Made the API token “${r.name}” for ${user(r.user_id)}`;
    case 'token.revoked': return `Revoked API token #${r.token_id}`;
    default: return r.action;
  }
}

/** Who acted, as the log names them. */
function who(r) {
  if (r.actor_id == null) return h('span', { class: 'muted' }, r.actor_name || 'unknown');
  return r.actor_name;
}

/** The ticket's History: every record of the log on it, oldest first, loaded when opened. */
export function historyPanel(ticketId, nameOf) {
  const list = h('ol', { class: 'history' });
  const status = h('p', { class: 'muted', role: 'status' });
  const panel = h('details', { class: 'history-panel' }, h('summary', {}, 'History'), status, list);
  panel.addEventListener('toggle', async () => {
    if (!panel.open) return;
    replace(status, 'Loading…');
    try {
      const { data } = await api('GET', `${BASE}/${ticketId}/history`);
      replace(status, data.length ? '' : 'Nothing recorded yet.');
      replace(list, data.map((r) => h('li', { dataset: { action: r.action } },
        h('span', { class: 'when' }, time(r.at)), ' ',
        h('span', { class: 'actor' }, who(r)), ' ',
        h('span', { class: 'what' }, describeRecord(r, nameOf)),
        r.origin ? h('span', { class: 'origin muted' }, ` from ${r.origin}`) : null)));
    } catch (e) {
      replace(status, `The history could not be loaded: ${e.message}`);
    }
  });
  return panel;
}

function field(labelText, input) {
  return h('div', { class: 'field' }, h('label', { for: input.id }, labelText), input,
    h('p', { class: 'field-error', 'data-error-for': input.name }));
}

/** Admin/Support/Audit: the whole log, newest first, filtered, a page at a time, and as CSV. */
export async function auditLog({ main }) {
  const { data: people } = await api('GET', `${BASE}/users`);
  const names = new Map(people.map((u) => [u.id, u.full_name]));
  const nameOf = (id) => names.get(id) || null;
  const params = new URLSearchParams(location.search);
  const actor = h('select', { id: 'audit-actor', name: 'actor' },
    h('option', { value: '' }, 'Anyone'),
    people.map((u) => h('option', { value: u.id, selected: String(u.id) === params.get('actor') }, u.full_name)));
  const action = h('select', { id: 'audit-action', name: 'action' },
    h('option', { value: '' }, 'Any action'),
    ACTIONS.map(([group, items]) => h('optgroup', { label: group },
      items.map(([v, l]) => h('option', { value: v, selected: v === params.get('action') }, l)))));
  const ticket = h('input', { id: 'audit-ticket', name: 'ticket', inputmode: 'numeric', size: 8, value: params.get('ticket') || '', placeholder: 'any' });
  const from = h('input', { id: 'audit-from', name: 'from', type: 'date', value: params.get('from') || '' });
  const to = h('input', { id: 'audit-to', name: 'to', type: 'date', value: params.get('to') || '' });
  const form = h('form', { class: 'filters', 'aria-label': 'Filter the audit log' },
    field('Who', actor), field('Action', action), field('Ticket', ticket),
    field('From', from), field('To', to),
    h('button', { type: 'submit' }, 'Filter'),
    h('button', { type: 'button', class: 'alt', onclick: () => exportCsv() }, 'Download CSV'),
    h('p', { class: 'form-error', role: 'alert' }));
  const rows = h('tbody', {});
  const table = h('table', { class: 'tickets audit-log' },
    h('caption', { class: 'visually-hidden' }, 'Audit log, newest first'),
    h('thead', {}, h('tr', {}, ['When', 'Who', 'What', 'Ticket', 'From'].map((c) => h('th', { scope: 'col' }, c)))),
    rows);
  const more = h('button', { type: 'button', class: 'alt', hidden: true }, 'Load more');
  const status = h('p', { class: 'muted', role: 'status' });
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Audit log')),
    h('p', { class: 'muted' }, 'Every action recorded: ticket changes, messages and notes, files, reactions, transcript downloads, sign-ins and account changes. Newest first.'),
    form, status, h('div', { class: 'table-wrap' }, table), h('div', { class: 'pager' }, more));

  const query = () => {
    const q = new URLSearchParams();
    for (const el of [actor, action, ticket, from, to]) if (el.value.trim()) q.set(el.name, el.value.trim());
    return q;
  };
  const row = (r) => h('tr', { dataset: { action: r.action } },
    h('td', {}, time(r.at)),
    h('td', {}, who(r)),
    h('td', { class: 'subject' }, describeRecord(r, nameOf)),
    h('td', {}, r.ticket_id ? h('a', { href: `${BASE}/${r.ticket_id}` }, `#${r.ticket_id}`) : '—'),
    h('td', {}, r.origin || '—'));
  let cursor = null;
  const load = async (append) => {
    const q = query();
    q.set('limit', '50');
    if (append && cursor) q.set('cursor', cursor);
    try {
      const page = await api('GET', `${BASE}/audit?${q}`);
      showErrors(form, null);
      cursor = page.next_cursor;
      if (!append) replace(rows);
      rows.append(...page.data.map(row));
      more.hidden = !cursor;
      replace(status, rows.children.length ? '' : 'Nothing recorded matches these filters.');
    } catch (e) {
      showErrors(form, e);
    }
  };
  const exportCsv = async () => {
    const q = query();
    q.set('format', 'csv');
    try {
      await download(`${BASE}/audit?${q}`, 'audit-log.csv');
    } catch (e) {
      showErrors(form, e);
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    history.replaceState(null, '', `${location.pathname}?${query()}`);
    load(false);
  });
  more.addEventListener('click', () => load(true));
  await load(false);
}
