// The embedded widget's frame (/widget/frame, loaded by /widget.js on another site). The host
// page hands over the user's JWT in the frame's URL fragment, which never reaches a server or
// a Referer; this page trades it for a session of its own (POST /sso/session), keeps that
// session's token in memory, and from then on is the helpdesk's own chat widget. The host page
// can neither read this frame (another origin) nor style it.

import { useBearer } from './js/auth.js';
import { h, replace } from './js/dom.js';

const params = new URLSearchParams(location.hash.slice(1));
const jwt = params.get('token');
// Out of the address (and the frame's history) at once.
history.replaceState(null, '', location.pathname);

/** Tells the host page how big to make the frame: the launcher alone, or the open panel. */
function resize(open) {
  window.parent.postMessage({ type: 'support:resize', open }, '*');
}

function fail(message) {
  resize(true);
  replace(document.body, h('div', { class: 'widget' },
    h('section', { class: 'widget-panel', role: 'alert' },
      h('header', {}, h('h2', {}, 'Chat with support')),
      h('div', { class: 'widget-body' }, h('p', {}, message)))));
}

async function exchange() {
  let response;
  try {
    response = await fetch('/sso/session', {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ token: jwt }),
    });
  } catch {
    return null;
  }
  if (!response.ok) return { refused: true };
  return response.json();
}

async function main() {
  if (!jwt) {
    fail('This chat could not start: the page that shows it gave no sign-in token.');
    return;
  }
  const session = await exchange();
  if (!session) {
    fail('Support chat is unreachable right now. Try again later.');
    return;
  }
  if (session.refused) {
    fail('Support chat could not sign you in. Reload the page to try again.');
    return;
  }
  useBearer(session.token, {
    onEnded: () => fail('Your support chat session ended. Reload the page to continue.'),
  });
  const me = { ...session.user, staff: false };
  // Only now: realtime.js authorizes its channels with the headers settled above.
  const { mountWidget } = await import('./js/widget.js');
  resize(false);
  mountWidget({ me, resize });
}

main();
