// One ticket's conversation: the messages (older ones load on scrolling up), live arrivals,
// event lines (taken, resolved, reopened: events.js), read state (the thread marks itself
// read, "Seen" under the latest message the other side has read), the typing indicator, and
// a composer whose messages are never lost (see outbox.js).

import { api, ApiError, NetworkError } from './api.js';
import { ago, dayKey, h, linkify, refreshDays, replace } from './dom.js';
import { describeChanges, diffTicket, groupActivity } from './events.js';
import { pickEmoji, shortcodes } from './emoji.js';
import { Outbox } from './outbox.js';
import { Reactions } from './reactions.js';
import { AttachmentTray, attachmentList } from './attachments.js';
import { cannedSuggest } from './canned-picker.js';
import { insertText } from './suggest.js';
import { echo, onState, onWhisper } from './realtime.js';
import { storage } from './storage.js';

const PAGE = 100;
const OLDER_PAGE = 50;
const TYPING_SHOWN_MS = 4000;
const TYPING_SENT_EVERY_MS = 1500;
const READ_AFTER_MS = 400;

/**
 * A message as the chat.message and message.created events carry it, in the API's shape.
 * Two shapes on purpose: the events carry the fields the Laravel helpdesk's Echo listeners read
 * (`sender_name`, `message`, `sent_at`), the API answers Laravel's resource shape
 * (`author`, `content`, `created_at`); this is the one place that maps one to the other.
 */
function fromEvent(d) {
  return {
    id: d.id,
    ticket_id: d.ticket_id,
    author_id: d.sender_id,
    author_type: d.sender_type,
    author: { id: d.sender_id, full_name: d.sender_name },
    content: d.message,
    is_internal: !!d.is_internal,
    attachments: d.attachments || [],
    created_at: d.sent_at,
  };
}

const LIMIT = 2000;
const COUNT_FROM = 1800;
const count = new Intl.NumberFormat();

/** The length the server checks: characters (code points), not UTF-16 units. */
function length(text) {
  return [...text].length;
}

