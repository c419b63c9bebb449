// Files on messages: the composer's tray (attach by button, drag and drop or pasting a
// screenshot; each upload with its progress bar), and a message's files as people see them
// (images as thumbnails that open full size, other files as a chip with name and size).
// Every byte is fetched with this page's own credentials (the cookie, or the widget's bearer
// token) and shown from a blob: URL, so the same code serves the pages and the widget.

import { authHeaders, credentials } from './auth.js';
import { h, replace } from './dom.js';

const INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const sizeFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** "2.4 MB", "830 KB", "12 bytes". */
export function humanSize(n) {
  if (n >= 1024 * 1024) return `${sizeFormat.format(n / (1024 * 1024))} MB`;
  if (n >= 1024) return `${sizeFormat.format(n / 1024)} KB`;
  return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
}

/** The file at `url` (an API path such as `/api/…/attachments/7`) as a blob. */
async function fetchBlob(url) {
  const response = await fetch(url, { headers: authHeaders(), credentials: credentials() });
  if (!response.ok) throw new Error(response.status === 404 ? 'This file is no longer available.' : `The server answered ${response.status}.`);
  return response.blob();
}

function saveBlob(blob, name) {
  const href = URL.createObjectURL(blob);
  const a = h('a', { href, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

/** Shows an image full size over the page; Escape or a click closes it. */
function viewer(src, name) {
  const close = () => { dialog.close(); dialog.remove(); };
  const dialog = h('dialog', { class: 'image-viewer', 'aria-label': name, onclick: close, oncancel: close },
    h('img', { src, alt: name }),
    h('p', { class: 'image-name' }, name));
  document.body.append(dialog);
  dialog.showModal();
}

/** A message's files: thumbnails and chips. */
export function attachmentList(files) {
  if (!files?.length) return null;
  return h('ul', { class: 'attachments', 'aria-label': 'Attachments' }, files.map((f) => {
    if (INLINE.has(f.content_type)) {
      const img = h('img', { alt: f.name, class: 'thumb-img' });
      let src = null;
      fetchBlob(f.url).then((b) => { src = URL.createObjectURL(b); img.src = src; })
        .catch((e) => { img.replaceWith(h('span', { class: 'thumb-missing' }, e.message)); });
      return h('li', { class: 'attachment image' },
        h('button', { type: 'button', class: 'thumb', title: `${f.name} (${humanSize(f.size)}): open full size`, onclick: () => src && viewer(src, f.name) }, img));
    }
    const status = h('span', { class: 'attachment-status', role: 'status' });
    return h('li', { class: 'attachment file' },
      h('button', {
        type: 'button', class: 'file-chip', title: `Download ${f.name}`,
        onclick: async () => {
          replace(status, '');
          try { saveBlob(await fetchBlob(f.url), f.name); } catch (e) { replace(status, e.message); }
        },
      }, h('span', { class: 'file-icon', 'aria-hidden': 'true' }, '📄'), h('span', { class: 'file-name' }, f.name), h('span', { class: 'file-size' }, humanSize(f.size))),
      status);
  }));
}

/** The composer's files: uploads as they go, then their ids for the message. */
export class AttachmentTray {
  /** @param {string} base the ticket's API path on this side */
  constructor(base) {
    this.base = base;
    this.items = [];
    this.el = h('ul', { class: 'attach-tray', 'aria-label': 'Files to send', hidden: true });
  }

  /** Uploads each file, showing its progress. */
  add(files) {
    for (const file of files) this.upload(file);
  }

  upload(file) {
    const bar = h('progress', { max: 100, value: 0, 'aria-label': `Uploading ${file.name}` });
    const state = h('span', { class: 'tray-state' }, 'Uploading…');
    const item = { file, id: null, done: false, failed: false, xhr: new XMLHttpRequest() };
    const remove = h('button', {
      type: 'button', class: 'link tray-remove', 'aria-label': `Remove ${file.name}`,
      onclick: () => { item.xhr.abort(); this.items = this.items.filter((x) => x !== item); item.li.remove(); this.sync(); },
    }, '×');
    item.li = h('li', { class: 'tray-item' },
      h('span', { class: 'file-name' }, file.name || 'pasted image'), h('span', { class: 'file-size' }, humanSize(file.size)), bar, state, remove);
    this.items.push(item);
    this.el.append(item.li);
    this.sync();
    const xhr = item.xhr;
    xhr.open('POST', `/api${this.base}/attachments`);
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.withCredentials = credentials() !== 'omit';
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total); };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = null; }
      if (xhr.status === 201 && body?.data?.id) {
        item.id = body.data.id;
        item.meta = body.data;
        item.done = true;
        bar.remove();
        replace(state, '');
        item.li.classList.add('ready');
      } else {
        const why = body?.errors?.file?.[0] || (xhr.status === 413 ? 'This file is too large.' : body?.message) || `The server answered ${xhr.status}.`;
        this.fail(item, bar, state, why);
      }
      this.sync();
    };
    xhr.onerror = () => { this.fail(item, bar, state, 'No connection to the server. Remove it and try again.'); this.sync(); };
    const form = new FormData();
    form.append('file', file, file.name || 'pasted-image.png');
    xhr.send(form);
  }

  fail(item, bar, state, why) {
    item.failed = true;
    bar.remove();
    item.li.classList.add('failed');
    replace(state, why);
  }

  sync() {
    this.el.hidden = this.items.length === 0;
  }

  /** True while a file is still uploading. */
  busy() {
    return this.items.some((i) => !i.done && !i.failed);
  }

  /** The uploaded files: `{id, name, content_type, size, url}` each. */
  ready() {
    return this.items.filter((i) => i.done).map((i) => i.meta);
  }

  clear() {
    this.items = [];
    this.el.replaceChildren();
    this.sync();
  }
}
