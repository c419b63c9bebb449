// The employee portal: Employee/Portal/Support/Index, Create and Show.

import { api, newKey, showErrors } from './api.js';
import { badge, h, LABELS, replace, select, ticketHead, time } from './dom.js';
import { echo } from './realtime.js';
import { ChatThread } from './chat.js';
import { transcriptMenu } from './transcript.js';
import { templatePicker } from './template-picker.js';

const BASE = '/employee/portal/support';

/** "2 new replies" beside a ticket with replies this employee has not read. */
function unreadMark(t) {
  const n = t.unread_count || 0;
  return n > 0 ? h('span', { class: 'unread', 'aria-label': n === 1 ? '1 new reply' : `${n} new replies` }, String(n)) : null;
}

function ticketRow(t) {
  const row = h('tr', { class: t.unread_count > 0 ? 'has-unread' : null, dataset: { ticket: t.id } },
    h('td', {}, h('a', { href: `${BASE}/${t.id}` }, t.ticket_number)),
    h('td', { class: 'subject' }, h('a', { href: `${BASE}/${t.id}` }, t.subject), unreadMark(t)),
    h('td', {}, LABELS.category[t.category] || t.category),
    h('td', { class: 'priority' }, badge('priority', t.priority)),
    h('td', { class: 'status' }, badge('status', t.status)),
    h('td', {}, time(t.updated_at)));
  return row;
}

/**
 * Employee/Portal/Support/Index: own tickets, latest activity first, status kept live; with
 * `?archived=true`, the archived ones (closed long ago, out of the everyday list).
 */
export async function index({ main }) {
  const archived = new URLSearchParams(location.search).get('archived') === 'true';
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'Show more');
  const empty = h('p', { class: 'empty', hidden: true },
    archived ? 'You have no archived tickets.' : 'You have no support tickets yet.');
  const other = archived
    ? h('a', { class: 'list-switch', href: BASE }, '← Current tickets')
    : h('a', { class: 'list-switch', href: `${BASE}?archived=true` }, 'Archived tickets');
  replace(main,
    h('div', { class: 'page-head' },
      h('h1', {}, archived ? 'Archived tickets' : 'My support tickets'),
      h('a', { class: 'button', href: `${BASE}/create` }, 'New ticket')),
    h('p', { class: 'list-switch-line' }, other),
    empty,
    h('table', { class: 'tickets' },
      h('caption', { class: 'visually-hidden' }, 'Your tickets'),
      h('thead', {}, h('tr', {}, ['Ticket', 'Subject', 'Category', 'Priority', 'Status', 'Updated'].map((c) => h('th', { scope: 'col' }, c)))),
      body),
    more);
  const table = main.querySelector('table');
  const show = (t, { first = false } = {}) => {
    if (body.querySelector(`tr[data-ticket="${t.id}"]`)) return;
    const row = ticketRow(t);
    if (first) body.prepend(row); else body.append(row);
    // Kept current: status changes, new replies (one more unread) and reads in another tab.
    let shown = t;
    const redraw = (next) => {
      shown = next;
      body.querySelector(`tr[data-ticket="${next.id}"]`)?.replaceWith(ticketRow(next));
    };
    echo.private(`support.ticket.${t.id}`)
      .listen('.ticket.updated', (d) => redraw({ ...d.ticket, unread_count: shown.unread_count }))
      .listen('.chat.message', (d) => {
        if (d.sender_type === 'support' && shown.unread_count !== undefined) redraw({ ...shown, unread_count: shown.unread_count + 1 });
      })
      .listen('.message.read', (d) => {
        if (d.reader_type === 'employee' && shown.unread_count) redraw({ ...shown, unread_count: 0 });
      });
    empty.hidden = true;
    table.hidden = false;
  };
  // A ticket started from the chat widget on this page.
  if (!archived) window.addEventListener('support:ticket-created', (e) => show(e.detail, { first: true }));
  let cursor = null;
  const load = async () => {
    const q = new URLSearchParams();
    if (archived) q.set('archived', 'true');
    if (cursor) q.set('cursor', cursor);
    const page = await api('GET', `${BASE}${q.size ? `?${q}` : ''}`);
    for (const t of page.data) show(t);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    empty.hidden = body.children.length > 0;
    table.hidden = body.children.length === 0;
  };
  more.addEventListener('click', load);
  await load();
}

function field(label, control, name) {
  control.id = control.id || `f-${name}`;
  control.name = name;
  return h('div', { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    h('p', { class: 'field-error', 'data-error-for': name, 'aria-live': 'polite' }));
}

/** Employee/Portal/Support/Create: subject, description, category and priority; when admins
 * keep ticket templates, "Start from a template" above fills them in. */
export async function create({ main }) {
  let key = newKey();
  const form = h('form', { class: 'stack', novalidate: true },
    field('Subject', h('input', { type: 'text', maxlength: 255, required: true, autocomplete: 'off' }), 'subject'),
    field('Description', h('textarea', { rows: 6, maxlength: 10000, required: true }), 'description'),
    h('div', { class: 'row' },
      field('Category', select('category', { value: 'it' }), 'category'),
      field('Priority', select('priority', { value: 'medium' }), 'priority')),
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit' }, 'Create ticket'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    const data = Object.fromEntries(new FormData(form));
    try {
      const { data: ticket } = await api('POST', BASE, data, { idempotencyKey: key });
      key = newKey();
      location.assign(`${BASE}/${ticket.id}`);
    } catch (err) {
      showErrors(form, err);
      button.disabled = false;
    }
  });
  const picker = await templatePicker({
    id: 'f-template',
    onPick: (t) => {
      if (!t) return;
      for (const name of ['subject', 'description', 'category', 'priority']) form.elements[name].value = t[name];
      showErrors(form, null);
    },
  });
  replace(main, h('h1', {}, 'New support ticket'), picker, form);
  (picker?.querySelector('select') || form.querySelector('input')).focus();
}

/** Employee/Portal/Support/Show: the ticket and its live chat. */
export async function show({ main, me, ticketId }) {
  const { data } = await api('GET', `${BASE}/${ticketId}`);
  const head = h('div', {}, ticketHead(data.ticket));
  const thread = new ChatThread({
    ticket: data.ticket, me, messages: data.messages, hasOlder: data.has_older,
    describe: true, employeeName: me.name, activity: data.activity, receipts: data.read_receipts,
    onTicket: (t) => replace(head, ticketHead(t)),
  });
  document.title = `${data.ticket.subject} · Support`;
  replace(main,
    h('div', { class: 'page-tools' }, h('a', { href: BASE }, '← My tickets'), transcriptMenu(`${BASE}/${ticketId}`)),
    head,
    thread.el);
}
