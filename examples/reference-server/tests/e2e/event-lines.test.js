// The sentences of the thread's event lines (web/js/events.js), from audit entries as the
// ticket views carry them and from live changes, without a browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeChanges, diffTicket, groupActivity } from '../../web/js/events.js';

const sam = { id: 201, full_name: 'Sam Support' };
const entry = (id, actor, field, before, after, at) => ({ id, ticket_id: 1, actor_id: actor.id, actor_name: actor.full_name, field, before, after, at });
const names = new Map([[202, 'Ada Admin']]);
const opts = { nameOf: (id) => names.get(id) || null, employeeId: 101 };

test('an agent taking a ticket is one line, whatever else changed with it', () => {
  const groups = groupActivity([
    { id: 1, ticket_id: 1, actor_id: 101, actor_name: 'Alice', field: 'created', status: 'open', priority: 'medium', category: 'it', at: 't0' },
    entry(2, sam, 'status', 'open', 'in_progress', 't1'),
    entry(3, sam, 'assigned_to', null, 201, 't1'),
  ]);
  assert.equal(groups.length, 1, 'the creation is the description, not a line');
  assert.deepEqual(describeChanges(groups[0], opts), ['Sam Support took this ticket']);
});

test('assigning, resolving, reopening by a reply and priority read as people say them', () => {
  const [assign, resolve, reopen, priority] = groupActivity([
    entry(1, sam, 'assigned_to', null, 202, 't1'),
    entry(2, sam, 'status', 'in_progress', 'resolved', 't2'),
    entry(3, { id: 101, full_name: 'Alice' }, 'status', 'resolved', 'open', 't3'),
    entry(4, sam, 'priority', 'medium', 'high', 't4'),
  ]);
  assert.deepEqual(describeChanges(assign, opts), ['Sam Support assigned this to Ada Admin']);
  assert.deepEqual(describeChanges(resolve, opts), ['Resolved by Sam Support']);
  assert.deepEqual(describeChanges(reopen, opts), ['Reopened by Alice (reply)']);
  assert.deepEqual(describeChanges(priority, opts), ['Priority changed to High by Sam Support']);
});

test('a live change without its actor still says what happened; an unknown assignee is not named', () => {
  const before = { status: 'open', priority: 'medium', assigned_to: null };
  const after = { status: 'resolved', priority: 'urgent', assigned_to: 999 };
  const lines = describeChanges({ actor: null, changes: diffTicket(before, after) }, opts);
  assert.deepEqual(lines, ['Resolved', 'Priority changed to Urgent', 'Assigned to another agent']);
  assert.deepEqual(diffTicket(before, { ...before }), [], 'nothing changed, nothing drawn');
});
