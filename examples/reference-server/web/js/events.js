// Event lines: what happened to a ticket (taken, assigned, resolved, reopened, priority), as
// the thread says it between the messages. Drawn from the ticket view's `activity` (audit
// entries) and from live `ticket.updated` events (`changes`, `actor`, `at`).

import { LABELS } from './dom.js';

const FIELDS = ['status', 'priority', 'assigned_to'];

/** The changes from ticket `before` to ticket `after`, in the audit trail's shape
 * (`{field, before, after}`), for an update that came without its `changes`. */
export function diffTicket(before, after) {
  return FIELDS.filter((f) => before && after && before[f] !== after[f])
    .map((field) => ({ field, before: before[field], after: after[field] }));
}

/** Audit entries made together (one actor, one moment) as one group each, oldest first:
 * `{actor: {id, full_name}, at, changes}`. The entry that opened the ticket is left out: the
 * description stands for it. */
export function groupActivity(entries = []) {
  const groups = [];
  for (const e of entries) {
    if (!e || e.field === 'created') continue;
    const last = groups[groups.length - 1];
    const change = { field: e.field, before: e.before, after: e.after };
    if (last && last.actor.id === e.actor_id && last.at === e.at) last.changes.push(change);
    else groups.push({ actor: { id: e.actor_id, full_name: e.actor_name }, at: e.at, changes: [change] });
  }
  return groups;
}

/**
 * The sentences for one group of changes: "Sam Support took this ticket", "Sam Support
 * assigned this to Alex", "Resolved by Sam Support", "Reopened by Alice (reply)", "Priority
 * changed to High". `nameOf(id)` names an assignee (null when the page does not know them);
 * `employeeId` is the ticket's employee (their reopening is by a reply).
 */
export function describeChanges({ actor, changes }, { nameOf = () => null, employeeId = null } = {}) {
  const who = actor?.full_name || null;
  const took = changes.some((c) => c.field === 'assigned_to' && actor && c.after === actor.id);
  const lines = [];
  for (const c of changes) {
    if (c.field === 'assigned_to') {
      if (c.after == null) lines.push(who ? `${who} unassigned this ticket` : 'Unassigned');
      else if (took) lines.push(`${who} took this ticket`);
      else {
        const to = nameOf(c.after) || 'another agent';
        lines.push(who ? `${who} assigned this to ${to}` : `Assigned to ${to}`);
      }
    } else if (c.field === 'status') {
      const label = LABELS.status[c.after] || c.after;
      if (c.after === 'in_progress' && took) continue;
      if (c.after === 'resolved' || c.after === 'closed') lines.push(who ? `${label} by ${who}` : label);
      else if (c.after === 'open' && (c.before === 'resolved' || c.before === 'closed')) {
        const reply = actor && employeeId != null && actor.id === employeeId ? ' (reply)' : '';
        lines.push(who ? `Reopened by ${who}${reply}` : 'Reopened');
      } else lines.push(who ? `${who} set the status to ${label}` : `Status changed to ${label}`);
    } else if (c.field === 'priority') {
      const label = LABELS.priority[c.after] || c.after;
      lines.push(who ? `Priority changed to ${label} by ${who}` : `Priority changed to ${label}`);
    }
  }
  return lines;
}
