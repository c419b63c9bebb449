// Starts the Rust server (this crate's `compat_server` test run as a child process) and builds
// the real clients against it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import Pusher from 'pusher-js';
import Echo from 'laravel-echo';
import PusherServer from 'pusher';

export const APP = { id: 'compat-app', key: 'compat-key', secret: 'compat-secret' };

export async function startServer(port = 0) {
  const args = process.env.SERVER_ARGS.split(' ');
  const child = spawn(process.env.SERVER_EXE, args, {
    env: { ...process.env, COMPAT_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffered = '';
  const listening = new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const m = buffered.match(/LISTENING (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`server exited early with ${code}`)));
  });
  const actualPort = await listening;
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export function pusherClient(server, token, extra = {}) {
  return new Pusher(APP.key, {
    wsHost: '127.0.0.1',
    wsPort: server.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    cluster: 'mt1',
    channelAuthorization: {
      endpoint: `${server.url}/broadcasting/auth`,
      transport: 'ajax',
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    },
    ...extra,
  });
}

// Echo configured as the seed's frontend configures it. Each instance gets header objects of
// its own: Echo writes the bearer token into its default `auth.headers`, an object every
// instance in one process shares, so without them the last client made would be everyone.
export function echoClient(server, token) {
  return new Echo({
    auth: { headers: {} },
    userAuthentication: { endpoint: '/broadcasting/user-auth', headers: {} },
    broadcaster: 'reverb',
    key: APP.key,
    wsHost: '127.0.0.1',
    wsPort: server.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    authEndpoint: `${server.url}/broadcasting/auth`,
    bearerToken: token,
    Pusher,
  });
}

export function serverSdk(server, secret = APP.secret) {
  return new PusherServer({
    appId: APP.id,
    key: APP.key,
    secret,
    host: '127.0.0.1',
    port: String(server.port),
    useTLS: false,
  });
}

export function connected(pusher) {
  return new Promise((resolve, reject) => {
    if (pusher.connection.state === 'connected') return resolve(pusher.connection.socket_id);
    pusher.connection.bind('connected', () => resolve(pusher.connection.socket_id));
    pusher.connection.bind('failed', () => reject(new Error('connection failed')));
  });
}

export function echoConnected(echo) {
  return connected(echo.connector.pusher);
}

// Resolves with the first value `register(resolve)` delivers, or rejects after `ms`.
export function within(ms, what, register) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

// Collects what `register(push)` pushes for `ms`, then resolves with the list.
export function collect(ms, register) {
  const seen = [];
  register((v) => seen.push(v));
  return new Promise((resolve) => setTimeout(() => resolve(seen), ms));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
