// Alerts that reach someone busy elsewhere: a new message from the other side on one of the
// tickets they care about shows a toast (linking to the ticket), counts in the page title
// ("(3) Live support", reset when they look at the page again), plays a short sound, and, while
// the tab is hidden and they allowed it, raises a desktop notification.
//
// Staff hear of every new ticket and every employee message on any ticket (the staff channel
// `private-support.admin` carries `ticket.created` and `message.created`). An internal note by
// another agent only toasts: it is for reading, not for waking anyone. Employees hear of staff
// replies on their active tickets: the 20 most recent open, in-progress or pending ones of
// their list's first page, plus any they open from this page. Nobody is alerted of their own
// messages, nor of the ticket they are looking at while the tab is visible.
//
// Each of toast, sound and desktop notification can be turned off; the choice is kept per user.

import { api } from './api.js';
import { h, toast } from './dom.js';
import { echo } from './realtime.js';
import { storage } from './storage.js';

const KINDS = [['toast', 'Pop-up alerts'], ['sound', 'Sound'], ['desktop', 'Desktop notifications']];
const ACTIVE = ['open', 'in_progress', 'pending'];
const WATCH_AT_MOST = 20;

/** The user's alert settings (`toast`, `sound`, `desktop`, each on unless turned off). */
function settings(me) {
  const key = `support.alerts.${me.id}`;
  let kept = {};
  try { kept = JSON.parse(storage.getItem(key) || '{}') || {}; } catch { kept = {}; }
  const current = Object.fromEntries(KINDS.map(([k]) => [k, kept[k] !== false]));
  return {
    current,
    set(kind, on) {
      current[kind] = on;
      storage.setItem(key, JSON.stringify(current));
    },
  };
}

// ----- the title count -----------------------------------------------------------------------

const PREFIX = /^\(\d+\) /;
let unread = 0;

function drawTitle() {
  const base = document.title.replace(PREFIX, '');
  const want = unread ? `(${unread}) ${base}` : base;
  if (document.title !== want) document.title = want;
}

/** The agent looks at the page again: the count starts over. */
function seen() {
  if (document.visibilityState !== 'visible' || !unread) return;
  unread = 0;
  drawTitle();
}

function watchTitle() {
  // Pages set their own title as they load (a ticket's number): keep the count in front.
  const title = document.querySelector('title') || document.head.appendChild(h('title'));
  new MutationObserver(drawTitle).observe(title, { childList: true, characterData: true, subtree: true });
  window.addEventListener('focus', seen);
  document.addEventListener('visibilitychange', seen);
  document.addEventListener('pointerdown', seen, true);
  document.addEventListener('keydown', seen, true);
}

// ----- the sound -----------------------------------------------------------------------------

let audio = null;

function audioContext() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  audio ||= new Context();
  return audio;
}

/** Two short soft tones, made with the Web Audio API (no file to fetch). */
function chime() {
  const ctx = audioContext();
  if (!ctx) return;
  if (ctx.state === 'suspended') ctx.resume().catch(() => {});
  const t = ctx.currentTime;
  const gain = ctx.createGain();
  gain.gain.setValueAtTime(0.0001, t);
  gain.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.35);
  gain.connect(ctx.destination);
  const osc = ctx.createOscillator();
  osc.type = 'sine';
  osc.frequency.setValueAtTime(880, t);
  osc.frequency.setValueAtTime(660, t + 0.12);
  osc.connect(gain);
  osc.start(t);
  osc.stop(t + 0.36);
}

// Browsers start sound only after the user has done something on the page: get the context
// ready on the first click or key, so the first alert after it can be heard.
function unlockAudioOnGesture() {
  const unlock = () => {
    const ctx = audioContext();
    if (ctx?.state === 'suspended') ctx.resume().catch(() => {});
  };
  document.addEventListener('pointerdown', unlock, { once: true, capture: true });
  document.addEventListener('keydown', unlock, { once: true, capture: true });
}

// ----- desktop notifications -----------------------------------------------------------------

const notificationsExist = () => 'Notification' in window;

function notify(title, body, href, tag) {
  if (!notificationsExist() || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(title, { body, tag });
    n.onclick = () => {
      window.focus();
      location.assign(href);
      n.close();
    };
  } catch {
    // Some browsers (Chrome on Android) only notify from a service worker.
  }
}

// ----- the settings control ------------------------------------------------------------------

function control(prefs) {
  const permission = h('p', { class: 'alert-permission' });
  const drawPermission = () => {
    if (!notificationsExist()) {
      permission.replaceChildren('This browser has no desktop notifications.');
    } else if (Notification.permission === 'default') {
      permission.replaceChildren(h('button', {
        type: 'button', class: 'small',
        onclick: () => Notification.requestPermission().then(drawPermission, drawPermission),
      }, 'Enable desktop notifications'));
    } else if (Notification.permission === 'denied') {
      permission.replaceChildren('Desktop notifications are blocked in this browser\'s site settings.');
    } else {
      permission.replaceChildren();
    }
  };
  drawPermission();
  return h('details', { class: 'alert-settings' },
    h('summary', {}, 'Alerts'),
    h('div', { class: 'alert-menu' },
      h('fieldset', {},
        h('legend', {}, 'Tell me of new messages with'),
        KINDS.map(([kind, label]) => h('label', {},
          h('input', {
            type: 'checkbox', name: `alert-${kind}`, checked: prefs.current[kind],
            onchange: (e) => prefs.set(kind, e.target.checked),
          }), ' ', label))),
      permission));
}

// ----- raising an alert ----------------------------------------------------------------------

