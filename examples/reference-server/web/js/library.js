// The staff's library: Canned responses (every staff member: the shared ones and their own
// personal ones; admins also manage the shared ones) and Ticket templates (admins). Both list,
// search, add, edit in place and delete after a confirmation; field errors show beside their
// fields (Laravel's 422). Drawn from /api/admin/support/canned-responses and …/templates;
// user text only ever as text.

import { api, showErrors } from './api.js';
import { badge, h, LABELS, replace, select, toast } from './dom.js';

const CANNED = '/admin/support/canned-responses';
const TEMPLATES = '/admin/support/templates';

let fieldIds = 0;

/** A labelled control with its error slot (`data-error-for`) and an optional hint. */
function field(label, control, { hint } = {}) {
  control.id ||= `lib-${control.name}-${++fieldIds}`;
  const hintEl = hint ? h('p', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl,
    h('p', { class: 'field-error', 'data-error-for': control.name, 'aria-live': 'polite' }));
}

/** A form that sends `values(form)` with `send` and calls `done` with the answer; errors
 * beside the fields, or under the form when the server could not be reached (with Retry). */
function wire(form, { values, send, done }) {
  const submit = async () => {
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const answer = await send(values(form));
      showErrors(form, null);
      await done(answer);
    } catch (err) {
      showErrors(form, err, { retry: submit });
    } finally {
      button.disabled = false;
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  return form;
}

/** "Delete …?" asked in the row itself; `remove` runs only after "Delete". */
function confirmDelete(slot, question, remove) {
  const ask = h('div', { class: 'confirm', role: 'alertdialog', 'aria-label': question },
    h('p', {}, question),
    h('button', { type: 'button', class: 'danger', onclick: async () => {
      try {
        await remove();
      } catch (err) {
        replace(slot);
        toast(err.message, { urgent: true });
      }
    } }, 'Delete'), ' ',
    h('button', { type: 'button', class: 'alt', onclick: () => replace(slot) }, 'Cancel'));
  replace(slot, ask);
  ask.querySelector('button').focus();
}

/** The search box over a list; `onInput` gets the query, trimmed and lower-cased. */
function searchBox(label, placeholder, onInput) {
  const input = h('input', { type: 'search', name: 'q', id: `lib-search-${++fieldIds}`, placeholder, autocomplete: 'off' });
  input.addEventListener('input', () => onInput(input.value.trim().toLowerCase()));
  return h('div', { class: 'filters library-search', role: 'search' },
    h('div', { class: 'field' }, h('label', { for: input.id }, label), input));
}

// ----- canned responses -------------------------------------------------------------------

/** The fields of a canned response, filled from `r` (empty for a new one). */
function cannedFields(r, me) {
  const admin = me.role === 'admin';
  return [
    field('Shortcut', h('input', { name: 'shortcut', value: r?.shortcut || '', required: true, maxlength: 32,
      autocomplete: 'off', spellcheck: false, pattern: '[a-z0-9_\\-]{1,32}' }),
    { hint: 'What follows / in a reply: a-z, 0-9, _ and -, up to 32.' }),
    field('Title', h('input', { name: 'title', value: r?.title || '', required: true, maxlength: 100, autocomplete: 'off' })),
    field('Body', h('textarea', { name: 'body', rows: 5, maxlength: 2000, required: true }, r?.body || ''),
      { hint: 'May use {{employee.name}}, {{ticket.number}} and {{agent.name}}.' }),
    // Only admins make (or keep) one shared; the server refuses it anyone else.
    admin ? h('div', { class: 'field check' },
      h('label', {}, h('input', { type: 'checkbox', name: 'shared', checked: !!r?.shared }),
        ' Shared: every staff member can use it'),
      h('p', { class: 'field-error', 'data-error-for': 'shared' })) : null,
  ];
}

function cannedValues(form, me) {
  const v = Object.fromEntries(new FormData(form));
  const body = { shortcut: v.shortcut.trim(), title: v.title, body: v.body };
  if (me.role === 'admin') body.shared = form.elements.shared.checked;
  return body;
}

/** May `me` change or delete `r`? Their own personal ones; shared ones if an admin. */
function canManage(r, me) {
  return r.shared ? me.role === 'admin' : r.owner_id === me.id;
}

function cannedRow(r, me, reload) {
  const notice = h('div', { class: 'row-notice' });
  const li = h('li', { class: 'library-item', dataset: { cannedId: String(r.id) } });
  const show = () => replace(li,
    h('div', { class: 'library-head' },
      h('code', { class: 'shortcut' }, `/${r.shortcut}`), ' ',
      h('strong', { class: 'library-title' }, r.title), ' ',
      r.shared ? h('span', { class: 'badge scope-shared' }, 'Shared') : h('span', { class: 'badge scope-personal' }, 'Personal')),
    h('p', { class: 'library-body' }, r.body),
    canManage(r, me) ? h('div', { class: 'library-actions' },
      h('button', { type: 'button', class: 'small alt', onclick: edit, 'aria-label': `Edit /${r.shortcut}` }, 'Edit'),
      h('button', { type: 'button', class: 'small alt', 'aria-label': `Delete /${r.shortcut}`, onclick: () =>
        confirmDelete(notice, `Delete /${r.shortcut}?`, async () => {
          await api('DELETE', `${CANNED}/${r.id}`);
          toast(`/${r.shortcut} deleted.`);
          await reload();
        }) }, 'Delete')) : null,
    notice);
  const edit = () => {
    const form = wire(h('form', { novalidate: true, class: 'stack library-form', 'aria-label': `Edit /${r.shortcut}` },
      cannedFields(r, me),
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'submit' }, 'Save'),
        h('button', { type: 'button', class: 'alt', onclick: show }, 'Cancel'))), {
      values: (f) => cannedValues(f, me),
      send: (body) => api('PATCH', `${CANNED}/${r.id}`, body),
      done: async ({ data }) => { toast(`/${data.shortcut} saved.`); await reload(); },
    });
    replace(li, form);
    form.querySelector('input').focus();
  };
  show();
  return li;
}

