// A list of suggestions under a text box, opened by what is typed before the caret (`:smi`
// for emoji, `/` for canned responses): arrows move, Enter or Tab picks, Escape closes, a
// click picks. The text box keeps the focus all along (aria-activedescendant), as in a combobox.

import { h, replace } from './dom.js';

let counter = 0;

export class Suggest {
  /**
   * @param {HTMLTextAreaElement} input the text box
   * @param {object} o
   * @param {(before: string) => ({start: number, query: string} | null)} o.trigger where the
   *   typed query starts in the text before the caret, or null when nothing should open
   * @param {(query: string) => Promise<Array<{label: string|Node, detail?: string, value: any}>>} o.source
   *   the suggestions for a query
   * @param {(item: object, range: {start: number, end: number}) => void} o.pick called with the
   *   chosen item and the range of the typed query
   * @param {string} o.label what the list holds, for screen readers
   * @param {string} [o.empty] shown when a query matches nothing (nothing shown if absent)
   */
  constructor(input, { trigger, source, pick, label, empty = null }) {
    this.input = input;
    this.trigger = trigger;
    this.source = source;
    this.onPick = pick;
    this.emptyText = empty;
    this.items = [];
    this.active = -1;
    this.range = null;
    this.asked = 0;
    this.id = `suggest-${++counter}`;
    this.el = h('ul', { class: 'suggest', role: 'listbox', id: this.id, 'aria-label': label, hidden: true });
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', this.id);
    input.addEventListener('input', () => this.update());
    input.addEventListener('click', () => this.update());
    input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
  }

  get open() {
    return !this.el.hidden;
  }

  /** Handles a key of the text box; true when it was the list's (the caller stops there). */
  key(e) {
    if (!this.open) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (this.items.length) this.highlight((this.active + (e.key === 'ArrowDown' ? 1 : -1) + this.items.length) % this.items.length);
      return true;
    }
    if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && this.active >= 0) {
      e.preventDefault();
      this.choose(this.active);
      return true;
    }
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      this.close();
      return true;
    }
    return false;
  }

  async update() {
    const caret = this.input.selectionStart;
    if (caret !== this.input.selectionEnd) { this.close(); return; }
    const found = this.trigger(this.input.value.slice(0, caret));
    if (!found) { this.close(); return; }
    const asked = ++this.asked;
    let items = [];
    try {
      items = await this.source(found.query);
    } catch {
      items = [];
    }
    // A later keystroke asked again meanwhile: its answer wins.
    if (asked !== this.asked) return;
    this.range = { start: found.start, end: caret };
    this.show(items);
  }

  show(items) {
    this.items = items;
    if (!items.length && !this.emptyText) { this.close(); return; }
    replace(this.el, items.length
      ? items.map((item, i) => h('li', {
        role: 'option', id: `${this.id}-${i}`, class: 'suggestion', 'aria-selected': 'false',
        onmousedown: (e) => { e.preventDefault(); this.choose(i); },
      }, h('span', { class: 'suggestion-label' }, item.label), item.detail ? h('span', { class: 'suggestion-detail' }, item.detail) : null))
      : h('li', { class: 'suggestion-empty', role: 'presentation' }, this.emptyText));
    this.el.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.highlight(items.length ? 0 : -1);
  }

  highlight(i) {
    this.active = i;
    for (const [n, li] of [...this.el.querySelectorAll('li.suggestion')].entries()) {
      li.setAttribute('aria-selected', String(n === i));
      if (n === i) li.scrollIntoView({ block: 'nearest' });
    }
    if (i >= 0) this.input.setAttribute('aria-activedescendant', `${this.id}-${i}`);
    else this.input.removeAttribute('aria-activedescendant');
  }

  choose(i) {
    const item = this.items[i];
    const range = this.range;
    this.close();
    if (item && range) this.onPick(item, range);
  }

  close() {
    this.asked++;
    this.el.hidden = true;
    this.items = [];
    this.active = -1;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }
}

/** Replaces `range` of the text box's value with `text`, puts the caret after it, and tells
 * the page (an `input` event, so drafts and counters follow). */
export function insertText(input, range, text) {
  input.focus();
  input.setRangeText(text, range.start, range.end, 'end');
  input.dispatchEvent(new Event('input', { bubbles: true }));
}
