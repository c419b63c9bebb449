// Building the page. Every piece of user text goes in as a text node (never as HTML), so a
// subject or message that looks like markup shows exactly as it was typed.

/** Creates an element. `attrs` sets properties or attributes (`on*` adds listeners, `class`
 * sets the class, `dataset` copies data-* values); children are nodes, strings (made text
 * nodes), arrays, or null/false (skipped). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name in el && typeof value !== 'string') {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children as `h` does. */
export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export const LABELS = {
  status: { open: 'Open', in_progress: 'In progress', pending: 'Pending', resolved: 'Resolved', closed: 'Closed' },
  priority: { low: 'Low', medium: 'Medium', high: 'High', urgent: 'Urgent' },
  category: { it: 'IT', hr: 'HR', payroll: 'Payroll', benefits: 'Benefits', facilities: 'Facilities', other: 'Other' },
};

/** A coloured badge for a status or priority value. */
export function badge(kind, value) {
  return h('span', { class: `badge ${kind}-${value}`, dataset: { [kind]: value } }, LABELS[kind][value] || value);
}

/** The ticket's heading: number, subject, status, priority, category. */
export function ticketHead(t) {
  return h('div', { class: 'ticket-head' },
    h('p', { class: 'number' }, t.ticket_number),
    h('h1', {}, t.subject),
    h('p', { class: 'badges' }, badge('status', t.status), ' ', badge('priority', t.priority), ' ',
      h('span', { class: 'category' }, LABELS.category[t.category] || t.category),
      t.archived_at ? [' ', h('span', { class: 'archived-badge', title: 'Closed long ago: out of the lists. A reply reopens it.' }, 'Archived')] : null));
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A `<time>` element for an RFC 3339 timestamp: the time of day for today, else date and time. */
export function time(iso) {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return h('time', { datetime: iso, title: dateTimeFormat.format(d) }, today ? timeFormat.format(d) : dateTimeFormat.format(d));
}

// ----- times that read as people say them --------------------------------------------------

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const weekdayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric' });
const monthFormat = new Intl.DateTimeFormat(undefined, { month: 'short' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

function startOfDay(d) {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

/** Whole calendar days from `d` to `now` (0 today, 1 yesterday), in the browser's time zone. */
function daysAgo(d, now = new Date()) {
  return Math.round((startOfDay(now) - startOfDay(d)) / 86400000);
}

/** A calendar day as a thread's separator names it: "Today", "Yesterday", "Mon 30 Nov"
 * (with the year when it is not this one). */
export function dayLabel(d, now = new Date()) {
  const days = daysAgo(d, now);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  const year = d.getFullYear() === now.getFullYear() ? '' : ` ${d.getFullYear()}`;
  return `${weekdayFormat.format(d)} ${dayFormat.format(d)} ${monthFormat.format(d)}${year}`;
}

/** A moment as a conversation says it: "just now", "2 min ago", "14:03" (earlier today),
 * "yesterday 14:03", then "Mon 30 Nov 14:03". */
export function agoText(d, now = new Date()) {
  const seconds = (now - d) / 1000;
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  const days = daysAgo(d, now);
  if (days === 0) return clockFormat.format(d);
  if (days === 1) return `yesterday ${clockFormat.format(d)}`;
  return `${dayLabel(d, now)} ${clockFormat.format(d)}`;
}

/** The local calendar day of `d` as `YYYY-MM-DD`, for grouping a thread by day. */
export function dayKey(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

let ticking = null;

/** Names the day separators under `root` ("Today" becomes "Yesterday" at midnight). */
export function refreshDays(root = document, now = new Date()) {
  for (const el of root.querySelectorAll('[data-day]')) {
    const [y, m, d] = el.dataset.day.split('-').map(Number);
    el.textContent = dayLabel(new Date(y, m - 1, d), now);
  }
}

/** Redraws every relative time and day separator on the page (they age as the page stays open). */
export function refreshTimes() {
  const now = new Date();
  for (const el of document.querySelectorAll('time[data-ago]')) el.textContent = agoText(new Date(el.dateTime), now);
  for (const el of document.querySelectorAll('time[data-waiting]')) el.textContent = `waiting ${waitedText(new Date(el.dateTime), now)}`;
  refreshDays(document, now);
}

/** How long someone has waited since `d`: "12 min", "2 h 5 min", "3 days". */
export function waitedText(d, now = new Date()) {
  const minutes = Math.max(0, Math.floor((now - d) / 60000));
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  const days = Math.floor(minutes / (24 * 60));
  return days === 1 ? '1 day' : `${days} days`;
}

/** "waiting 12 min" since `iso` (a ticket's `waiting_since`), kept current once a minute;
 * nothing when `iso` is null. */
export function waiting(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  ticking ||= setInterval(refreshTimes, 60000);
  return h('time', { class: 'waiting', datetime: iso, title: `Waiting since ${fullFormat.format(d)}`, dataset: { waiting: '' } },
    `waiting ${waitedText(d)}`);
}

/** A `<time>` that reads relatively ("2 min ago") with the full date on hover (`title`),
 * kept current once a minute. */
export function ago(iso) {
  const d = new Date(iso);
  ticking ||= setInterval(refreshTimes, 60000);
  return h('time', { datetime: iso, title: fullFormat.format(d), dataset: { ago: '' } }, agoText(d));
}

// ----- links in message text -------------------------------------------------------------

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'")\]}>*]+$/;

/**
 * Message text as nodes: http and https addresses become links that open in a new tab
 * (`rel="noopener noreferrer"`); everything else, other schemes included, stays text. Returns
 * text nodes and `<a>` elements, never parsed HTML.
 */
export function linkify(value) {
  const text = String(value);
  const nodes = [];
  let at = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    let url = match[0];
    // Punctuation that ends a sentence is not part of the address; a closing bracket is, when
    // the address opened one ("https://en.wikipedia.org/wiki/Rust_(language)").
    const tail = url.match(TRAILING);
    if (tail) {
      let keep = url.slice(0, url.length - tail[0].length);
      for (const ch of tail[0]) {
        const open = { ')': '(', ']': '[', '}': '{' }[ch];
        if (open && keep.split(open).length > keep.split(ch).length) keep += ch;
        else break;
      }
      url = keep;
    }
    let parsed = null;
    try { parsed = new URL(url); } catch { parsed = null; }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || !parsed.hostname) continue;
    if (match.index > at) nodes.push(document.createTextNode(text.slice(at, match.index)));
    nodes.push(h('a', { href: parsed.href, target: '_blank', rel: 'noopener noreferrer' }, url));
    at = match.index + url.length;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}

/** A select of an enum's values, with an optional empty first choice. */
export function select(kind, { id, name, value, empty } = {}) {
  return h('select', { id, name: name || kind },
    empty !== undefined ? h('option', { value: '' }, empty) : null,
    Object.entries(LABELS[kind]).map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

/** A short-lived announcement in the corner (`role=status`, read by screen readers), below
 * the header so it never covers the header's links (signing out). */
export function toast(message, { urgent = false, href } = {}) {
  let area = document.getElementById('toasts');
  if (!area) {
    area = h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite' });
    document.body.append(area);
  }
  const header = document.querySelector('body > header');
  if (header) area.style.top = `${Math.max(header.getBoundingClientRect().bottom, 0) + 8}px`;
  const item = h('div', { class: urgent ? 'toast urgent' : 'toast', role: urgent ? 'alert' : 'status' },
    href ? h('a', { href }, message) : message,
    h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss', onclick: () => item.remove() }, '×'));
  area.append(item);
  setTimeout(() => item.remove(), urgent ? 20000 : 8000);
  return item;
}
