// How this page proves who it is to the server. The helpdesk's own pages use the session
// cookie, with the CSRF token the page was served with; the embedded widget's frame uses a
// bearer token it got for itself (a cookie in a frame on another site is a third-party cookie,
// which browsers may drop), held in this module's memory only.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content || '';
let bearer = null;
let ended = () => {
  // The session ended: sign in again and come back here.
  location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
};

/** From now on, every call proves the user with this bearer token instead of the cookie. */
export function useBearer(token, { onEnded } = {}) {
  bearer = token;
  if (onEnded) ended = onEnded;
}

/** The headers that prove the user: `Authorization`, or the cookie's CSRF token. */
export function authHeaders() {
  return bearer ? { Authorization: `Bearer ${bearer}` } : { 'X-CSRF-TOKEN': csrf };
}

/** What `fetch` sends of cookies: none with a bearer token. */
export function credentials() {
  return bearer ? 'omit' : 'same-origin';
}

/** Called when the server says the user is no longer signed in (401, 419). */
export function sessionEnded() {
  ended();
}
