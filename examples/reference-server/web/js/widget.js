// Employee/LiveChatWidget: a floating button on every employee page that opens a quick chat.
// The first message creates a ticket (quick-chat); later openings continue that ticket until
// it is resolved or closed.

import { api, ApiError, newKey, showErrors } from './api.js';
import { h, replace, select } from './dom.js';
import { ChatThread } from './chat.js';

const DONE = ['resolved', 'closed'];

export function mountWidget({ me }) {
  const storeKey = `support.widget.${me.id}`;
  const panelBody = h('div', { class: 'widget-body' });
  const panel = h('section', { class: 'widget-panel', id: 'chat-widget', role: 'dialog', 'aria-label': 'Chat with support', hidden: true },
    h('header', {},
      h('h2', {}, 'Chat with support'),
      h('button', { type: 'button', class: 'link', 'aria-label': 'Close chat', onclick: () => toggle(false) }, '×')),
    panelBody);
  const button = h('button', {
    type: 'button', class: 'widget-button', 'aria-controls': 'chat-widget', 'aria-expanded': 'false',
    onclick: () => toggle(panel.hidden),
  }, 'Chat with support');
  document.body.append(h('div', { class: 'widget' }, panel, button));
  let thread = null;

  async function toggle(open) {
    panel.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open && !thread) await start();
    if (open) panel.querySelector('textarea')?.focus();
  }
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !panel.hidden) { toggle(false); button.focus(); }
  });

  function showThread(ticket, messages, hasOlder) {
    thread = new ChatThread({ ticket, me, messages, hasOlder });
    replace(panelBody,
      h('p', { class: 'widget-ticket' }, h('a', { href: `/employee/portal/support/${ticket.id}` }, `${ticket.ticket_number}: ${ticket.subject}`)),
      thread.el);
    thread.scrollToEnd();
    thread.input.focus();
  }

  async function start() {
    const id = Number(localStorage.getItem(storeKey));
    if (id) {
      try {
        const { data } = await api('GET', `/employee/portal/support/${id}`);
        if (!DONE.includes(data.ticket.status)) {
          showThread(data.ticket, data.messages, data.has_older);
          return;
        }
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
      }
      localStorage.removeItem(storeKey);
    }
    startForm();
  }

  function startForm() {
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
        const { data } = await api('POST', '/employee/portal/support/quick-chat',
          Object.fromEntries(new FormData(form)), { idempotencyKey: key });
        key = newKey();
        localStorage.setItem(storeKey, String(data.ticket.id));
        window.dispatchEvent(new CustomEvent('support:ticket-created', { detail: data.ticket }));
        showThread(data.ticket, [data.message], false);
      } catch (err) {
        showErrors(form, err);
        submit.disabled = false;
      }
    });
    replace(panelBody, form);
  }
}
