// The JSON API, called with the session cookie and the CSRF token (or, in the embedded
// widget, a bearer token: see auth.js) and (for toOthers) the socket id, as Laravel's own
// frontend sends them.

import { authHeaders, credentials, sessionEnded } from './auth.js';
import { socketId } from './realtime.js';
import { h } from './dom.js';

/** The server refused the request: `status`, Laravel's `message`, field `errors` and the
 * whole `body` (a 409 carries the current ticket in `body.data`). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `The server answered ${status}.`);
    this.status = status;
    this.errors = body?.errors || {};
    this.body = body;
  }
}

/** The request never got an answer (offline, server down). Safe to retry with the same
 * idempotency key. */
export class NetworkError extends Error {}

/** A fresh idempotency key for a request that may be retried. */
export function newKey() {
  return crypto.randomUUID();
}

/** Calls `/api{path}`. Resolves to the parsed body (null for 204); rejects with ApiError or
 * NetworkError. `ifMatch`: the version the change was based on (a stale one answers 409). */
export async function api(method, path, body, { idempotencyKey, ifMatch } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders() };
  if (ifMatch != null) headers['If-Match'] = `"${ifMatch}"`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const sid = socketId();
  if (sid) headers['X-Socket-ID'] = sid;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let response;
  try {
    response = await fetch(`/api${path}`, {
      method,
      headers,
      credentials: credentials(),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new NetworkError(e.message);
  }
  const parsed = await response.json().catch(() => null);
  if (response.status === 401 || response.status === 419) sessionEnded();
  if (!response.ok) {
    // 502-504 come from proxies while the server is away: as good as no answer.
    if ([502, 503, 504].includes(response.status)) throw new NetworkError(`status ${response.status}`);
    throw new ApiError(response.status, parsed);
  }
  return parsed;
}

/** What a failed action says in the page: the reason and, when the server could not be
 * reached, a Retry button that calls `retry`. */
export function failureNotice(error, retry) {
  const offline = error instanceof NetworkError;
  return h('p', { class: 'form-error', role: 'alert' },
    offline ? 'No connection to the server. Try again in a moment.' : error.message,
    offline && retry ? [' ', h('button', { type: 'button', class: 'small retry', onclick: retry }, 'Retry')] : null);
}

/** Shows Laravel field errors beside a form's fields (elements with `data-error-for`); with
 * `retry`, a failure to reach the server offers a Retry button that calls it. */
export function showErrors(form, error, { retry } = {}) {
  for (const el of form.querySelectorAll('[data-error-for]')) el.textContent = '';
  const summary = form.querySelector('.form-error');
  if (summary) summary.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (!error) return;
  if (!(error instanceof ApiError) || !Object.keys(error.errors).length) {
    if (summary) summary.replaceChildren(...failureNotice(error, retry).childNodes);
    return;
  }
  for (const [field, messages] of Object.entries(error.errors)) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (slot) slot.textContent = messages.join(' ');
    else if (summary) summary.textContent += `${messages.join(' ')} `;
    form.querySelector(`[name="${CSS.escape(field)}"]`)?.setAttribute('aria-invalid', 'true');
  }
}
