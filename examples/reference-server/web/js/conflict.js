// Someone else changed the ticket first (409): what changed, field by field, against what
// this agent saw, and the choice to apply this agent's change anyway or keep the current state.

import { h, LABELS } from './dom.js';

const FIELDS = [
  ['status', 'Status'],
  ['priority', 'Priority'],
  ['assigned_to', 'Assigned to'],
];

function shown(field, value, nameOf) {
  if (field === 'assigned_to') return value == null ? 'Unassigned' : nameOf(value);
  return LABELS[field]?.[value] || String(value);
}

/** The fields that differ between the ticket the agent saw and the current one:
 * `[{field, label, saw, now}]` as they read. */
export function changedFields(saw, now, nameOf) {
  return FIELDS.filter(([f]) => saw?.[f] !== now?.[f])
    .map(([field, label]) => ({ field, label, saw: shown(field, saw?.[field], nameOf), now: shown(field, now?.[field], nameOf) }));
}

/**
 * The panel shown on a 409. `saw`: the ticket as the agent saw it; `now`: the current one
 * (the 409's `data`); `mine`: the fields the agent wanted to set; `nameOf(id)` names a user.
 * `onReapply` sends `mine` again on top of `now`; `onKeep` keeps `now`. Both remove the panel.
 */
export function conflictPanel({ saw, now, mine, nameOf, onReapply, onKeep }) {
  const changes = changedFields(saw, now, nameOf);
  const wanted = FIELDS.filter(([f]) => f in (mine || {}) && mine[f] !== now?.[f])
    .map(([f, label]) => h('li', {}, `${label}: ${shown(f, mine[f], nameOf)}`));
  const panel = h('section', { class: 'conflict', role: 'alert', 'aria-labelledby': 'conflict-title' },
    h('h3', { id: 'conflict-title' }, 'Someone else changed this ticket'),
    changes.length
      ? h('ul', { class: 'changed' }, changes.map((c) => h('li', { dataset: { field: c.field } },
        h('span', { class: 'field' }, `${c.label}: `), h('del', {}, c.saw), ' → ', h('ins', {}, c.now))))
      : h('p', {}, 'It changed while you had it open.'),
    wanted.length ? [h('p', {}, 'Your change:'), h('ul', { class: 'mine' }, wanted)] : null,
    h('div', { class: 'conflict-actions' },
      wanted.length ? h('button', { type: 'button', onclick: () => { panel.remove(); onReapply(); } }, 'Apply my change anyway') : null,
      h('button', { type: 'button', class: 'alt', onclick: () => { panel.remove(); onKeep(); } }, 'Keep the current state')));
  return panel;
}
