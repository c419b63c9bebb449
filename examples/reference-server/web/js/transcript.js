// "Download transcript": the ticket's conversation as a file, in the format chosen (plain
// text, a print-friendly page, JSON), through download.js.

import { h, replace } from './dom.js';
import { download as save } from './download.js';

const FORMATS = [
  ['html', 'Printable page (HTML)'],
  ['txt', 'Plain text'],
  ['json', 'JSON'],
];

/** A menu that downloads the transcript of the ticket at API path `base`. */
export function transcriptMenu(base) {
  const status = h('p', { class: 'transcript-status', role: 'status' });
  const download = async (format, button) => {
    button.disabled = true;
    replace(status, 'Preparing the transcript…');
    try {
      await save(`${base}/transcript?format=${format}`, `transcript.${format}`);
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
