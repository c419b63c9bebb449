// The outbox of one conversation: messages the user sent that the server has not confirmed
// yet. Each is kept in localStorage (storage.js) with its idempotency key until the server
// answers, so a message typed offline goes out once when the connection returns, even after a
// reload, and another tab of the same user sees it waiting. Where the browser refuses storage
// (a third-party frame), it is kept for as long as the page lives.

import { NetworkError, newKey } from './api.js';
import { storage } from './storage.js';

const RETRY_MS = 3000;

export class Outbox {
  /**
   * @param {string} storageKey the localStorage key (one per user and ticket)
   * @param {object} o
   * @param {Function} o.send posts one item; resolves with the stored message
   * @param {Function} o.sent called with (item, stored message) once the server has it
   * @param {Function} o.refused called with (item, error) when the server refused it (e.g. 422); it is not retried
   * @param {Function} o.waiting called when the network is down; sending is retried
   */
  constructor(storageKey, { send, sent, refused, waiting }) {
    this.storageKey = storageKey;
    this.hooks = { send, sent, refused, waiting };
    this.flushing = false;
    this.retryTimer = null;
  }

  /** What is waiting, oldest first. */
  items() {
    try {
      return JSON.parse(storage.getItem(this.storageKey) || '[]');
    } catch {
      return [];
    }
  }

  save(items) {
    if (items.length) storage.setItem(this.storageKey, JSON.stringify(items));
    else storage.removeItem(this.storageKey);
  }

  /** Queues a message (`{text, internal}`) under a fresh idempotency key; returns the item. */
  add(fields) {
    const item = { key: newKey(), ...fields, at: new Date().toISOString() };
    this.save([...this.items(), item]);
    return item;
  }

  remove(key) {
    this.save(this.items().filter((i) => i.key !== key));
  }

  /** Calls `fn()` when another tab changes this outbox. */
  onChange(fn) {
    window.addEventListener('storage', (e) => { if (e.key === this.storageKey) fn(); });
  }

  /** Sends queued messages in order, each once (the idempotency key makes a retry safe). */
  async flush() {
    if (this.flushing) return;
    this.flushing = true;
    clearTimeout(this.retryTimer);
    try {
      for (;;) {
        const [item] = this.items();
        if (!item) break;
        try {
          const stored = await this.hooks.send(item);
          this.remove(item.key);
          this.hooks.sent(item, stored);
        } catch (e) {
          if (e instanceof NetworkError) {
            this.hooks.waiting();
            this.retryTimer = setTimeout(() => this.flush(), RETRY_MS);
            break;
          }
          this.remove(item.key);
          this.hooks.refused(item, e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