/** Admin: Canned responses. */
export async function cannedResponses({ main, me }) {
  let all = [];
  let query = '';
  const list = h('ul', { class: 'library-rows', 'aria-label': 'Canned responses' });
  const empty = h('p', { class: 'empty', hidden: true });
  const count = h('p', { class: 'muted library-count', 'aria-live': 'polite' });
  const draw = () => {
    const shown = all.filter((r) => !query || r.shortcut.includes(query) || r.title.toLowerCase().includes(query));
    replace(list, shown.map((r) => cannedRow(r, me, load)));
    empty.hidden = shown.length > 0;
    empty.textContent = all.length ? 'No canned response matches this search.' : 'No canned responses yet. Add one below.';
    count.textContent = query ? `${shown.length} of ${all.length}` : '';
  };
  const load = async () => {
    ({ data: all } = await api('GET', CANNED));
    draw();
  };
  const add = wire(h('form', { novalidate: true, class: 'stack library-form add', 'aria-labelledby': 'add-canned' },
    h('h2', { id: 'add-canned' }, 'Add a canned response'),
    cannedFields(null, me),
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit' }, 'Add response'))), {
    values: (f) => cannedValues(f, me),
    send: (body) => api('POST', CANNED, body),
    done: async ({ data }) => { add.reset(); toast(`/${data.shortcut} added.`); await load(); },
  });
  replace(main,
    h('h1', {}, 'Canned responses'),
    h('p', { class: 'muted lead' }, me.role === 'admin'
      ? 'Type / in a reply to insert one. Shared ones are for every staff member; personal ones only for you.'
      : 'Type / in a reply to insert one. Shared ones are managed by admins; personal ones are yours.'),
    searchBox('Search', 'Shortcut or title', (q) => { query = q; draw(); }),
    count, empty, list, add);
  await load();
}

// ----- ticket templates --------------------------------------------------------------------

