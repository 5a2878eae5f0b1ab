// Calling the three systems: authentication in each system's dialect, retries until a
// definite answer, a 429 pausing every worker, and a lookup before re-sending a write the
// vendor cannot dedupe (docs/live-protocol.md#calling-the-apis).
'use strict';

const { Parked, Stopped, log, sleep, simSeconds } = require('./common');

const FIRST_BACKOFF = 1;            // sim s
const MAX_BACKOFF = 600;            // sim s
const GIVE_UP_AFTER = 2 * 86400;    // sim s: then park the event for a human
const CALL_TIMEOUT = 30;            // sim s, but never under MIN_TIMEOUT_MS wall
const MIN_TIMEOUT_MS = 2000;        // loopback under load is not instant
const MIN_SLEEP_MS = 5;             // no hot loops at high time scales

// Dialects whose APIs take HTTP Basic credentials instead of an OAuth2 bearer token:
// [user, password] settings (docs/dialects.md). Onfleet's API key is the user name.
const BASIC = {
  'sap-s4': ['SEATRIAL_CLIENT_ID', 'SEATRIAL_CLIENT_SECRET'],
  onfleet: ['SEATRIAL_CLIENT_SECRET', null],
};

const wallMs = (r, sim) => Math.max((sim * 1000) / r.scale, MIN_SLEEP_MS);
const callTimeout = (r) => Math.max((CALL_TIMEOUT * 1000) / r.scale, MIN_TIMEOUT_MS);
const baseUrl = (r, system) => r.settings[`SEATRIAL_${system.toUpperCase()}_URL`];

// One client_credentials token per system, shared by every worker: a single request in
// flight, renewed a little before it expires, and after a 401 for the token we sent.
async function token(r, system, stale) {
  let entry = r.tokens.get(system);
  if (!entry || entry.expires <= Date.now() || (stale && entry.token === stale)) {
    entry = { promise: fetchToken(r, system) };
    r.tokens.set(system, entry);
    entry.promise.then((t) => Object.assign(entry, t),
      () => r.tokens.get(system) === entry && r.tokens.delete(system));
  }
  return (await entry.promise).token;
}

async function fetchToken(r, system) {
  const answer = await fetch(`${baseUrl(r, system)}/oauth/token`, {
    method: 'POST', // application/x-www-form-urlencoded, as OAuth2 wants
    body: new URLSearchParams({ grant_type: 'client_credentials',
      client_id: r.settings.SEATRIAL_CLIENT_ID, client_secret: r.settings.SEATRIAL_CLIENT_SECRET }),
    signal: AbortSignal.timeout(callTimeout(r)),
  });
  if (!answer.ok) throw new Error(`token endpoint of ${system} answered ${answer.status}`);
  const { access_token: value, expires_in: lifetime } = await answer.json();
  return { token: value, expires: Date.now() + Math.max(lifetime - 5, 1) * 1000 };
}

// The Authorization value for a call: the dialect's Basic credentials, or a bearer token.
async function authorization(r, system, stale) {
  const basic = BASIC[r.dialects[system]];
  if (!basic) return `Bearer ${await token(r, system, stale)}`;
  const [user, password] = basic.map((name) => (name ? r.settings[name] : ''));
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

// How long a 429 asks us to wait, in wall ms: the exact wait Seatrial puts beside the
// whole-second Retry-After when it sends one (x-seatrial-retry-after), else Retry-After.
function retryAfterMs(answer) {
  const exact = Number(answer.headers.get('x-seatrial-retry-after'));
  if (exact > 0) return exact * 1000;
  const after = Number(answer.headers.get('retry-after'));
  return after > 0 ? after * 1000 : null;
}

// Until a definite answer: 2xx (or a status in `accept`) returns {status, headers, json};
// other 4xx park the event; 5xx, 429, timeouts and dropped connections are retried with
// capped exponential backoff and jitter, always with the same Idempotency-Key. Where the
// vendor honours no key, `recheck` looks the write up after a lost answer before it is sent
// again: found, its answer stands for the lost one.
async function send(r, system, method, route, {
  corr, key, body, accept = [], headers: extra = {}, params, recheck,
} = {}) {
  const started = Date.now();
  let backoff = FIRST_BACKOFF;
  let stale = null; // a bearer token the system answered 401 to
  const url = baseUrl(r, system) + route + (params ? `?${new URLSearchParams(params)}` : '');
  for (;;) {
    if (r.stopped) throw new Stopped();
    const paused = r.pausedUntil.get(system) ?? 0; // shared: a 429 pauses every worker
    if (paused > Date.now()) {
      await sleep(paused - Date.now() + Math.random() * wallMs(r, backoff));
      continue;
    }
    let answer = null;
    let sent = null;
    try {
      sent = await authorization(r, system, stale);
      if ((r.pausedUntil.get(system) ?? 0) > Date.now()) continue; // a 429 came meanwhile
      const headers = { ...extra, authorization: sent };
      if (corr) headers['x-correlation-id'] = corr;
      if (key) headers['idempotency-key'] = key;
      if (body !== undefined) headers['content-type'] = 'application/json';
      answer = await fetch(url, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(callTimeout(r)),
      });
    } catch { // timeout, reset, refused, or no token: did it commit? maybe: retry
      answer = null;
    }
    let json = null;
    if (answer) { // read the whole body (it frees the socket); a body cut off is no answer
      try {
        const text = await answer.text();
        try { json = text ? JSON.parse(text) : null; } catch { json = null; }
      } catch { answer = null; }
    }
    const status = answer?.status;
    if (answer && (answer.ok || accept.includes(status))) {
      return { status, headers: answer.headers, json };
    }
    if (status === 401 && sent.startsWith('Bearer ') && stale !== sent.slice(7)) {
      stale = sent.slice(7); // an expired token: one new one, retried at once
      continue;
    }
    if (status !== undefined && status < 500 && status !== 429) {
      throw new Parked(`${method} ${route} answered ${status}: ${describe(json)}`);
    }
    if (simSeconds(r, Date.now() - started) > GIVE_UP_AFTER) {
      throw new Parked(`${method} ${route}: no definite answer in two simulated days`);
    }
    if (status === 429) {
      const wait = retryAfterMs(answer) ?? wallMs(r, backoff);
      log(`${system} answered 429: every call to it waits ${wait.toFixed(1)} ms`);
      const until = Date.now() + wait;
      r.pausedUntil.set(system, Math.max(until, r.pausedUntil.get(system) ?? 0));
    } else {
      await sleep(wallMs(r, backoff) * (0.5 + Math.random() / 2));
    }
    backoff = Math.min(backoff * 2, MAX_BACKOFF);
    if (!answer && recheck && key) {
      await sleep(callTimeout(r)); // the lost write may still be on its way: let it land
      const found = await recheck();
      if (found) {
        log(`${method} ${route}: answer lost, found it took effect`);
        return found;
      }
    }
  }
}

// What a refusal says, in whichever error shape its system uses.
function describe(json) {
  if (!json || typeof json !== 'object') return '';
  return json.detail ?? json.error?.message?.value ?? json.message?.message
    ?? JSON.stringify(json).slice(0, 200);
}

module.exports = { send, wallMs, callTimeout };
