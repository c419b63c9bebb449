// The staff side: Admin/Support/Dashboard, Index, Show and LiveChat.

import { api, ApiError, failureNotice, newKey, showErrors } from './api.js';
import { badge, h, LABELS, replace, select, ticketHead, time, waiting } from './dom.js';
import { echo } from './realtime.js';
import { ChatThread } from './chat.js';
import { conflictPanel } from './conflict.js';
import { StaffPresence } from './presence.js';
import { storage } from './storage.js';
import { transcriptMenu } from './transcript.js';
import { historyPanel } from './audit.js';
import { markBreached, slaClock } from './sla.js';

const BASE = '/admin/support';

let usersPromise = null;
/** Every user by id (names on lists, the assignment menu). */
function users() {
  usersPromise ||= api('GET', `${BASE}/users`).then(({ data }) => new Map(data.map((u) => [u.id, u])))
    .catch((e) => { usersPromise = null; throw e; });
  return usersPromise;
}

function nameOf(people, id) {
  return id == null ? '—' : people.get(id)?.full_name || `#${id}`;
}

/** Runs `fn` once after a burst of calls: events often come in threes (ticket, stats, message). */
function debounce(fn, ms = 150) {
  let timer = null;
  return () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
}

function adminChannel() {
  return echo.private('support.admin');
}

/** The unread count of a ticket for this user, as a badge (nothing when none or unknown). */
function unreadBadge(t) {
  const n = t.unread_count || 0;
  return n > 0 ? h('span', { class: 'unread', 'aria-label': n === 1 ? '1 unread message' : `${n} unread messages` }, String(n)) : null;
}

/** The latest message in one line (the list cuts it with an ellipsis), with who wrote it;
 * the description while there is no message yet. */
function preview(t) {
  const m = t.last_message;
  const text = m?.content || (m ? '' : t.description);
  if (!text) return null;
  return h('span', { class: 'preview', title: text }, m?.author_type === 'support' ? 'Support: ' : '', text);
}

function ticketRow(t, people, { liveChat = true, sla = false } = {}) {
  return h('tr', { class: [t.priority === 'urgent' ? 'urgent' : '', t.unread_count > 0 ? 'has-unread' : ''].join(' ').trim(), dataset: { ticket: t.id } },
    h('td', {}, h('a', { href: `${BASE}/${t.id}` }, t.ticket_number)),
    h('td', { class: 'subject' },
      h('span', { class: 'subject-line' }, h('a', { href: `${BASE}/${t.id}` }, t.subject), unreadBadge(t)),
      preview(t),
      waiting(t.waiting_since)),
    h('td', {}, nameOf(people, t.employee_id)),
    h('td', {}, LABELS.category[t.category] || t.category),
    h('td', { class: 'priority' }, badge('priority', t.priority)),
    h('td', { class: 'status' }, badge('status', t.status)),
    sla ? h('td', { class: 'sla-cell' }, slaClock(t)) : null,
    h('td', {}, nameOf(people, t.assigned_to)),
    h('td', {}, time(t.created_at)),
    liveChat ? h('td', {}, h('a', { class: 'button small', href: `${BASE}/${t.id}/live-chat` }, 'Live chat')) : null);
}

const COLUMNS = ['Ticket', 'Subject', 'Employee', 'Category', 'Priority', 'Status', 'Assigned', 'Opened'];

function ticketTable(caption, body, extra = [''], { sla = false } = {}) {
  const columns = sla ? [...COLUMNS.slice(0, 6), 'SLA', ...COLUMNS.slice(6)] : COLUMNS;
  return h('table', { class: 'tickets' },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, [...columns, ...extra].map((c) => h('th', { scope: 'col' }, c)))),
    body);
}

function statCards(stats) {
  const card = (key, label) => h('div', { class: `stat stat-${key}`, dataset: { stat: key } },
    h('span', { class: 'value' }, String(stats[key])), h('span', { class: 'label' }, label));
  return [card('open', 'Open'), card('in_progress', 'In progress'), card('urgent', 'Urgent')];
}

