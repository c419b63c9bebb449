// Who else of the staff has a ticket open: the ticket's presence channel
// (`presence-support.ticket.{id}.staff`, staff only; each member's `user_info` is
// `{name, role}`), drawn as initials and "Sam Support is viewing".

import { h, replace } from './dom.js';
import { echo } from './realtime.js';

/** "Sam Support" → "SS". */
export function initials(name) {
  return String(name || '?').split(/\s+/).filter(Boolean).slice(0, 2).map((w) => [...w][0].toUpperCase()).join('') || '?';
}

function sentence(names) {
  if (names.length === 1) return `${names[0]} is viewing`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are viewing`;
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are viewing`;
}

/**
 * Joins the staff presence of ticket `ticketId` as `me`; `el` shows the others (hidden when
 * nobody else is there). `leave()` stops showing this user there, `join()` starts again (the
 * live chat leaves the tickets it is not showing).
 */
export class StaffPresence {
  constructor(ticketId, me) {
    this.name = `support.ticket.${ticketId}.staff`;
    this.me = String(me.id);
    this.typing = new Set();
    this.el = h('div', { class: 'presence', role: 'status', 'aria-live': 'polite', hidden: true });
    this.channel = null;
    this.join();
  }

  join() {
    if (this.channel) return;
    try {
      this.channel = echo.join(this.name);
      const draw = () => this.draw();
      this.channel.here(draw).joining(draw).leaving(draw);
    } catch {
      this.channel = null;
    }
  }

  leave() {
    if (!this.channel) return;
    echo.leave(this.name);
    this.channel = null;
    this.draw();
  }

  /** Marks user `id` (a string) as typing or not, beside their initials; `null` clears all. */
  setTyping(id, typing) {
    if (id == null) this.typing.clear();
    else if (typing) this.typing.add(id);
    else this.typing.delete(id);
    this.draw();
  }

  others() {
    const members = this.channel?.subscription?.members;
    const seen = [];
    members?.each?.((m) => {
      if (String(m.id) !== this.me) seen.push({ id: String(m.id), name: m.info?.name || 'Someone', role: m.info?.role });
    });
    return seen;
  }

  draw() {
    const others = this.others();
    this.el.hidden = others.length === 0;
    if (!others.length) { this.el.replaceChildren(); return; }
    replace(this.el,
      h('span', { class: 'avatars' }, others.map((o) => h('span', {
        class: this.typing.has(o.id) ? 'avatar typing' : 'avatar', title: o.name, 'aria-hidden': 'true',
      }, initials(o.name)))),
      h('span', { class: 'viewing' }, sentence(others.map((o) => o.name))));
  }
}
