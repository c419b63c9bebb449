// Where the page keeps what must survive a reload (the outbox, the widget's open chat): the
// browser's localStorage, or, where the browser refuses it (the embedded widget's frame is a
// third party on the host's site, and a browser that blocks third-party cookies blocks its
// storage too), a stand-in in memory that lasts as long as the page.

function inMemory() {
  const items = new Map();
  return {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => { items.set(k, String(v)); },
    removeItem: (k) => { items.delete(k); },
  };
}

function browserStorage() {
  try {
    const s = window.localStorage;
    s.getItem('support.probe');
    return s;
  } catch {
    return null;
  }
}

const local = browserStorage();

/** `getItem`, `setItem` and `removeItem`, as localStorage has them. */
export const storage = local || inMemory();

/** Whether what is kept survives a reload (false with the stand-in). */
export const persistent = local !== null;
