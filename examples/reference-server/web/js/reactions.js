// Reactions under each message: every emoji with its count, the user's own highlighted
// (pressed), a click to add or take back, and a button that opens the emoji picker. Counts
// follow `message.reaction` events live.

import { api, failureNotice } from './api.js';
import { h, replace } from './dom.js';
import { pickEmoji } from './emoji.js';

const count = new Intl.NumberFormat();

export class Reactions {
  /**
   * @param {object} o
   * @param {string} o.base the ticket's API path on this side (`/employee/portal/support/7`)
   * @param {object} o.me the signed-in user ({id})
   */
  constructor({ base, me }) {
    this.base = base;
    this.me = me;
    /** message id → { list: [{emoji, count, mine}], el } */
    this.byMessage = new Map();
  }

  /** The bar under message `m` (from its `reactions`). */
  bar(m) {
    const el = h('div', { class: 'reactions', role: 'group', 'aria-label': 'Reactions' });
    const entry = this.byMessage.get(m.id) || { list: (m.reactions || []).map((r) => ({ ...r })) };
    entry.el = el;
    this.byMessage.set(m.id, entry);
    this.draw(m.id);
    return el;
  }

  draw(id) {
    const entry = this.byMessage.get(id);
    if (!entry?.el) return;
    const shown = entry.list.filter((r) => r.count > 0);
    const add = h('button', {
      type: 'button', class: 'add-reaction', title: 'Add a reaction', 'aria-label': 'Add a reaction',
      'aria-haspopup': 'dialog', 'aria-expanded': 'false',
      onclick: (e) => pickEmoji(e.currentTarget, (emoji) => this.toggle(id, emoji, true)),
    }, '☺︎+');
    replace(entry.el, shown.map((r) => h('button', {
      type: 'button', class: `reaction${r.mine ? ' mine' : ''}`, 'aria-pressed': String(!!r.mine),
      dataset: { emoji: r.emoji },
      title: r.mine ? 'You reacted: click to take it back' : 'React with this too',
      'aria-label': `${r.emoji} ${count.format(r.count)} ${r.count === 1 ? 'reaction' : 'reactions'}${r.mine ? ', including yours' : ''}`,
      onclick: () => this.toggle(id, r.emoji, !r.mine),
    }, h('span', { class: 'reaction-emoji' }, r.emoji), h('span', { class: 'reaction-count' }, count.format(r.count)))), add);
    entry.el.classList.toggle('has-reactions', shown.length > 0);
  }

  /** Sets one emoji's state on a message (as an answer or an event says). */
  set(id, emoji, countNow, mine) {
    const entry = this.byMessage.get(id);
    if (!entry) return;
    let r = entry.list.find((x) => x.emoji === emoji);
    if (!r) { r = { emoji, count: 0, mine: false }; entry.list.push(r); }
    r.count = countNow;
    if (mine !== undefined) r.mine = mine;
    this.draw(id);
  }

  /** Adds (`add`) or takes back this user's `emoji` on message `id`. */
  async toggle(id, emoji, add) {
    const path = `${this.base}/messages/${id}/reactions`;
    try {
      const { data } = add
        ? await api('POST', path, { emoji })
        : await api('DELETE', `${path}/${encodeURIComponent(emoji)}`);
      this.set(id, data.emoji, data.count, data.mine);
    } catch (e) {
      const entry = this.byMessage.get(id);
      this.draw(id);
      entry?.el?.append(failureNotice(e, () => this.toggle(id, emoji, add)));
    }
  }

  /** A `message.reaction` event. */
  event(d) {
    if (!d) return;
    const mine = String(d.user_id) === String(this.me.id) ? !!d.added : undefined;
    this.set(d.message_id, d.emoji, d.count, mine);
  }
}
