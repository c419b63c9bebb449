// The entry point: reads who is signed in, draws the frame (header, connection indicator,
// staff sidebar with its live badge, the employee chat widget) and the page the server
// named in <body data-page>.

import { api, NetworkError } from './js/api.js';
import { h, replace } from './js/dom.js';
import { echo, onState } from './js/realtime.js';
import * as employee from './js/employee.js';
import * as admin from './js/admin.js';
import { users } from './js/users.js';
import { auditLog } from './js/audit.js';
import { cannedResponses, templates } from './js/library.js';
import { mountWidget } from './js/widget.js';
import { mountAlerts } from './js/alerts.js';
import { reports } from './js/reports.js';
import { employeeSearch, revealLinkedMessage, staffSearch } from './js/search.js';

const me = JSON.parse(document.querySelector('meta[name="support-user"]').content);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const page = document.body.dataset.page;
const ticketId = Number(document.body.dataset.ticket) || null;

const pages = {
  'employee.index': employee.index,
  'employee.create': employee.create,
  'employee.show': employee.show,
  'admin.dashboard': admin.dashboard,
  'admin.index': admin.index,
  'admin.show': admin.show,
  'admin.live-chat': admin.liveChat,
  'admin.users': users,
  'admin.canned-responses': cannedResponses,
  'admin.templates': templates,
  'admin.audit': auditLog,
  'admin.reports': reports,
  'admin.search': staffSearch,
  'employee.search': employeeSearch,
};

function connectionIndicator() {
  const el = h('span', { class: 'connection', role: 'status', 'aria-live': 'polite' });
  const text = {
    connected: 'Live',
    connecting: 'Connecting…',
    offline: 'Offline: messages you send are kept and sent when the connection returns',
  };
  onState((state) => {
    el.dataset.state = state;
    el.textContent = text[state];
  });
  return el;
}

function header(alerts) {
  const links = me.staff
    ? [['/admin/support/dashboard', 'Dashboard'], ['/admin/support', 'All tickets'], ['/admin/support/search', 'Search'], ['/employee/portal/support', 'My tickets']]
    : [['/employee/portal/support', 'My tickets'], ['/employee/portal/support/create', 'New ticket'], ['/employee/portal/support/search', 'Search']];
  return h('header', { class: 'topbar' },
    h('a', { class: 'brand', href: me.staff ? '/admin/support/dashboard' : '/employee/portal/support' }, 'Support'),
    h('nav', { 'aria-label': 'Main' },
      links.map(([href, label]) => h('a', { href, 'aria-current': location.pathname === href ? 'page' : null }, label))),
    connectionIndicator(),
    alerts,
    h('span', { class: 'who' }, me.name, ' ', h('span', { class: 'role' }, me.role)),
    h('form', { method: 'post', action: '/logout', class: 'logout' },
      h('input', { type: 'hidden', name: '_token', value: csrf }),
      h('button', { type: 'submit', class: 'link' }, 'Sign out')),
    h('form', { method: 'post', action: '/logout/everywhere', class: 'logout' },
      h('input', { type: 'hidden', name: '_token', value: csrf }),
      h('button', { type: 'submit', class: 'link', title: 'End every session of yours, on every device' },
        'Sign out everywhere')));
}

/** The staff sidebar: "Live Support" with the open-ticket badge, updated live. */
function sidebar() {
  const count = h('span', { class: 'count', id: 'badge-open', 'aria-label': 'open tickets', hidden: true });
  const show = (stats) => {
    count.textContent = String(stats.open);
    count.hidden = !(stats.open > 0);
  };
  api('GET', '/admin/support/stats').then(show).catch(() => {});
  echo.private('support.admin').listen('.stats.updated', (d) => show(d.stats));
  const link = (href, ...label) => h('a', { href, 'aria-current': location.pathname === href ? 'page' : null }, ...label);
  return h('aside', { class: 'sidebar' },
    h('h2', {}, 'Communication'),
    h('nav', { 'aria-label': 'Support' },
      link('/admin/support/dashboard', 'Live Support ', count),
      link('/admin/support', 'All tickets'),
      link('/admin/support/search', 'Search'),
      link('/admin/support/canned-responses', 'Canned responses'),
      link('/admin/support/reports', 'Reports'),
      me.role === 'admin' ? link('/admin/support/templates', 'Ticket templates') : null,
      me.role === 'admin' ? link('/admin/users', 'Users') : null,
      me.role === 'admin' ? link('/admin/support/audit', 'Audit log') : null));
}

const main = h('main', { id: 'main', tabindex: '-1' });
const frame = h('div', { class: me.staff && page.startsWith('admin.') ? 'layout with-sidebar' : 'layout' },
  me.staff && page.startsWith('admin.') ? sidebar() : null, main);
replace(document.body, h('a', { class: 'skip', href: '#main' }, 'Skip to content'), header(mountAlerts({ me })), frame);
if (page === 'admin.live-chat') document.body.classList.add('full-screen');

const draw = pages[page];
if (draw) {
  // Until the page's first fetch answers: a spinner, not a blank page.
  replace(main, h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading…'));
  draw({ main, me, ticketId }).then(() => {
    if (page === 'admin.show' || page === 'employee.show') revealLinkedMessage(main);
  }).catch((e) => {
    if (e instanceof NetworkError) {
      replace(main, h('h1', {}, 'Could not load this page'),
        h('p', { class: 'form-error', role: 'alert' }, 'No connection to the server. ',
          h('button', { type: 'button', class: 'small', onclick: () => location.reload() }, 'Retry')));
      return;
    }
    replace(main, h('h1', {}, e.status === 404 ? 'Not found' : 'Something went wrong'),
      h('p', {}, e.status === 404 ? 'There is no such ticket, or it is not yours.' : e.message));
  });
}
// The floating launcher, except where the page is a chat already (its composer is there).
if (!me.staff && page.startsWith('employee.') && page !== 'employee.show') mountWidget({ me });
