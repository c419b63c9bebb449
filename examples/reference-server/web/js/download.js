// Downloads a file the API makes (a transcript, the audit log as CSV), fetched with this
// page's credentials (the cookie, or the widget's bearer token) and saved under the name the
// server gives in Content-Disposition.

import { authHeaders, credentials } from './auth.js';
import { h } from './dom.js';

/** The file name of a `Content-Disposition` header (its `filename*` if there is one). */
export function fileName(disposition, fallback) {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition || '');
  if (star) {
    try { return decodeURIComponent(star[1]); } catch { /* the plain one below */ }
  }
  return /filename="([^"]+)"/i.exec(disposition || '')?.[1] || fallback;
}

/** Fetches API path `path` (without `/api`) and saves it; rejects with the reason. */
export async function download(path, fallback) {
  const response = await fetch(`/api${path}`, { headers: authHeaders(), credentials: credentials() });
  if (!response.ok) throw new Error(`The server answered ${response.status}.`);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: fileName(response.headers.get('Content-Disposition'), fallback), hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