export class ChatThread {
  /**
   * @param {object} o
   * @param {object} o.ticket the ticket
   * @param {object} o.me the signed-in user ({id, name, staff})
   * @param {Array} o.messages the latest messages, oldest first
   * @param {boolean} o.hasOlder whether older messages exist
   * @param {boolean} o.staff staff view: staff routes, internal notes shown and writable
   * @param {Map} [o.people] users by id ({full_name}) the page knows (staff pages)
   * @param {boolean} [o.describe] show the ticket's description as the thread's first item
   * @param {string} [o.employeeName] the ticket's employee, who wrote the description
   * @param {Function} [o.onTicket] called with the ticket when it changes
   * @param {Array} [o.activity] the ticket's audit entries, oldest first (event lines)
   * @param {object} [o.receipts] the view's `read_receipts` ({employee, staff})
   * @param {Function} [o.onTyping] called with (user id, true) when someone types, (null, false)
   *   when the indicator clears
   */
  constructor({ ticket, me, messages, hasOlder, staff = false, people = null, describe = false, employeeName, onTicket,
    activity = [], receipts = null, onTyping = null }) {
    this.ticket = ticket;
    this.me = me;
    this.staff = staff;
    // Names by user id, for the typing indicator: the page's users, me, and every message
    // author seen. A whisper's sender is the id the server relays, never a name it carries.
    this.names = new Map();
    for (const [id, u] of people || []) if (u?.full_name) this.names.set(String(id), u.full_name);
    this.names.set(String(me.id), me.name);
    this.onTicket = onTicket || (() => {});
    this.onTyping = onTyping || (() => {});
    this.base = staff ? `/admin/support/${ticket.id}` : `/employee/portal/support/${ticket.id}`;
    this.items = new Map();
    this.reactions = new Reactions({ base: this.base, me });
    this.hasOlder = hasOlder;
    this.loadingOlder = false;
    this.outbox = new Outbox(`support.outbox.${me.id}.${ticket.id}`, {
      send: (item) => this.post(item),
      sent: (item, stored) => { this.pendingItem(item.key)?.remove(); this.receive(stored); this.arrange(); this.reopened(stored); },
      refused: (item, e) => this.showRefused(item, e),
      waiting: () => this.setPendingState('Not sent yet: it will be sent when the connection returns.', true),
    });
    this.draftKey = `support.draft.${me.id}.${ticket.id}`;
    this.typingTimer = null;
    this.lastTypingSent = 0;
    this.mode = 'reply';
    // Read state: how far this user has told the server they read (only ever forward), and
    // how far the other side has read (the "Seen" mark).
    const mine = staff ? null : receipts?.employee;
    this.readUpTo = mine?.message_id || 0;
    this.readSupported = true;
    this.readTimer = null;
    this.theirRead = (staff ? receipts?.employee : receipts?.staff)?.message_id || 0;

    this.list = h('ol', { class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages', tabindex: '0' });
    if (describe) this.list.append(this.renderDescription(employeeName));
    this.olderButton = h('button', { type: 'button', class: 'link older', onclick: () => this.loadOlder() }, 'Load older messages');
    this.olderRow = h('li', { class: 'older-row' }, this.olderButton);
    this.emptyState = h('li', { class: 'empty-thread' }, staff
      ? 'No messages yet. Write the first reply below, or add an internal note only staff will see.'
      : 'No replies yet. Write a message below: support answers here, and you can leave this page meanwhile — the reply will be waiting.');
    this.list.append(this.olderRow, this.emptyState);
    this.scroller = h('div', { class: 'scroller', onscroll: () => this.scrolled() }, this.list);
    this.cue = h('button', { type: 'button', class: 'new-messages', hidden: true, onclick: () => this.scrollToEnd() }, 'New messages ↓');
    this.typing = h('p', { class: 'typing', 'aria-live': 'polite' });
    this.el = h('section', { class: 'chat', dataset: { ticket: ticket.id } },
      h('div', { class: 'thread-wrap' }, this.scroller, this.cue), this.typing, this.composer());

    for (const m of messages) this.add(m);
    for (const group of groupActivity(activity)) this.addEvent(group);
    // The newest id known to have been received in order: from this first page, live events
    // and catch-ups. The answer to our own post does not count: others' messages older than
    // it may still be missing, and catching up starts from here.
    this.seen = messages.reduce((max, m) => Math.max(max, m.id), 0);
    for (const item of this.outbox.items()) this.showPending(item);
    this.arrange();
    this.updateOlder();
    this.restoreDraft();
    this.listen();
    // Online: send what is queued (on every "connected", the first included). What was
    // missed before a (re)subscription is loaded when it succeeds (see listen()).
    onState((s) => { if (s === 'connected') this.outbox.flush(); });
    this.outbox.onChange(() => this.syncPendingFromStorage());
    this.outbox.flush();
    requestAnimationFrame(() => this.scrollToEnd());
    document.addEventListener('visibilitychange', () => this.markReadSoon());
    window.addEventListener('focus', () => this.markReadSoon());
  }

  /** The composer: Reply / Note tabs for staff, the reopen notice for the employee, the text
   * with its counter near the limit, and the send button. */
  composer() {
    const id = `message-${this.ticket.id}`;
    this.input = h('textarea', {
      id, name: 'message', rows: 2, required: true, placeholder: 'Type a message…',
      'aria-describedby': `counter-${this.ticket.id}`,
      onkeydown: (e) => {
        // An open list of suggestions takes its keys first (arrows, Enter, Tab, Escape).
        if (this.suggests.some((s) => s.key(e))) return;
        if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); this.form.requestSubmit(); }
      },
      oninput: (e) => this.typed(e),
      // A pasted screenshot (or any file) is attached; pasted text is typed as usual.
      onpaste: (e) => {
        const files = [...(e.clipboardData?.files || [])];
        if (files.length) { e.preventDefault(); this.tray.add(files); }
      },
    });
    this.counter = h('span', { class: 'counter', id: `counter-${this.ticket.id}`, hidden: true });
    // Lists that open from what is typed: `:smi` for emoji, and for staff `/` for canned
    // responses.
    this.suggests = [shortcodes(this.input)];
    if (this.staff) this.suggests.push(cannedSuggest(this.input, this.ticket.id));
    this.tray = new AttachmentTray(this.base);
    this.fileInput = h('input', {
      type: 'file', multiple: true, hidden: true, tabindex: '-1', 'aria-label': 'Files to attach',
      onchange: (e) => { this.tray.add([...e.target.files]); e.target.value = ''; },
    });
    this.attachButton = h('button', {
      type: 'button', class: 'attach-button', title: 'Attach files (or drop or paste them here)', 'aria-label': 'Attach files',
      onclick: () => this.fileInput.click(),
    }, '📎');
    this.emojiButton = h('button', {
      type: 'button', class: 'emoji-button', title: 'Insert an emoji', 'aria-label': 'Insert an emoji',
      'aria-haspopup': 'dialog', 'aria-expanded': 'false',
      onclick: (e) => {
        const at = { start: this.input.selectionStart, end: this.input.selectionEnd };
        pickEmoji(e.currentTarget, (emoji) => insertText(this.input, at, emoji));
      },
    }, '☺︎');
    this.submit = h('button', { type: 'submit' }, 'Send');
    this.notice = h('p', { class: 'reopen-notice', role: 'status', hidden: true });
    this.error = h('p', { class: 'form-error', role: 'alert' });
    // An internal note is for staff only: in note mode nothing is whispered on the ticket's
    // channel, which the employee is on.
    const tab = (mode, label) => h('button', {
      type: 'button', role: 'tab', class: `tab tab-${mode}`, id: `tab-${mode}-${this.ticket.id}`,
      'aria-controls': id, onclick: () => this.setMode(mode),
      onkeydown: (e) => {
        if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
        this.setMode(mode === 'reply' ? 'note' : 'reply');
        this.tabs[this.mode].focus();
      },
    }, label);
    this.tabs = this.staff ? { reply: tab('reply', 'Reply'), note: tab('note', 'Note') } : null;
    this.form = h('form', {
      class: 'composer', onsubmit: (e) => { e.preventDefault(); this.send(); },
      ondragover: (e) => { if (e.dataTransfer?.types?.includes('Files')) { e.preventDefault(); this.form.classList.add('dropping'); } },
      ondragleave: () => this.form.classList.remove('dropping'),
      ondrop: (e) => {
        this.form.classList.remove('dropping');
        const files = [...(e.dataTransfer?.files || [])];
        if (files.length) { e.preventDefault(); this.tray.add(files); }
      },
    },
      this.tabs ? h('div', { class: 'composer-tabs', role: 'tablist', 'aria-label': 'Write a' }, this.tabs.reply, this.tabs.note) : null,
      this.notice,
      h('label', { for: id, class: 'visually-hidden' }, 'Message'),
      this.input,
      this.suggests.map((x) => x.el),
      this.tray.el,
      h('div', { class: 'composer-actions' }, this.attachButton, this.fileInput, this.emojiButton, this.counter, this.submit),
      this.error);
    this.setMode('reply');
    this.updateNotice();
    return this.form;
  }