/** Admin/Support/Dashboard: active tickets urgent first, stats, live notifications. */
export async function dashboard({ main }) {
  const people = await users();
  const stats = h('div', { class: 'stats', 'aria-live': 'polite' });
  const alert = h('p', { class: 'urgent-alert', role: 'alert', hidden: true });
  // The latest breach, said once for screen readers and shown above the list.
  const breachNote = h('p', { class: 'sla-alert', role: 'status', hidden: true });
  const body = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true }, 'No active tickets. All caught up.');
  // The order is the agent's choice, kept for the next visit.
  const sortKey = 'support.dashboard.sort';
  const sort = h('select', { id: 'dashboard-sort', name: 'sort' },
    h('option', { value: 'urgent' }, 'Urgent first'),
    h('option', { value: 'waiting' }, 'Longest waiting'));
  sort.value = storage.getItem(sortKey) === 'waiting' ? 'waiting' : 'urgent';
  let tickets = [];
  const drawRows = () => {
    const rows = [...tickets];
    if (sort.value === 'waiting') {
      // Oldest waiting first; tickets nobody waits on (staff answered last) after them.
      const key = (t) => (t.waiting_since ? new Date(t.waiting_since).getTime() : Infinity);
      rows.sort((a, b) => key(a) - key(b));
    }
    replace(body, rows.map((t) => ticketRow(t, people, { sla: true })));
    caption.textContent = sort.value === 'waiting' ? 'Active tickets, longest waiting first' : 'Active tickets, urgent first';
  };
  sort.addEventListener('change', () => { storage.setItem(sortKey, sort.value); drawRows(); });
  replace(main, h('h1', {}, 'Live support'), alert, stats,
    h('div', { class: 'list-head' }, h('h2', {}, 'Active tickets'),
      h('div', { class: 'field inline' }, h('label', { for: 'dashboard-sort' }, 'Sort'), sort)),
    breachNote, empty, ticketTable('Active tickets, urgent first', body, [''], { sla: true }));
  const caption = main.querySelector('table.tickets caption');
  const showStats = (s) => {
    replace(stats, statCards(s));
    alert.hidden = !(s.urgent > 0);
    alert.textContent = s.urgent === 1 ? '1 urgent ticket needs attention.' : `${s.urgent} urgent tickets need attention.`;
  };
  const load = async () => {
    const d = await api('GET', `${BASE}/dashboard?limit=100`);
    tickets = d.data;
    drawRows();
    empty.hidden = d.data.length > 0;
    showStats(d.stats);
  };
  const reload = debounce(() => load().catch(() => {}));
  adminChannel()
    .listen('.ticket.created', reload)
    .listen('.ticket.updated', reload)
    .listen('.message.created', reload)
    .listen('.message.read', reload)
    .listen('.stats.updated', (d) => showStats(d.stats))
    .listen('.sla.breached', (b) => {
      const t = tickets.find((x) => x.id === b.ticket_id);
      if (t) {
        t.sla = { ...t.sla, breached: true, [`${b.clock}_breached`]: true };
        markBreached(body, b.ticket_id, b.clock);
      }
      breachNote.hidden = false;
      breachNote.textContent = `SLA breached: ${b.ticket_number} (${b.clock === 'first_response' ? 'first response' : 'resolution'}, ${b.priority}).`;
    });
  await load();
}

