// "Download transcript": the ticket's conversation as a file, in the format chosen (plain
// text, a print-friendly page, JSON), fetched with this page's credentials (the cookie, or
// the widget's bearer token) and saved under the name the server gives.

import { authHeaders, credentials } from './auth.js';
import { h, replace } from './dom.js';

const FORMATS = [
  ['html', 'Printable page (HTML)'],
  ['txt', 'Plain text'],
  ['json', 'JSON'],
];

/** The file name of a `Content-Disposition` header (its `filename*` if there is one). */
function fileName(disposition, fallback) {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition || '');
  if (star) {
    try { return decodeURIComponent(star[1]); } catch { /* the plain one below */ }
  }
  return /filename="([^"]+)"/i.exec(disposition || '')?.[1] || fallback;
}

/** A menu that downloads the transcript of the ticket at API path `base`. */
export function transcriptMenu(base) {
  const status = h('p', { class: 'transcript-status', role: 'status' });
  const download = async (format, button) => {
    button.disabled = true;
    replace(status, 'Preparing the transcript…');
    try {
      const response = await fetch(`/api${base}/transcript?format=${format}`, {
        headers: authHeaders(), credentials: credentials(),
      });
      if (!response.ok) throw new Error(`The server answered ${response.status}.`);
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: fileName(response.headers.get('Content-Disposition'), `transcript.${format}`), hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      replace(status, '');
      menu.open = false;
    } catch (e) {
      replace(status, `The transcript could not be downloaded: ${e.message}`);
    } finally {
      button.disabled = false;
    }
  };
  const menu = h('details', { class: 'transcript-menu' },
    h('summary', {}, 'Download transcript'),
    h('div', { class: 'transcript-formats' },
      FORMATS.map(([format, label]) => h('button', {
        type: 'button', class: 'link', dataset: { format },
        onclick: (e) => download(format, e.currentTarget),
      }, label))),
    status);
  return menu;
}
