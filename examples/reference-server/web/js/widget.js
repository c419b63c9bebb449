// Employee/LiveChatWidget: a floating button that opens a quick chat. The first message creates
// a ticket (quick-chat); later openings continue that ticket until it is resolved or closed.
// On the helpdesk's own employee pages it floats over the page; embedded in another site
// (frame.js, loaded by /widget.js) it fills its frame, lists the user's tickets itself (the
// helpdesk's pages are not theirs to open there) and tells the host page how big to make the
// frame.

import { api, ApiError, newKey, showErrors } from './api.js';
import { badge, h, replace, select, time } from './dom.js';
import { ChatThread } from './chat.js';
import { echo } from './realtime.js';
import { storage } from './storage.js';
import { templatePicker } from './template-picker.js';

const DONE = ['resolved', 'closed'];
const BASE = '/employee/portal/support';

/**
 * @param {object} o
 * @param {object} o.me the signed-in user
 * @param {Function} [o.resize] embedded: called with `true` before the panel opens and `false`
 *   after it closes, so the host page can size the frame
 */
export function mountWidget({ me, resize = null }) {
  const embedded = !!resize;
  const storeKey = `support.widget.${me.id}`;
  const panelBody = h('div', { class: 'widget-body' });
  const ticketsButton = embedded
    ? h('button', { type: 'button', class: 'link', onclick: () => showTickets() }, 'My tickets')
    : null;
  const newButton = embedded
    ? h('button', { type: 'button', class: 'link', hidden: true, onclick: () => startForm() }, 'New chat')
    : null;
  const panel = h('section', { class: 'widget-panel', id: 'chat-widget', role: 'dialog', 'aria-label': 'Chat with support', hidden: true },
    h('header', {},
      h('h2', {}, 'Chat with support'),
      h('span', { class: 'widget-nav' }, ticketsButton, newButton,
        h('button', { type: 'button', class: 'link close', 'aria-label': 'Close chat', onclick: () => toggle(false) }, '×'))),
    panelBody);
  // The closed launcher shows how many replies the user has not read yet.
  const count = h('span', { class: 'launcher-count', hidden: true });
  const button = h('button', {
    type: 'button', class: 'widget-button', 'aria-controls': 'chat-widget', 'aria-expanded': 'false',
    onclick: () => toggle(panel.hidden),
  }, 'Chat with support', count);
  document.body.append(h('div', { class: 'widget' }, panel, button));
  let thread = null;
  let started = false;

  async function toggle(open) {
    if (open) resize?.(true);
    panel.hidden = !open;
    drawCount();
    if (open) thread?.markReadSoon();
    button.hidden = embedded && open;
    button.setAttribute('aria-expanded', String(open));
    if (open && !started) {
      started = true;
      await start();
    }
    if (open) panel.querySelector('textarea')?.focus();
    if (!open) {
      resize?.(false);
      button.focus();
    }
  }
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !panel.hidden) toggle(false);
  });

  function showThread(ticket, messages, hasOlder, view = {}) {
    thread = new ChatThread({ ticket, me, messages, hasOlder, activity: view.activity, receipts: view.read_receipts });
    const title = `${ticket.ticket_number}: ${ticket.subject}`;
    replace(panelBody,
      h('p', { class: 'widget-ticket' },
        embedded ? h('strong', {}, title) : h('a', { href: `${BASE}/${ticket.id}` }, title)),
      thread.el);
    if (newButton) newButton.hidden = false;
    thread.scrollToEnd();
    thread.input.focus();
  }

  async function open(id) {
    const { data } = await api('GET', `${BASE}/${id}`);
    showThread(data.ticket, data.messages, data.has_older, data);
    return data.ticket;
  }

  async function start() {
    const id = Number(storage.getItem(storeKey));
    if (id) {
      try {
        const ticket = await open(id);
        if (!DONE.includes(ticket.status)) return;
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
      }
      storage.removeItem(storeKey);
    }
    await startForm();
  }

  /** Embedded: the user's tickets, newest activity first; one opens in the panel. */
  async function showTickets() {
    const list = h('ul', { class: 'widget-tickets', 'aria-label': 'Your tickets' });
    replace(panelBody, h('p', { class: 'muted' }, 'Loading…'));
    if (newButton) newButton.hidden = false;
    let page;
    try {
      page = await api('GET', BASE);
    } catch (e) {
      replace(panelBody, h('p', { class: 'form-error', role: 'alert' }, e.message));
      return;
    }
    for (const t of page.data) {
      list.append(h('li', {},
        h('button', { type: 'button', class: 'widget-ticket-row', onclick: () => open(t.id) },
          h('span', { class: 'number' }, t.ticket_number), ' ',
          h('span', { class: 'subject' }, t.subject), ' ',
          badge('status', t.status), ' ', time(t.updated_at))));
    }
    replace(panelBody, page.data.length ? list : h('p', { class: 'empty' }, 'You have no support tickets yet.'));
  }

  async function startForm() {
    if (newButton) newButton.hidden = true;
    let key = newKey();
    const shown = panelBody.firstChild;
    // With templates, "Start from a template" above the form. The chat's subject is the first
    // line of its message, so a template fills the message as subject, blank line,
    // description; its priority shows (and is sent) once one is picked.
    let form = null;
    const picker = await templatePicker({
      id: 'widget-template',
      onPick: (t) => {
        if (!t) return;
        form.elements.message.value = `${t.subject}\n\n${t.description}`;
        form.elements.message.rows = 5;
        form.elements.category.value = t.category;
        form.elements.priority.value = t.priority;
        priorityField.hidden = false;
        showErrors(form, null);
      },
    });
    // Something else was drawn in the panel meanwhile (the user's tickets, a chat).
    if (panelBody.firstChild !== shown) return;
    const priorityField = picker ? h('div', { class: 'field widget-priority', hidden: true },
      h('label', { for: 'widget-priority' }, 'Priority'),
      select('priority', { id: 'widget-priority', value: 'medium' }),
      h('p', { class: 'field-error', 'data-error-for': 'priority' })) : null;
    form = h('form', { class: 'stack' },
      h('label', { for: 'widget-message' }, 'How can we help?'),
      h('textarea', { id: 'widget-message', name: 'message', rows: 3, maxlength: 2000, required: true }),
      h('p', { class: 'field-error', 'data-error-for': 'message' }),
      h('label', { for: 'widget-category' }, 'Topic'),
      select('category', { id: 'widget-category', value: 'other' }),
      priorityField,
      h('p', { class: 'form-error', role: 'alert' }),
      h('button', { type: 'submit' }, 'Start chat'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const submit = form.querySelector('button[type=submit]');
      submit.disabled = true;
      try {
        const body = Object.fromEntries(new FormData(form));
        if (!priorityField || priorityField.hidden) delete body.priority;
        const { data } = await api('POST', `${BASE}/quick-chat`, body, { idempotencyKey: key });
        key = newKey();
        storage.setItem(storeKey, String(data.ticket.id));
        window.dispatchEvent(new CustomEvent('support:ticket-created', { detail: data.ticket }));
        showThread(data.ticket, [data.message], false);
      } catch (err) {
        showErrors(form, err);
        submit.disabled = false;
      }
    });
    replace(panelBody, picker, form);
    form.querySelector('textarea').focus();
  }

  // ----- unread replies on the launcher ---------------------------------------------------

  const unread = new Map();
  const listening = new Set();
  function drawCount() {
    let n = 0;
    for (const v of unread.values()) n += v;
    count.hidden = !(n > 0) || !panel.hidden;
    count.textContent = String(n);
    count.setAttribute('aria-label', n === 1 ? '1 unread reply' : `${n} unread replies`);
  }
  function follow(id) {
    if (listening.has(id)) return;
    listening.add(id);
    echo.private(`support.ticket.${id}`).listen('.chat.message', (d) => {
      if (d.sender_type !== 'support' || d.is_internal) return;
      // A reply read as it arrives (the open chat, scrolled to the end) is not unread.
      if (!panel.hidden && thread?.ticket.id === id && thread.endInView()) return;
      unread.set(id, (unread.get(id) || 0) + 1);
      drawCount();
    });
  }
  async function loadUnread() {
    let page;
    try { page = await api('GET', BASE); } catch { return; }
    // Only a server that counts unread replies gives `unread_count`.
    if (!page.data.some((t) => t.unread_count !== undefined)) return;
    for (const t of page.data) {
      unread.set(t.id, t.unread_count || 0);
      follow(t.id);
    }
    drawCount();
  }
  window.addEventListener('support:read', (e) => {
    if (!unread.has(e.detail.ticketId)) return;
    unread.set(e.detail.ticketId, 0);
    drawCount();
  });
  loadUnread();

  return { toggle };
}
