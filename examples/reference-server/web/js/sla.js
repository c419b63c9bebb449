// SLA clocks on the staff dashboard: for each active ticket the clock that matters now (first
// response until staff answered, then resolution), as time left or time overdue, kept ticking
// without refetching. Overdue reads "overdue" in words as well as in red.

import { h } from './dom.js';

const TICK_MS = 1000;
let ticking = null;

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function spanText(ms) {
  const s = Math.floor(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return `${hours} h${m % 60 ? ` ${m % 60} min` : ''}`;
  const days = Math.floor(hours / 24);
  return `${days} d${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

/** The clock that matters now for ticket `t`: `{clock, due, paused}`, or null without one. */
export function currentClock(t) {
  const sla = t.sla || {};
  if (!t.first_response_at && sla.first_response_due) {
    return { clock: 'first_response', due: sla.first_response_due, paused: false };
  }
  if (sla.resolution_due) {
    return { clock: 'resolution', due: sla.resolution_due, paused: !!sla.paused_since, since: sla.paused_since };
  }
  return null;
}

const NAMES = { first_response: 'First response', resolution: 'Resolution' };

/** What the SLA cell says at `now`: the clock's name, the state (`due in 3 h`, `overdue by
 * 5 min`, `2 h left, paused`), and whether it is overdue. */
export function slaText(c, now = Date.now()) {
  const name = NAMES[c.clock];
  if (c.paused) {
    // Paused: the time that was left when the clock stopped.
    const left = new Date(c.due) - new Date(c.since);
    return left < 0
      ? { name, state: `overdue by ${spanText(left)}, paused`, overdue: true }
      : { name, state: `${spanText(left)} left, paused`, overdue: false };
  }
  const left = new Date(c.due) - now;
  return left < 0
    ? { name, state: `overdue by ${spanText(left)}`, overdue: true }
    : { name, state: `due in ${spanText(left)}`, overdue: false };
}

function draw(el, now) {
  const c = { clock: el.dataset.clock, due: el.dataset.due, paused: el.dataset.paused === 'true', since: el.dataset.since };
  const { name, state, overdue } = slaText(c, now);
  // Two lines in a narrow column; read as one sentence ("First response overdue by 5 min").
  el.replaceChildren(h('span', { class: 'sla-name' }, name), ' ', h('span', { class: 'sla-state' }, state));
  el.classList.toggle('overdue', overdue || el.dataset.breached === 'true');
  el.closest('tr')?.classList.toggle('sla-overdue', overdue || el.dataset.breached === 'true');
}

/** Redraws every SLA clock on the page. */
export function refreshClocks(now = Date.now()) {
  for (const el of document.querySelectorAll('[data-sla-clock]')) draw(el, now);
}

/** The SLA cell's content for ticket `t`: a ticking clock, or a dash when it has none. */
export function slaClock(t) {
  const c = currentClock(t);
  if (!c) return h('span', { class: 'sla none', title: 'No SLA clock' }, '—');
  ticking ||= setInterval(() => refreshClocks(), TICK_MS);
  const breached = t.sla.breached && (c.clock === 'first_response' ? t.sla.first_response_breached : t.sla.resolution_breached);
  const el = h('span', {
    class: 'sla',
    title: `${NAMES[c.clock]} due ${new Date(c.due).toLocaleString()}`,
    dataset: { slaClock: '', clock: c.clock, due: c.due, paused: String(c.paused), since: c.since || '', breached: String(!!breached) },
  });
  draw(el, Date.now());
  return el;
}

/** Marks ticket `id`'s clock as breached now (an `sla.breached` event). */
export function markBreached(root, id, clock) {
  for (const el of root.querySelectorAll(`tr[data-ticket="${Number(id)}"] [data-sla-clock]`)) {
    if (el.dataset.clock === clock) el.dataset.breached = 'true';
    draw(el, Date.now());
  }
}