/** Admin/Support/Index: every ticket, with filters (kept in the address) and paging. */
export async function index({ main }) {
  const people = await users();
  const params = new URLSearchParams(location.search);
  const staff = [...people.values()].filter((u) => u.staff);
  const assigned = h('select', { id: 'f-assigned_to', name: 'assigned_to' },
    h('option', { value: '' }, 'Anyone'), h('option', { value: 'none' }, 'Unassigned'),
    staff.map((u) => h('option', { value: String(u.id) }, u.full_name)));
  const form = h('form', { class: 'filters', role: 'search' },
    h('div', { class: 'field' }, h('label', { for: 'f-q' }, 'Search'), h('input', { id: 'f-q', name: 'q', type: 'search' })),
    h('div', { class: 'field' }, h('label', { for: 'f-status' }, 'Status'), select('status', { id: 'f-status', empty: 'Any' })),
    h('div', { class: 'field' }, h('label', { for: 'f-priority' }, 'Priority'), select('priority', { id: 'f-priority', empty: 'Any' })),
    h('div', { class: 'field' }, h('label', { for: 'f-category' }, 'Category'), select('category', { id: 'f-category', empty: 'Any' })),
    h('div', { class: 'field' }, h('label', { for: 'f-assigned_to' }, 'Assigned to'), assigned),
    h('div', { class: 'field' }, h('label', { for: 'f-archived' }, 'Show'),
      h('select', { id: 'f-archived', name: 'archived' },
        h('option', { value: '' }, 'Current tickets'), h('option', { value: 'true' }, 'Archive'))),
    h('button', { type: 'submit' }, 'Filter'),
    h('p', { class: 'form-error', role: 'alert' }));
  for (const [k, v] of params) if (form.elements[k]) form.elements[k].value = v;
  const body = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true }, 'No tickets match.');
  const prev = h('button', { type: 'button' }, 'Previous page');
  const next = h('button', { type: 'button' }, 'Next page');
  const where = h('span', { class: 'page-number', 'aria-live': 'polite' });
  // The list's search box matches subjects and descriptions; the same words over messages and
  // notes too are one link away, on the full-text search page.
  const searchAll = h('a', {});
  const searchAllLine = h('p', { class: 'list-search-all', hidden: true }, searchAll);
  replace(main, h('h1', {}, 'All tickets'), form, searchAllLine, empty, ticketTable('All tickets', body),
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, where, next));

  const cursors = [null];
  let at = 0;
  let nextCursor = null;
  const load = async () => {
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
    const words = (q.get('q') || '').trim();
    searchAllLine.hidden = !words;
    const searchAllQuery = new URLSearchParams({ q: words });
    if (q.get('archived')) searchAllQuery.set('archived', 'true');
    searchAll.href = `${BASE}/search?${searchAllQuery}`;
    searchAll.textContent = `Search messages and notes for “${words}” too →`;
    if (cursors[at]) q.set('cursor', cursors[at]);
    try {
      const page = await api('GET', `${BASE}?${q}`);
      replace(body, page.data.map((t) => ticketRow(t, people)));
      empty.hidden = page.data.length > 0;
      nextCursor = page.next_cursor;
      showErrors(form, null);
    } catch (e) {
      showErrors(form, e);
    }
    prev.disabled = at === 0;
    next.disabled = !nextCursor;
    where.textContent = `Page ${at + 1}`;
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
    history.replaceState(null, '', `${location.pathname}${q.size ? `?${q}` : ''}`);
    cursors.length = 1;
    at = 0;
    load();
  });
  prev.addEventListener('click', () => { if (at > 0) { at -= 1; load(); } });
  next.addEventListener('click', () => { if (nextCursor) { cursors[at + 1] = nextCursor; at += 1; load(); } });
  const reload = debounce(() => load());
  adminChannel()
    .listen('.ticket.created', reload)
    .listen('.ticket.updated', reload)
    .listen('.message.created', reload)
    .listen('.message.read', reload);
  await load();
}

/** A PATCH of ticket `id` based on `version` (If-Match), when the page knows it. */
function patchTicket(id, body, version) {
  return api('PATCH', `${BASE}/${id}`, body, { idempotencyKey: newKey(), ifMatch: version ?? null });
}

/**
 * The status, priority and assignment form of a ticket. It sends the version the agent's
 * choices were based on: a change by someone else meanwhile answers 409 and the form shows
 * what changed, to apply the agent's change anyway or keep the current state. A live change
 * while the form is untouched just shows in it. Returns `{form, update(ticket)}`.
 */
