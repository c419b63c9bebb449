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
      h('span', { class: 'category' }, LABELS.category[t.category] || t.category)));
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A `<time>` element for an RFC 3339 timestamp: the time of day for today, else date and time. */
export function time(iso) {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return h('time', { datetime: iso, title: dateTimeFormat.format(d) }, today ? timeFormat.format(d) : dateTimeFormat.format(d));
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
