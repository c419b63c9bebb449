// Employee/LiveChatWidget: a floating button that opens a quick chat. The first message creates
// a ticket (quick-chat); later openings continue that ticket until it is resolved or closed.
// On the helpdesk's own employee pages it floats over the page; embedded in another site
// (frame.js, loaded by /widget.js) it fills its frame, lists the user's tickets itself (the
// helpdesk's pages are not theirs to open there) and tells the host page how big to make the
// frame.

import { api, ApiError, newKey, showErrors } from './api.js';
import { badge, h, replace, select, time } from './dom.js';
import { ChatThread } from './chat.js';
import { storage } from './storage.js';

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
  const button = h('button', {
    type: 'button', class: 'widget-button', 'aria-controls': 'chat-widget', 'aria-expanded': 'false',
    onclick: () => toggle(panel.hidden),
  }, 'Chat with support');
  document.body.append(h('div', { class: 'widget' }, panel, button));
  let thread = null;
  let started = false;

  async function toggle(open) {
    if (open) resize?.(true);
    panel.hidden = !open;
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

  function showThread(ticket, messages, hasOlder) {
    thread = new ChatThread({ ticket, me, messages, hasOlder });
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
    showThread(data.ticket, data.messages, data.has_older);
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
    startForm();
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

  function startForm() {
    if (newButton) newButton.hidden = true;
    let key = newKey();
    const form = h('form', { class: 'stack' },
      h('label', { for: 'widget-message' }, 'How can we help?'),
      h('textarea', { id: 'widget-message', name: 'message', rows: 3, maxlength: 2000, required: true }),
      h('p', { class: 'field-error', 'data-error-for': 'message' }),
      h('label', { for: 'widget-category' }, 'Topic'),
      select('category', { id: 'widget-category', value: 'other' }),
      h('p', { class: 'form-error', role: 'alert' }),
      h('button', { type: 'submit' }, 'Start chat'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const submit = form.querySelector('button[type=submit]');
      submit.disabled = true;
      try {
        const { data } = await api('POST', `${BASE}/quick-chat`,
          Object.fromEntries(new FormData(form)), { idempotencyKey: key });
        key = newKey();
        storage.setItem(storeKey, String(data.ticket.id));
        window.dispatchEvent(new CustomEvent('support:ticket-created', { detail: data.ticket }));
        showThread(data.ticket, [data.message], false);
      } catch (err) {
        showErrors(form, err);
        submit.disabled = false;
      }
    });
    replace(panelBody, form);
    form.querySelector('textarea').focus();
  }

  return { toggle };
}