function templateFields(t) {
  return [
    field('Name', h('input', { name: 'name', value: t?.name || '', required: true, maxlength: 100, autocomplete: 'off' }),
      { hint: 'What employees pick under “Start from a template”.' }),
    field('Subject', h('input', { name: 'subject', value: t?.subject || '', required: true, maxlength: 255, autocomplete: 'off' })),
    field('Description', h('textarea', { name: 'description', rows: 5, maxlength: 10000, required: true }, t?.description || '')),
    h('div', { class: 'row' },
      field('Category', select('category', { value: t?.category || 'it' })),
      field('Priority', select('priority', { value: t?.priority || 'medium' }))),
  ];
}

const templateValues = (form) => Object.fromEntries(new FormData(form));

function templateRow(t, reload) {
  const notice = h('div', { class: 'row-notice' });
  const li = h('li', { class: 'library-item', dataset: { templateId: String(t.id) } });
  const show = () => replace(li,
    h('div', { class: 'library-head' },
      h('strong', { class: 'library-title' }, t.name), ' ',
      h('span', { class: 'category' }, LABELS.category[t.category] || t.category), ' ',
      badge('priority', t.priority)),
    h('p', { class: 'library-subject' }, h('span', { class: 'muted' }, 'Subject: '), t.subject),
    h('p', { class: 'library-body' }, t.description),
    h('div', { class: 'library-actions' },
      h('button', { type: 'button', class: 'small alt', onclick: edit, 'aria-label': `Edit template ${t.name}` }, 'Edit'),
      h('button', { type: 'button', class: 'small alt', 'aria-label': `Delete template ${t.name}`, onclick: () =>
        confirmDelete(notice, `Delete the template “${t.name}”?`, async () => {
          await api('DELETE', `${TEMPLATES}/${t.id}`);
          toast(`Template “${t.name}” deleted.`);
          await reload();
        }) }, 'Delete')),
    notice);
  const edit = () => {
    const form = wire(h('form', { novalidate: true, class: 'stack library-form', 'aria-label': `Edit template ${t.name}` },
      templateFields(t),
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'submit' }, 'Save'),
        h('button', { type: 'button', class: 'alt', onclick: show }, 'Cancel'))), {
      values: templateValues,
      send: (body) => api('PATCH', `${TEMPLATES}/${t.id}`, body),
      done: async ({ data }) => { toast(`Template “${data.name}” saved.`); await reload(); },
    });
    replace(li, form);
    form.querySelector('input').focus();
  };
  show();
  return li;
}

/** Admin: Ticket templates (admins only: the server's page refuses anyone else). */
export async function templates({ main }) {
  let all = [];
  let query = '';
  const list = h('ul', { class: 'library-rows', 'aria-label': 'Ticket templates' });
  const empty = h('p', { class: 'empty', hidden: true });
  const draw = () => {
    const shown = all.filter((t) => !query || t.name.toLowerCase().includes(query) || t.subject.toLowerCase().includes(query));
    replace(list, shown.map((t) => templateRow(t, load)));
    empty.hidden = shown.length > 0;
    empty.textContent = all.length ? 'No template matches this search.'
      : 'No templates yet. Without one, the new-ticket form starts empty.';
  };
  const load = async () => {
    ({ data: all } = await api('GET', TEMPLATES));
    draw();
  };
  const add = wire(h('form', { novalidate: true, class: 'stack library-form add', 'aria-labelledby': 'add-template' },
    h('h2', { id: 'add-template' }, 'Add a template'),
    templateFields(null),
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit' }, 'Add template'))), {
    values: templateValues,
    send: (body) => api('POST', TEMPLATES, body),
    done: async ({ data }) => { add.reset(); toast(`Template “${data.name}” added.`); await load(); },
  });
  replace(main,
    h('h1', {}, 'Ticket templates'),
    h('p', { class: 'muted lead' }, 'Employees can start a new ticket or chat from one: it fills the subject, description, category and priority, which they can still change.'),
    searchBox('Search', 'Name or subject', (q) => { query = q; draw(); }),
    empty, list, add);
  await load();
}