  /** Switches between a public reply and an internal note (staff). */
  setMode(mode) {
    if (!this.staff) mode = 'reply';
    this.mode = mode;
    const note = mode === 'note';
    this.form.classList.toggle('note', note);
    if (this.tabs) {
      for (const [m, el] of Object.entries(this.tabs)) {
        el.setAttribute('aria-selected', String(m === mode));
        el.tabIndex = m === mode ? 0 : -1;
      }
    }
    this.submit.textContent = note ? 'Add note' : 'Send';
    this.input.placeholder = note ? 'Internal note: only staff will see it…' : 'Type a message…';
    if (note) this.stopTyping(); else this.sendTyping();
    if (this.input.value) this.saveDraft();
  }

  /** The employee is told before sending that a reply reopens a resolved or closed ticket. */
  updateNotice() {
    const s = this.ticket.status;
    const done = !this.staff && (s === 'resolved' || s === 'closed');
    this.notice.hidden = !done;
    this.notice.textContent = done ? `This ticket is ${s}. Replying will reopen it.` : '';
  }

  typed(e) {
    this.sendTyping();
    this.saveDraft();
    const n = this.updateCounter();
    if (n > LIMIT && e?.inputType === 'insertFromPaste') {
      this.error.textContent = `What you pasted makes the message ${count.format(n)} characters long; the limit is ${count.format(LIMIT)}. Shorten it to send it.`;
    } else if (n <= LIMIT) {
      this.error.textContent = '';
    }
  }

