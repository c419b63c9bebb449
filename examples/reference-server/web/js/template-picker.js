// "Start from a template" above a new-ticket form (the create page, the widget's new chat):
// the ticket templates admins keep (GET /api/employee/portal/support/templates). Picking one
// hands it to the form, which fills its fields; the user can still change them. Without
// templates (or when they cannot be read) nothing is shown: the form works as it always did.

import { api } from './api.js';
import { h } from './dom.js';

let cache = null;

/** The templates, read once per page (a failure is tried again next time). */
export function loadTemplates() {
  cache ||= api('GET', '/employee/portal/support/templates')
    .then(({ data }) => data || [])
    .catch(() => { cache = null; return []; });
  return cache;
}

/**
 * The picker, or null when there are no templates. `onPick(template)` is called with the
 * chosen one, or with null when the user goes back to "No template".
 */
export async function templatePicker({ id, onPick }) {
  const list = await loadTemplates();
  if (!list.length) return null;
  const choice = h('select', { id, 'aria-describedby': `${id}-hint` },
    h('option', { value: '' }, 'No template'),
    list.map((t) => h('option', { value: String(t.id) }, t.name)));
  choice.addEventListener('change', () => onPick(list.find((t) => String(t.id) === choice.value) || null));
  return h('div', { class: 'field template-pick' },
    h('label', { for: id }, 'Start from a template'),
    choice,
    h('p', { class: 'hint', id: `${id}-hint` }, 'Fills in the form below; you can still change everything.'));
}