function updateForm(ticket, people, onSaved) {
  let base = ticket;
  let touched = false;
  const staff = [...people.values()].filter((u) => u.staff);
  const assign = h('select', { id: `assign-${ticket.id}`, name: 'assigned_to' },
    h('option', { value: '' }, 'Unassigned'),
    staff.map((u) => h('option', { value: String(u.id), selected: u.id === ticket.assigned_to }, u.full_name)));
  const saved = h('span', { class: 'saved', role: 'status' });
  const conflictSlot = h('div', { class: 'conflict-slot' });
  const form = h('form', { class: 'ticket-update', oninput: () => { touched = true; saved.textContent = ''; } },
    conflictSlot,
    h('div', { class: 'field' }, h('label', { for: `status-${ticket.id}` }, 'Status'),
      select('status', { id: `status-${ticket.id}`, value: ticket.status }), h('p', { class: 'field-error', 'data-error-for': 'status' })),
    h('div', { class: 'field' }, h('label', { for: `priority-${ticket.id}` }, 'Priority'),
      select('priority', { id: `priority-${ticket.id}`, value: ticket.priority }), h('p', { class: 'field-error', 'data-error-for': 'priority' })),
    h('div', { class: 'field' }, h('label', { for: `assign-${ticket.id}` }, 'Assigned to'), assign,
      h('p', { class: 'field-error', 'data-error-for': 'assigned_to' })),
    h('button', { type: 'submit' }, 'Update ticket'), saved,
    h('p', { class: 'form-error', role: 'alert' }));
  const fill = (t) => {
    base = t;
    touched = false;
    form.elements.status.value = t.status;
    form.elements.priority.value = t.priority;
    assign.value = t.assigned_to == null ? '' : String(t.assigned_to);
  };
  const send = async (body, version) => {
    try {
      const { data } = await patchTicket(ticket.id, body, version);
      showErrors(form, null);
      replace(conflictSlot);
      saved.textContent = 'Saved.';
      fill(data);
      onSaved(data, { mine: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && err.body?.data) {
        showErrors(form, null);
        const now = err.body.data;
        replace(conflictSlot, conflictPanel({
          saw: base, now, mine: body, nameOf: (id) => nameOf(people, id),
          onReapply: () => send(body, now.version),
          onKeep: () => { fill(now); onSaved(now, { mine: false }); },
        }));
        return;
      }
      showErrors(form, err, { retry: () => form.requestSubmit() });
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    saved.textContent = '';
    const f = new FormData(form);
    const chosen = {
      status: f.get('status'),
      priority: f.get('priority'),
      assigned_to: f.get('assigned_to') ? Number(f.get('assigned_to')) : null,
    };
    // Only what the agent changed is sent, so applying it on top of someone else's change
    // (after a 409) keeps theirs in the other fields.
    const changed = Object.fromEntries(Object.entries(chosen).filter(([k, v]) => v !== base[k]));
    send(Object.keys(changed).length ? changed : chosen, base.version);
  });
  return {
    form,
    /** The ticket changed elsewhere: shown in the form unless the agent is editing it. */
    update(t) { if (!touched && !conflictSlot.firstChild) fill(t); },
  };
}

function details(t, people) {
  const row = (label, ...value) => [h('dt', {}, label), h('dd', {}, ...value)];
  return h('dl', { class: 'details' },
    row('Employee', nameOf(people, t.employee_id)),
    row('Category', LABELS.category[t.category] || t.category),
    row('Assigned to', nameOf(people, t.assigned_to)),
    row('Opened', time(t.created_at)),
    row('Updated', time(t.updated_at)),
    t.resolved_at ? row('Resolved', time(t.resolved_at)) : null,
    t.archived_at ? row('Archived', time(t.archived_at)) : null);
}

/** Admin/Support/Show: details, status/priority/assignment, the thread with internal notes. */
export async function show({ main, me, ticketId }) {
  const people = await users();
  const { data } = await api('GET', `${BASE}/${ticketId}`);
  const head = h('div', {});
  const info = h('div', {});
  let manage = null;
  let presence = null;
  const draw = (t) => {
    replace(head, ticketHead(t));
    replace(info, details(t, people));
    manage?.update(t);
  };
  draw(data.ticket);
  const thread = new ChatThread({
    ticket: data.ticket, me, messages: data.messages, hasOlder: data.has_older, staff: true,
    people, describe: true, employeeName: nameOf(people, data.ticket.employee_id), onTicket: draw,
    activity: data.activity, receipts: data.read_receipts,
    onTyping: (id, typing) => presence?.setTyping(id, typing),
  });
  manage = updateForm(data.ticket, people, (t, { mine }) => thread.setTicket(t, mine ? byMe(me) : {}));
  presence = new StaffPresence(data.ticket.id, me);
  document.title = `${data.ticket.ticket_number} · Support`;
  replace(main,
    h('div', { class: 'page-tools' },
      h('p', {}, h('a', { href: BASE }, '← All tickets'), ' · ', h('a', { href: `${BASE}/${ticketId}/live-chat` }, 'Open in live chat')),
      transcriptMenu(`${BASE}/${ticketId}`)),
    head,
    presence.el,
    h('div', { class: 'columns' },
      h('div', { class: 'column-main' },
        h('h2', {}, 'Conversation'),
        thread.el),
      h('div', { class: 'column-side' },
        info,
        h('h2', {}, 'Manage'),
        manage.form,
        historyPanel(ticketId, (id) => people.get(id)?.full_name || null))));
}

/** This user as the actor of a change this page made (its event line). */
function byMe(me) {
  return { actor: { id: me.id, full_name: me.name }, at: new Date().toISOString() };
}

/** Admin/Support/LiveChat: the active tickets beside one chat; switching keeps each chat's
 * state (draft, scroll, history loaded) and counts unread messages of the others. */
export async function liveChat({ main, me, ticketId }) {
  const people = await users();
  const list = h('ul', { class: 'chat-list' });
  const pane = h('div', { class: 'chat-pane' });
  // On a phone the list and the conversation take turns (show-list / show-chat); on a wider
  // screen both show and the classes change nothing.
  const layout = h('div', { class: 'live-chat show-list' },
    h('nav', { class: 'chat-list-wrap', 'aria-label': 'Active tickets' }, h('h2', {}, 'Active tickets'), list), pane);
  const phone = window.matchMedia('(max-width: 700px)');
  const showList = () => { layout.classList.replace('show-chat', 'show-list'); list.querySelector('li.current a')?.focus(); };
  const showChat = () => layout.classList.replace('show-list', 'show-chat');
  const back = () => { if (history.state?.liveChat) history.back(); else showList(); };
  window.addEventListener('popstate', (e) => { if (e.state?.liveChat) open(e.state.liveChat); else showList(); });
  replace(main, h('h1', { class: 'visually-hidden' }, 'Live chat'), layout);
  const chats = new Map();
  const unread = new Map();
  let current = null;

  const entry = (t) => {
    // The server's count for this user where it gives one, else what arrived while here.
    const count = t.id === current ? 0 : (t.unread_count ?? unread.get(t.id)) || 0;
    return h('li', { dataset: { ticket: t.id }, class: t.id === current ? 'current' : '' },
      h('a', { href: `${BASE}/${t.id}/live-chat`, 'aria-current': t.id === current ? 'true' : null,
        onclick: (e) => {
          e.preventDefault();
          // On a phone, going from the list into a conversation is a step Back undoes.
          if (phone.matches && layout.classList.contains('show-list')) history.pushState({ liveChat: t.id }, '', `${BASE}/${t.id}/live-chat`);
          open(t.id);
        } },
      h('span', { class: 'subject' }, t.subject),
      h('span', { class: 'line' }, badge('priority', t.priority), ' ', nameOf(people, t.employee_id), ' ', waiting(t.waiting_since)),
      preview(t),
      count ? h('span', { class: 'unread', 'aria-label': `${count} unread` }, String(count)) : null));
  };
  let active = [];
  const drawList = () => {
    const shown = [...active];
    if (current && !shown.some((t) => t.id === current) && chats.get(current)) shown.unshift(chats.get(current).thread.ticket);
    replace(list, shown.map(entry));
  };
  const loadList = async () => {
    active = (await api('GET', `${BASE}/dashboard?limit=100`)).data;
    drawList();
  };

  async function open(id) {
    current = id;
    unread.delete(id);
    history.replaceState(history.state, '', `${BASE}/${id}/live-chat`);
    if (!chats.has(id)) {
      const { data } = await api('GET', `${BASE}/${id}/live-chat`);
      const header = h('div', {});
      const drawHeader = (t) => replace(header,
        h('button', { type: 'button', class: 'link back', onclick: back }, '← Tickets'),
        h('div', { class: 'chat-title' },
          h('h2', {}, `${t.ticket_number}: ${t.subject}`),
          h('p', {}, data.employee?.full_name || nameOf(people, t.employee_id), ' · ', badge('status', t.status), ' ', badge('priority', t.priority),
            ' · ', h('a', { href: `${BASE}/${t.id}` }, 'Details'))),
        quickActions(t));
      // Confirmations and conflicts of the quick actions show under the header.
      const notice = h('div', { class: 'chat-notice' });
      const quickActions = (t) => h('div', { class: 'quick-actions' },
        t.status !== 'in_progress' || t.assigned_to !== me.id ? h('button', { type: 'button', onclick: () => takeIt() }, 'Take it') : null,
        t.status !== 'resolved' ? h('button', { type: 'button', onclick: () => patch({ status: 'resolved' }) }, 'Resolve') : null);
      // Taking a ticket someone else has is a decision: asked first.
      const takeIt = () => {
        const t = thread.ticket;
        const body = { status: 'in_progress', assigned_to: me.id };
        if (t.assigned_to == null || t.assigned_to === me.id) { patch(body); return; }
        const ask = h('div', { class: 'confirm', role: 'alertdialog', 'aria-label': 'Take this ticket?' },
          h('p', {}, `Assigned to ${nameOf(people, t.assigned_to)}. Take it anyway?`),
          h('button', { type: 'button', onclick: () => { replace(notice); patch(body); } }, 'Take it anyway'), ' ',
          h('button', { type: 'button', class: 'alt', onclick: () => replace(notice) }, 'Cancel'));
        replace(notice, ask);
        ask.querySelector('button').focus();
      };
      const patch = async (body, version = thread.ticket.version) => {
        const saw = thread.ticket;
        header.querySelector('.quick-actions .form-error')?.remove();
        try {
          const { data: t } = await patchTicket(id, body, version);
          replace(notice);
          thread.setTicket(t, byMe(me));
        } catch (e) {
          if (e instanceof ApiError && e.status === 409 && e.body?.data) {
            const now = e.body.data;
            replace(notice, conflictPanel({
              saw, now, mine: body, nameOf: (uid) => nameOf(people, uid),
              onReapply: () => patch(body, now.version),
              onKeep: () => thread.setTicket(now),
            }));
            return;
          }
          header.querySelector('.quick-actions')?.append(failureNotice(e, () => patch(body, version)));
        }
      };
      drawHeader(data.ticket);
      const thread = new ChatThread({
        ticket: data.ticket, me, messages: data.messages, hasOlder: data.has_older, staff: true,
        people, describe: true, employeeName: data.employee?.full_name || nameOf(people, data.ticket.employee_id),
        onTicket: drawHeader, activity: data.activity, receipts: data.read_receipts,
        onTyping: (uid, typing) => presence.setTyping(uid, typing),
      });
      const presence = new StaffPresence(id, me);
      const el = h('div', { class: 'chat-view', dataset: { ticket: id } }, header, presence.el, notice, thread.el);
      chats.set(id, { thread, el, presence });
      pane.append(el);
    }
    // Only the chat on screen counts as viewing the ticket.
    for (const [cid, c] of chats) {
      c.el.hidden = cid !== id;
      if (cid === id) c.presence.join(); else c.presence.leave();
    }
    showChat();
    chats.get(id).thread.scrollToEnd();
    drawList();
    document.title = `${chats.get(id).thread.ticket.ticket_number} · Live chat`;
  }

  const reload = debounce(() => loadList().catch(() => {}));
  adminChannel()
    .listen('.ticket.created', reload)
    .listen('.ticket.updated', reload)
    .listen('.message.created', (d) => {
      if (d.ticket_id !== current && d.sender_type === 'employee') {
        unread.set(d.ticket_id, (unread.get(d.ticket_id) || 0) + 1);
        drawList();
      }
      reload();
    })
    .listen('.message.read', reload);
  await loadList();
  if (ticketId) await open(ticketId);
  else if (active.length && !phone.matches) await open(active[0].id);
  else replace(pane, h('p', { class: 'empty' }, 'No active tickets.'));
}
