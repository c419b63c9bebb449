// The admins' users page: every user with their role, a disable/enable toggle, a new
// password, their API tokens (a new one shown once, with a copy button; revoke), and a form
// to add a user. Drawn from /api/admin/users; user text only ever as text.

import { api, showErrors } from './api.js';
import { h, replace, time, toast } from './dom.js';

const ROLES = { employee: 'Employee', support: 'Support', admin: 'Admin', hr: 'HR' };

function roleSelect(value, attrs = {}) {
  return h('select', { name: 'role', ...attrs },
    Object.entries(ROLES).map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

function field(label, input) {
  const id = input.id || `f-${input.name}`;
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input,
    h('p', { class: 'field-error', 'data-error-for': input.name }));
}

/** The add-user form. */
function addForm(onAdded) {
  const form = h('form', { class: 'stack add-user', 'aria-labelledby': 'add-user' },
    h('h2', { id: 'add-user' }, 'Add a user'),
    field('Name', h('input', { name: 'name', required: true, maxlength: 255 })),
    field('Email', h('input', { name: 'email', type: 'email', required: true, id: 'new-email' })),
    field('Role', roleSelect('employee', { id: 'new-role' })),
    field('Password (optional, at least 12 characters)',
      h('input', { name: 'password', type: 'password', autocomplete: 'new-password', id: 'new-password' })),
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit' }, 'Add user'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    if (!data.password) delete data.password;
    try {
      const { data: user } = await api('POST', '/admin/users', data);
      showErrors(form, null);
      form.reset();
      toast(`${user.name} added.`);
      onAdded();
    } catch (err) {
      showErrors(form, err);
    }
  });
  return form;
}

/** The tokens of one user: list, create (shown once), revoke. */
function tokensPanel(user) {
  const list = h('ul', { class: 'tokens' });
  const shown = h('div', { class: 'new-token', 'aria-live': 'polite' });
  const load = async () => {
    const { data } = await api('GET', `/admin/users/${user.id}/tokens`);
    replace(list, data.length ? data.map((t) => h('li', {},
      h('span', { class: 'token-name' }, t.name), ' ',
      h('span', { class: 'muted' }, 'made ', time(t.created_at),
        t.last_used_at ? [', used ', time(t.last_used_at)] : ', never used'), ' ',
      h('button', { type: 'button', class: 'link', onclick: async () => {
        await api('DELETE', `/admin/tokens/${t.id}`);
        toast(`Token “${t.name}” revoked.`);
        load();
      } }, 'Revoke'))) : h('li', { class: 'muted' }, 'No tokens.'));
  };
  const name = h('input', { name: 'name', value: 'api', 'aria-label': 'Token name', maxlength: 255 });
  const form = h('form', { class: 'inline' }, name,
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit' }, 'Create token'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const { token } = await api('POST', `/admin/users/${user.id}/tokens`, { name: name.value });
      showErrors(form, null);
      const value = h('code', { class: 'token-value' }, token);
      replace(shown, h('p', {}, 'Copy this token now: it is shown once.'), value, ' ',
        h('button', { type: 'button', onclick: () => navigator.clipboard?.writeText(token).then(() => toast('Copied.')) }, 'Copy'));
      load();
    } catch (err) {
      showErrors(form, err);
    }
  });
  load().catch(() => {});
  return h('div', { class: 'tokens-panel' }, list, form, shown);
}

/** One user's row: name, email, role select, status toggle, password, tokens. */
function userRow(user, me, reload) {
  const self = user.id === me.id;
  const role = roleSelect(user.role, { 'aria-label': `Role of ${user.name}`, disabled: self });
  role.addEventListener('change', async () => {
    try {
      await api('PATCH', `/admin/users/${user.id}`, { role: role.value });
      toast(`${user.name} is now ${ROLES[role.value]}.`);
    } catch (err) {
      toast(err.message, { urgent: true });
      role.value = user.role;
    }
  });
  const toggle = h('button', { type: 'button', class: 'toggle', disabled: self, onclick: async () => {
    try {
      await api('PATCH', `/admin/users/${user.id}`, { disabled: !user.disabled });
      toast(`${user.name} ${user.disabled ? 'enabled' : 'disabled'}.`);
      reload();
    } catch (err) {
      toast(err.message, { urgent: true });
    }
  } }, user.disabled ? 'Enable' : 'Disable');
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password',
    'aria-label': `New password for ${user.name}` });
  const pwForm = h('form', { class: 'inline' }, password,
    h('button', { type: 'submit' }, 'Set password'),
    h('p', { class: 'field-error', 'data-error-for': 'password' }),
    h('p', { class: 'form-error', role: 'alert' }));
  pwForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('POST', `/admin/users/${user.id}/password`, { password: password.value });
      showErrors(pwForm, null);
      pwForm.reset();
      toast(`Password of ${user.name} set.`);
    } catch (err) {
      showErrors(pwForm, err);
    }
  });
  const details = h('details', { class: 'user-more' }, h('summary', {}, 'Password and tokens'),
    pwForm, tokensPanel(user));
  return h('li', { class: user.disabled ? 'user disabled' : 'user', dataset: { userId: String(user.id) } },
    h('div', { class: 'user-head' },
      h('strong', { class: 'user-name' }, user.name), ' ',
      h('span', { class: 'muted user-email' }, user.email || 'no email'), ' ',
      user.disabled ? h('span', { class: 'badge status-closed' }, 'Disabled') : null),
    h('div', { class: 'user-actions' }, role, ' ', toggle,
      h('span', { class: 'muted' }, user.last_seen_at ? ['seen ', time(user.last_seen_at)] : 'never seen')),
    details);
}

/** The page. */
export async function users({ main, me }) {
  const list = h('ul', { class: 'user-rows', 'aria-label': 'Users' });
  const load = async () => {
    const { data } = await api('GET', '/admin/users');
    replace(list, data.map((u) => userRow(u, me, load)));
  };
  replace(main, h('h1', {}, 'Users'), list, addForm(load));
  await load();
}