/** The ticket the page shows right now (the live chat switches without reloading). */
function ticketOnScreen() {
  const m = location.pathname.match(/^\/(?:admin\/support|employee\/portal\/support)\/(\d+)(?:\/live-chat)?$/);
  if (m) return Number(m[1]);
  // The employee's chat widget, open on one of their tickets.
  const link = document.querySelector('#chat-widget:not([hidden]) .widget-ticket a[href]');
  const w = link?.getAttribute('href').match(/\/(\d+)$/);
  return w ? Number(w[1]) : null;
}

function makeAlert(prefs) {
  return function raise({ ticketId, text, title, body, href, urgent = false, quiet = false }) {
    if (document.visibilityState === 'visible' && ticketOnScreen() === ticketId) return;
    if (prefs.current.toast) toast(text, { urgent, href });
    if (quiet) return;
    unread += 1;
    drawTitle();
    if (prefs.current.sound) chime();
    if (prefs.current.desktop && document.visibilityState === 'hidden') notify(title, body, href, `support-ticket-${ticketId}`);
  };
}

const clip = (s, n = 140) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

// ----- staff ---------------------------------------------------------------------------------

function staffAlerts(me, raise) {
  const BASE = '/admin/support';
  const tickets = new Map();
  let people = null;
  const nameOf = async (id) => {
    people ||= api('GET', `${BASE}/users`).then(({ data }) => new Map(data.map((u) => [u.id, u.full_name])));
    return (await people.catch(() => new Map())).get(id) || `#${id}`;
  };
  const ticket = async (id) => {
    if (!tickets.has(id)) {
      tickets.set(id, api('GET', `${BASE}/${id}`).then(({ data }) => data.ticket).catch((e) => { tickets.delete(id); throw e; }));
    }
    return tickets.get(id);
  };
  // A quick chat opens a ticket with its first message: one alert, for the new ticket (the
  // first employee message within 2 s of the ticket is that one).
  const justOpened = new Set();
  echo.private('support.admin')
    .listen('.ticket.created', async ({ ticket: t }) => {
      tickets.set(t.id, Promise.resolve(t));
      justOpened.add(t.id);
      setTimeout(() => justOpened.delete(t.id), 2000);
      if (t.employee_id === me.id) return;
      const urgent = t.priority === 'urgent';
      const who = await nameOf(t.employee_id);
      const what = urgent ? 'Urgent ticket' : 'New ticket';
      raise({
        ticketId: t.id, urgent,
        text: `${what} ${t.ticket_number} from ${who}: ${t.subject}`,
        title: `${what}: ${t.subject}`, body: `${t.ticket_number} from ${who}`,
        href: `${BASE}/${t.id}/live-chat`,
      });
    })
    .listen('.ticket.updated', ({ ticket: t }) => tickets.set(t.id, Promise.resolve(t)))
    .listen('.message.created', async (m) => {
      if (justOpened.delete(m.ticket_id) && m.sender_type === 'employee') return;
      if (m.sender_id === me.id) return;
      const fromEmployee = m.sender_type === 'employee' && !m.is_internal;
      const note = m.is_internal;
      if (!fromEmployee && !note) return;
      const t = await ticket(m.ticket_id).catch(() => null);
      const number = t ? t.ticket_number : `#${m.ticket_id}`;
      const subject = t ? t.subject : '';
      raise({
        ticketId: m.ticket_id, quiet: note,
        text: note
          ? `Internal note by ${m.sender_name} on ${number}: ${clip(m.message)}`
          : `${m.sender_name} on ${number}${subject ? ` (${subject})` : ''}: ${clip(m.message)}`,
        title: `New message: ${subject || number}`, body: `${m.sender_name}: ${clip(m.message)}`,
        href: `${BASE}/${m.ticket_id}/live-chat`,
      });
    });
}

// ----- employees -----------------------------------------------------------------------------

function employeeAlerts(me, raise) {
  const BASE = '/employee/portal/support';
  const watched = new Map();
  const watch = (t) => {
    if (watched.has(t.id)) { watched.set(t.id, t); return; }
    watched.set(t.id, t);
    echo.private(`support.ticket.${t.id}`)
      .listen('.ticket.updated', ({ ticket: u }) => watched.set(u.id, u))
      .listen('.chat.message', (m) => {
        if (m.sender_type !== 'support' || m.sender_id === me.id || m.is_internal) return;
        const cur = watched.get(m.ticket_id) || t;
        raise({
          ticketId: m.ticket_id,
          text: `${m.sender_name} replied on ${cur.ticket_number} (${cur.subject}): ${clip(m.message)}`,
          title: `Reply: ${cur.subject}`, body: `${m.sender_name}: ${clip(m.message)}`,
          href: `${BASE}/${m.ticket_id}`,
        });
      });
  };
  api('GET', BASE).then(({ data }) => {
    data.filter((t) => ACTIVE.includes(t.status)).slice(0, WATCH_AT_MOST).forEach(watch);
  }).catch(() => {});
  // A ticket started from the chat widget on this page.
  window.addEventListener('support:ticket-created', (e) => watch(e.detail));
}

/**
 * Starts the alerts for the signed-in user (staff: every ticket; an employee: their active
 * tickets) and returns the header's "Alerts" settings control.
 * @param {object} o
 * @param {object} o.me the signed-in user
 */
export function mountAlerts({ me }) {
  const prefs = settings(me);
  watchTitle();
  unlockAudioOnGesture();
  const raise = makeAlert(prefs);
  if (me.staff) staffAlerts(me, raise);
  else employeeAlerts(me, raise);
  return control(prefs);
}
