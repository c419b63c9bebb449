// /widget.js: what another site's page includes to show the support chat widget,
//
//   <script src="https://help.example.com/widget.js" data-token="JWT" async></script>
//
// It adds one iframe from the helpdesk's origin and nothing else: the widget runs inside it, so
// the host page's styles and scripts cannot reach it, and its session never enters the host
// page. The JWT (signed by the host application for its signed-in user) goes to the frame in
// the URL fragment, which browsers send to no server. The frame asks, by postMessage, to be
// the launcher's size or the open panel's; nothing else crosses.
(() => {
  const script = document.currentScript;
  if (!script || !script.src) return;
  const origin = new URL(script.src).origin;
  const token = script.dataset.token || '';
  const CLOSED = { width: '220px', height: '84px' };
  const OPEN = { width: 'min(420px, 100vw)', height: 'min(640px, 100vh)' };
  // On a phone the open panel takes the screen.
  const PHONE = { width: '100vw', height: '100vh' };
  const phone = window.matchMedia('(max-width: 480px)');

  const frame = document.createElement('iframe');
  frame.src = `${origin}/widget/frame#token=${encodeURIComponent(token)}`;
  frame.title = 'Chat with support';
  frame.setAttribute('data-support-widget', '');
  // The frame itself gets no powers beyond running its own scripts and talking to its origin.
  frame.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms allow-popups');
  frame.referrerPolicy = 'origin';
  Object.assign(frame.style, {
    position: 'fixed', right: '0', bottom: '0', border: '0', margin: '0', padding: '0',
    background: 'transparent', colorScheme: 'normal', zIndex: '2147483000',
    maxWidth: '100vw', maxHeight: '100vh', ...CLOSED,
  });

  window.addEventListener('message', (e) => {
    if (e.source !== frame.contentWindow || e.origin !== origin) return;
    if (!e.data || e.data.type !== 'support:resize') return;
    Object.assign(frame.style, e.data.open ? (phone.matches ? PHONE : OPEN) : CLOSED);
  });

  const mount = () => document.body.append(frame);
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
})();