  /** Shows "1,950 / 2,000" from 1,800 characters on; over the limit it says by how much. */
  updateCounter() {
    const n = length(this.input.value);
    this.counter.hidden = n < COUNT_FROM;
    this.counter.classList.toggle('over', n > LIMIT);
    this.counter.textContent = n > LIMIT
      ? `${count.format(n)} / ${count.format(LIMIT)}: ${count.format(n - LIMIT)} too many`
      : `${count.format(n)} / ${count.format(LIMIT)}`;
    return n;
  }

  // ----- drafts ----------------------------------------------------------------------------

  saveDraft() {
    if (!this.input) return;
    if (this.input.value) storage.setItem(this.draftKey, JSON.stringify({ text: this.input.value, mode: this.mode }));
    else storage.removeItem(this.draftKey);
  }

  restoreDraft() {
    let draft = null;
    try { draft = JSON.parse(storage.getItem(this.draftKey) || 'null'); } catch { draft = null; }
    if (!draft?.text) return;
    this.input.value = draft.text;
    this.setMode(draft.mode === 'note' ? 'note' : 'reply');
    this.updateCounter();
  }

  listen() {
    const channel = echo.private(`support.ticket.${this.ticket.id}`);
    this.channel = channel;
    // Everything posted before the subscription took effect (between the page's first read and
    // now, or while the connection was away) is fetched once it does; later messages arrive
    // live. Ids are the same in both, so nothing shows twice.
    channel.subscribed(() => this.catchUp());
    channel.listen('.chat.message', (d) => this.receive(fromEvent(d), { inOrder: true }));
    channel.listen('.ticket.updated', (d) => this.setTicket(d.ticket, { changes: d.changes, actor: d.actor, at: d.at }));
    channel.listen('.message.read', (d) => this.read(d));
    channel.listen('.message.reaction', (d) => this.reactions.event(d));
    onWhisper(channel.name, 'typing', (d, userId) => this.showTyping(d, userId));
    if (this.staff) {
      // Internal notes never travel on the ticket's channel; staff get them on the admin one.
      echo.private('support.admin')
        .subscribed(() => this.catchUp())
        .listen('.message.created', (d) => {
          if (d.ticket_id === this.ticket.id) this.receive(fromEvent(d), { inOrder: true });
        })
        // A note's reactions travel only here.
        .listen('.message.reaction', (d) => {
          if (d.ticket_id === this.ticket.id) this.reactions.event(d);
        });
    }
  }

  // ----- showing messages -----------------------------------------------------------------

  nearEnd() {
    return this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 80;
  }

  scrollToEnd() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.cue.hidden = true;
    this.markReadSoon();
  }

  scrolled() {
    if (this.scroller.scrollTop < 40) this.loadOlder();
    if (this.nearEnd()) { this.cue.hidden = true; this.markReadSoon(); }
  }

  // ----- read state ------------------------------------------------------------------------

  /** Whether the user can see the end of this thread now: the tab is visible, the thread is
   * on screen (not in a closed widget or a hidden live chat) and scrolled to the bottom. */
  endInView() {
    return document.visibilityState === 'visible' && this.el.isConnected
      && this.el.getClientRects().length > 0 && this.nearEnd();
  }

  /** Marks the thread read up to its newest message shortly, if its end is in view. */
  markReadSoon() {
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => this.markRead(), READ_AFTER_MS);
  }

  /** Tells the server this user read up to the newest message shown (never backwards). */
  async markRead() {
    if (!this.readSupported || !this.endInView()) return;
    // Only others' messages can be unread: this user's own never make a read worth sending.
    let newest = 0;
    let newestOthers = 0;
    for (const [id, { m }] of this.items) {
      newest = Math.max(newest, id);
      if (m.author_id !== this.me.id) newestOthers = Math.max(newestOthers, id);
    }
    if (newestOthers <= this.readUpTo) return;
    const before = this.readUpTo;
    this.readUpTo = newest;
    try {
      await api('POST', `${this.base}/read`, { message_id: newest });
      window.dispatchEvent(new CustomEvent('support:read', { detail: { ticketId: this.ticket.id, messageId: newest } }));
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 405)) this.readSupported = false;
      else this.readUpTo = before;
    }
  }

  /** A `message.read` event: the other side read up to `message_id`. */
  read(d) {
    if (!d || d.ticket_id !== this.ticket.id) return;
    const other = this.staff ? 'employee' : 'support';
    if (d.reader_type === other && d.message_id > this.theirRead) {
      this.theirRead = d.message_id;
      this.drawSeen();
    }
  }

  /** "Seen" under the latest public message of this side (the employee's own, or staff's
   * latest reply) once the other side has read it. */
  drawSeen() {
    for (const el of this.list.querySelectorAll('.seen')) el.remove();
    const side = this.staff ? 'support' : 'employee';
    const mine = [...this.list.querySelectorAll(`li.message.${side}:not(.pending):not(.internal)`)];
    const last = mine[mine.length - 1];
    if (last && this.theirRead >= Number(last.dataset.id)) last.append(h('p', { class: 'seen' }, 'Seen'));
  }

  // ----- event lines -----------------------------------------------------------------------

  /** After the employee's reply on a resolved or closed ticket, which reopens it: the ticket
   * as it is now (this page's own change does not come back to it as an event). */
  async reopened(reply) {
    if (this.staff || !['resolved', 'closed'].includes(this.ticket.status)) return;
    try {
      const { data } = await api('GET', this.base);
      this.setTicket(data.ticket, { actor: { id: this.me.id, full_name: this.me.name }, at: reply?.created_at || new Date().toISOString() });
    } catch {
      // The live event or the next visit shows it.
    }
  }

  /** The ticket changed (a live event, or this page's own update with `actor` = this user):
   * draws its event lines and tells the page. An update that changes nothing shown is
   * ignored (this page's own change arriving a second time). */
  setTicket(ticket, { changes, actor, at } = {}) {
    if (!ticket || ticket.id !== this.ticket.id) return;
    const diff = diffTicket(this.ticket, ticket);
    if (this.ticket.version != null && ticket.version != null && ticket.version < this.ticket.version) return;
    this.ticket = ticket;
    this.updateNotice();
    if (diff.length) {
      this.addEvent({ actor: actor || null, at: at || ticket.updated_at || new Date().toISOString(), changes: changes?.length ? changes : diff });
      this.arrange();
      if (this.nearEnd()) this.scrollToEnd();
    }
    this.onTicket(ticket, changes);
  }

  nameOf(id) {
    return id == null ? null : this.names.get(String(id)) || null;
  }

  /** Adds the lines of one group of changes; `arrange` puts them in time order. */
  addEvent(group) {
    const lines = describeChanges(group, { nameOf: (id) => this.nameOf(id), employeeId: this.ticket.employee_id });
    for (const text of lines) {
      const li = h('li', { class: 'entry event-line', role: 'note', dataset: { at: group.at } },
        h('span', { class: 'event-text' }, text), ' ', ago(group.at));
      this.list.insertBefore(li, this.list.querySelector('li.pending'));
    }
  }

  /** Puts each event line after the messages written before it. An event older than every
   * loaded message waits hidden until older messages load (it belongs among them). */
  placeEvents() {
    const events = [...this.list.querySelectorAll('li.event-line')];
    if (!events.length) return;
    const messages = [...this.list.querySelectorAll('li.message:not(.pending)')];
    const firstAt = messages.length ? new Date(messages[0].dataset.at) : null;
    for (const ev of events) {
      const at = new Date(ev.dataset.at);
      ev.hidden = this.hasOlder && firstAt && at < firstAt;
      // In document order, so the lines of one moment keep the order they were written in.
      const next = messages.find((m) => new Date(m.dataset.at) > at) || this.list.querySelector('li.pending');
      this.list.insertBefore(ev, next);
    }
  }

  /** The ticket's description, drawn as the employee's first message. */
  renderDescription(employeeName) {
    const t = this.ticket;
    const mine = t.employee_id === this.me.id;
    return h('li', { class: `entry description-item ${mine ? 'mine' : 'theirs'}`, dataset: { at: t.created_at } },
      h('div', { class: 'meta' },
        h('span', { class: 'author' }, employeeName || (mine ? this.me.name : 'Employee')),
        h('span', { class: 'description-label' }, 'Description'),
        ago(t.created_at)),
      h('p', { class: 'content' }, linkify(t.description || '')));
  }

  render(m) {
    const mine = m.author_id === this.me.id;
    return h('li', {
      class: ['entry message', mine ? 'mine' : 'theirs', m.is_internal ? 'internal' : '', m.author_type].join(' '),
      dataset: { id: m.id, author: m.author_type, at: m.created_at },
    },
    h('div', { class: 'meta' },
      h('span', { class: 'author' }, m.author?.full_name || (m.author_type === 'support' ? 'Support' : 'Employee')),
      m.is_internal ? h('span', { class: 'internal-label' }, 'Internal note') : null,
      ago(m.created_at)),
    h('p', { class: 'content' }, linkify(m.content)),
    attachmentList(m.attachments),
    m.id ? this.reactions.bar(m) : null);
  }

  /** Adds a message in id order; a message already shown is ignored. Call `arrange` after. */
  add(m) {
    if (m.author_id != null && m.author?.full_name) this.names.set(String(m.author_id), m.author.full_name);
    if (this.items.has(m.id)) return false;
    const li = this.render(m);
    this.items.set(m.id, { m, li });
    let next = null;
    for (const node of this.list.querySelectorAll('li.message:not(.pending)')) {
      if (Number(node.dataset.id) > m.id) { next = node; break; }
    }
    if (next) this.list.insertBefore(li, next);
    else {
      const firstPending = this.list.querySelector('li.pending');
      this.list.insertBefore(li, firstPending);
    }
    return true;
  }

  /** Puts a day separator ("Today", "Yesterday", "Mon 30 Nov") before each day's first item,
   * and the empty state where there is no message. */
  arrange() {
    this.placeEvents();
    for (const sep of this.list.querySelectorAll('li.day-separator')) sep.remove();
    let day = null;
    for (const li of [...this.list.querySelectorAll('li.entry')]) {
      if (!li.dataset.at || li.hidden) continue;
      const key = dayKey(new Date(li.dataset.at));
      if (key === day) continue;
      day = key;
      const sep = h('li', { class: 'day-separator', role: 'separator' }, h('span', { dataset: { day: key } }));
      this.list.insertBefore(sep, li);
    }
    refreshDays(this.list);
    this.emptyState.hidden = !!this.list.querySelector('li.message');
    this.drawSeen();
  }

  /** A message that arrived live (`inOrder`), by catching up, or as the answer to a post. */
  receive(m, { inOrder = false } = {}) {
    if (m.ticket_id !== undefined && m.ticket_id !== this.ticket.id) return;
    if (inOrder) this.seen = Math.max(this.seen, m.id);
    const atEnd = this.nearEnd();
    const added = this.add(m);
    if (added) this.arrange();
    if (added && atEnd) this.scrollToEnd();
    else if (added && m.author_id !== this.me.id) this.cue.hidden = false;
    if (m.author_id !== this.me.id) this.hideTyping();
  }

  /**
   * Loads every message newer than the newest received in order (`seen`). A call while one is
   * loading makes it read once more when done: what that caller must see may be newer than
   * its first read.
   */
  async catchUp() {
    if (this.catching) {
      this.catchAgain = true;
      return this.catching;
    }
    this.catching = (async () => {
      try {
        do {
          this.catchAgain = false;
          let after = this.seen;
          for (;;) {
            const { data } = await api('GET', `${this.base}/messages?after=${after}&limit=${PAGE}`);
            for (const m of data) this.receive(m);
            if (data.length) after = Math.max(after, data[data.length - 1].id);
            if (data.length < PAGE) break;
          }
          this.seen = Math.max(this.seen, after);
          // A change of the ticket made before the channel was joined (or while the
          // connection was down) came as no event: read the ticket as it is now.
          const { data: view } = await api('GET', this.base);
          if (view?.ticket) this.setTicket(view.ticket);
        } while (this.catchAgain);
      } catch (e) {
        if (!(e instanceof NetworkError)) throw e;
      } finally {
        this.catching = null;
      }
    })();
    return this.catching;
  }

  updateOlder() {
    this.olderButton.hidden = !this.hasOlder;
    this.olderRow.hidden = !this.hasOlder;
  }

  /** Loads the page of messages before the oldest shown, keeping the view where it was. */
  async loadOlder() {
    if (!this.hasOlder || this.loadingOlder) return;
    this.loadingOlder = true;
    this.olderButton.textContent = 'Loading…';
    try {
      let first = Infinity;
      for (const id of this.items.keys()) first = Math.min(first, id);
      const { data } = await api('GET', `${this.base}/messages?before=${first}&limit=${OLDER_PAGE}`);
      // What is on screen stays where it is: the distance from the bottom is kept.
      const from = this.scroller.scrollHeight - this.scroller.scrollTop;
      for (const m of data) this.add(m);
      this.hasOlder = data.length === OLDER_PAGE;
      this.arrange();
      this.scroller.scrollTop = this.scroller.scrollHeight - from;
    } catch (e) {
      if (!(e instanceof NetworkError)) throw e;
    } finally {
      this.loadingOlder = false;
      this.olderButton.textContent = 'Load older messages';
      this.updateOlder();
    }
  }

  // ----- typing ---------------------------------------------------------------------------

  /** Tells the others this user is typing; the server adds who. Never for an internal note. */
  sendTyping() {
    const now = Date.now();
    if (this.mode === 'note') return;
    if (now - this.lastTypingSent < TYPING_SENT_EVERY_MS || !this.input.value.trim()) return;
    this.lastTypingSent = now;
    this.whisperTyping(true);
  }

  /** Tells the others this user stopped typing, if they were told it started. */
  stopTyping() {
    if (!this.lastTypingSent) return;
    this.lastTypingSent = 0;
    this.whisperTyping(false);
  }

  whisperTyping(typing) {
    try {
      this.channel.whisper('typing', { typing });
    } catch {
      // Not subscribed yet or offline: the indicator is a courtesy, the message is what counts.
    }
  }

  /** The name to show for user `id` (a string): the one this page knows, else a label. */
  nameFor(id) {
    const known = this.names.get(id);
    if (known) return known;
    // Only the ticket's employee and staff can be on its channel: to the employee, anyone
    // else is support.
    return this.staff ? 'Someone' : 'Support';
  }

  showTyping(d, userId) {
    if (!d || userId === String(this.me.id)) return;
    if (d.typing === false) { this.hideTyping(); return; }
    this.typing.textContent = `${this.nameFor(userId)} is typing…`;
    this.typing.classList.add('shown');
    this.onTyping(userId, true);
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), TYPING_SHOWN_MS);
  }

  hideTyping() {
    clearTimeout(this.typingTimer);
    this.typing.textContent = '';
    this.typing.classList.remove('shown');
    this.onTyping(null, false);
  }

  // ----- sending ---------------------------------------------------------------------------

  send() {
    const text = this.input.value;
    this.error.textContent = '';
    if (!text.trim()) {
      this.error.textContent = this.mode === 'note' ? 'Write the note first.' : 'Type a message first.';
      return;
    }
    const n = length(text.trim());
    if (n > LIMIT) {
      this.error.textContent = `The message is ${count.format(n - LIMIT)} characters too long: the limit is ${count.format(LIMIT)}.`;
      return;
    }
    if (this.tray.busy()) {
      this.error.textContent = 'Wait for the files to finish uploading.';
      return;
    }
    const files = this.tray.ready();
    const item = this.outbox.add({ text, internal: this.mode === 'note', files });
    this.tray.clear();
    this.input.value = '';
    storage.removeItem(this.draftKey);
    this.updateCounter();
    this.stopTyping();
    this.showPending(item);
    this.scrollToEnd();
    this.outbox.flush();
  }

  /** Posts one queued message: a note through `comment`, a chat message through `chat`. */
  async post(item) {
    const body = item.internal ? { content: item.text, is_internal: true } : { message: item.text };
    if (item.files?.length) body.attachments = item.files.map((f) => f.id);
    const path = item.internal ? `${this.base}/comment` : `${this.base}/chat`;
    const { data } = await api('POST', path, body, { idempotencyKey: item.key });
    return data;
  }

  pendingItem(key) {
    return this.list.querySelector(`li.pending[data-key="${CSS.escape(key)}"]`);
  }

  showPending(item) {
    if (this.pendingItem(item.key)) return;
    const li = this.render({
      id: 0, author_id: this.me.id, author_type: this.staff ? 'support' : 'employee',
      author: { full_name: this.me.name }, content: item.text, is_internal: item.internal, created_at: item.at,
      attachments: item.files || [],
    });
    li.classList.add('pending');
    li.dataset.key = item.key;
    delete li.dataset.id;
    li.append(h('p', { class: 'state' }, 'Sending…'));
    this.list.append(li);
    this.arrange();
  }

  /** Another tab of this user sent (or queued) messages of this ticket. */
  syncPendingFromStorage() {
    const keys = new Set(this.outbox.items().map((i) => i.key));
    for (const li of this.list.querySelectorAll('li.pending')) {
      if (!keys.has(li.dataset.key) && !li.classList.contains('failed')) li.remove();
    }
    for (const item of this.outbox.items()) this.showPending(item);
    this.arrange();
  }

  setPendingState(text, waiting) {
    for (const li of this.list.querySelectorAll('li.pending:not(.failed) .state')) {
      li.textContent = text;
      li.parentElement.classList.toggle('waiting', waiting);
    }
  }

  /** Refused (e.g. 422): the text stays on screen with the reason; it is not retried. */
  showRefused(item, e) {
    const li = this.pendingItem(item.key);
    if (!li) return;
    li.classList.add('failed');
    replace(li.querySelector('.state'), `Not sent: ${e instanceof ApiError ? e.message : String(e)} `,
      h('button', { type: 'button', class: 'link', onclick: () => { li.remove(); this.arrange(); } }, 'Dismiss'));
  }
}
