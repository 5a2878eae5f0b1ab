// A sync implementation for Seatrial's live mode, in plain Node.js (>= 20, no dependencies).
//
// It mirrors sync_implementations/reference.py over HTTP: webhooks are verified (Standard
// Webhooks), deduped by event id, appended to a per-order inbox and acked at once; one worker
// per order drains its inbox in arrival order, so writes for an order never race and orders
// never wait for each other. Every call carries the event's correlation id, every POST an
// Idempotency-Key that names the effect, and is retried (same key) until a definite answer.
// The wire protocol is docs/live-protocol.md.
'use strict';

const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const SYSTEMS = ['erp', 'tms', 'lastmile'];
const SETTINGS = [
  'SEATRIAL_ERP_URL', 'SEATRIAL_TMS_URL', 'SEATRIAL_LASTMILE_URL',
  'SEATRIAL_CLIENT_ID', 'SEATRIAL_CLIENT_SECRET',
  'SEATRIAL_ERP_WEBHOOK_SECRET', 'SEATRIAL_TMS_WEBHOOK_SECRET',
  'SEATRIAL_LASTMILE_WEBHOOK_SECRET', 'SEATRIAL_TIME_SCALE',
];

// Our mapping of the sources' vocabularies onto the ERP lifecycle (the reference's).
const RANK = { REL: 0, PLN: 1, PCK: 2, ITR: 3, HUB: 4, OFD: 5, DLV: 6, RTN: 6 }; // two endings
const FROM_TMS = { XB: 'PLN', X3: 'PLN', AF: 'PCK', X6: 'ITR', X4: 'HUB', A3: 'RTN' };
const FROM_LASTMILE = { taskStarted: 'OFD', taskArrival: 'OFD', taskReturned: 'RTN' };
// Offsets of sources that send local times without one (vocabulary.SOURCE_LOCAL_TIME).
const LOCAL_OFFSET = { erp: '+00:00', tms: '+01:00', lastmile: '+00:00' };
// Fields a payload must carry, per event type, before we act on it (else: park it).
const REQUIRED = {
  'shipment.status': ['status_code'],
  'shipment.charges_finalized': ['statement_id', 'lines', 'total'],
  'task.updated': ['trigger'],
  'order.changed': ['ship_to'],
};

// Retry timing is set in *simulated* seconds, as the reference's, and slept scaled to wall
// time: the checks (converge, latency SLOs) judge in simulated time.
const FIRST_BACKOFF = 1;            // sim s
const MAX_BACKOFF = 600;            // sim s
const GIVE_UP_AFTER = 2 * 86400;    // sim s: then park the event for a human
const CALL_TIMEOUT = 30;            // sim s, but never under MIN_TIMEOUT_MS wall
const MIN_TIMEOUT_MS = 2000;        // loopback under load is not instant
const MIN_SLEEP_MS = 5;             // no hot loops at high time scales
const SIGNATURE_TOLERANCE = 300;    // wall s, Standard Webhooks' replay window

class Parked extends Error {}       // retrying cannot fix this: keep it, move on
class Stopped extends Error {}      // the run this work belongs to was replaced

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (...args) => console.log(new Date().toISOString(), ...args);

// --- one run: settings plus everything we know; POST /seatrial/configure starts a new one ----

let run = null;

function newRun(raw) {
  const missing = SETTINGS.filter((name) => !raw[name]);
  if (missing.length) throw new Error(`missing setting(s) ${missing.join(', ')}`);
  const scale = Number(raw.SEATRIAL_TIME_SCALE);
  if (!(scale > 0)) throw new Error('SEATRIAL_TIME_SCALE must be a positive number');
  if (run) run.stopped = true; // workers of the old run stop at their next call
  run = {
    settings: raw, scale, stopped: false,
    seen: new Set(),            // event ids already queued (deliveries are at least once)
    cancelled: new Set(),       // orders whose cancellation arrived (read before invoicing)
    inbox: new Map(),           // order id -> events not yet applied, in arrival order
    state: new Map(),           // order id -> what we have done for it
    working: new Set(),         // orders with a live worker
    tokens: new Map(),          // system -> Promise<{token, expires}>
    pausedUntil: new Map(),     // system -> wall ms; a 429 pauses every call to that system
    journal: null,
  };
  openJournal(run, raw.SEATRIAL_STATE_DIR);
  return run;
}

// --- optional durability: with SEATRIAL_STATE_DIR (set by `--target-cmd`) we keep an
// append-only journal there, so a crash-and-restart (sut-crash-restart) loses no acked event.
// Without it everything is in memory, which is fine for an example.

function openJournal(r, dir) {
  if (!dir) return;
  r.journal = path.join(dir, 'node-sync-journal.jsonl');
  if (!fs.existsSync(r.journal)) return;
  for (const line of fs.readFileSync(r.journal, 'utf8').split('\n')) {
    if (!line) continue;
    let rec;
    try { rec = JSON.parse(line); } catch { continue; } // a torn last line after a kill
    if (rec.op === 'queue') {
      r.seen.add(rec.event.event_id);
      if (rec.event.type === 'order.cancelled') r.cancelled.add(rec.event.order_id);
      inboxOf(r, rec.event.order_id).push(rec.event);
    } else if (rec.op === 'done') {
      inboxOf(r, rec.order).shift();
      if (rec.state) r.state.set(rec.order, rec.state);
    } else if (rec.op === 'seen') r.seen.add(rec.id);
  }
  for (const [order, events] of r.inbox) if (events.length) wake(r, order);
  log(`journal replayed: ${r.seen.size} events, ${r.state.size} orders`);
}

function journal(r, rec) {
  if (r.journal && !r.stopped) fs.appendFileSync(r.journal, JSON.stringify(rec) + '\n');
}

// --- receipt: verify, dedupe, queue, ack ---------------------------------------------------

function verifySignature(secret, headers, body) {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !ts || !signatures || !/^\d+$/.test(ts)) return false;
  if (Math.abs(Date.now() / 1000 - Number(ts)) > SIGNATURE_TOLERANCE) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = Buffer.from('v1,' + crypto.createHmac('sha256', key)
    .update(`${id}.${ts}.`).update(body).digest('base64'));
  return signatures.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
}

function inboxOf(r, order) {
  if (!r.inbox.has(order)) r.inbox.set(order, []);
  return r.inbox.get(order);
}

// Returns the HTTP status to answer the source with.
function receive(source, headers, body) {
  const r = run;
  if (!r) return 503; // not configured yet: the source will redeliver
  const secret = r.settings[`SEATRIAL_${source.toUpperCase()}_WEBHOOK_SECRET`];
  if (!verifySignature(secret, headers, body)) return 401; // forged or stale: refuse
  let event;
  try { event = JSON.parse(body.toString('utf8')); } catch { event = null; }
  if (!event || typeof event !== 'object' || typeof event.event_id !== 'string') {
    log('parked: signed delivery with an unreadable envelope', headers['webhook-id']);
    return 204; // redelivering it would not make it readable
  }
  if (r.seen.has(event.event_id)) return 204; // duplicate or redelivery
  r.seen.add(event.event_id);
  if (!event.order_id) {
    journal(r, { op: 'seen', id: event.event_id });
    log('parked: no order id', event.event_id);
    return 204;
  }
  // A cancellation jumps the queue: it stops invoicing at once, even while earlier events
  // of the order are still being worked.
  if (event.type === 'order.cancelled') r.cancelled.add(event.order_id);
  journal(r, { op: 'queue', event });
  inboxOf(r, event.order_id).push(event);
  wake(r, event.order_id);
  return 204;
}

function wake(r, order) {
  if (r.working.has(order)) return;
  r.working.add(order);
  work(r, order).catch((error) => log('worker crashed', order, error))
    .finally(() => r.working.delete(order));
}

// One worker per order: applies its events one at a time, in arrival order.
async function work(r, order) {
  const inbox = inboxOf(r, order);
  while (inbox.length && !r.stopped) {
    const event = inbox[0];
    // Work on a copy: only a fully applied (or parked) event changes the order's state.
    const state = structuredClone(r.state.get(order) ?? {
      status: 'REL', shipment: null, task: null, ship_to: null, cancelled: false,
      invoiced: false, charges: [], eta_recorded: null,
    });
    try {
      await apply(r, event, state);
      r.state.set(order, state);
    } catch (error) {
      if (error instanceof Stopped) return;
      log(`parked ${event.event_id} (${event.type}):`, error.message);
    }
    journal(r, { op: 'done', order, state: r.state.get(order) });
    inbox.shift();
  }
}

// --- applying one event ----------------------------------------------------------------------

async function apply(r, event, state) {
  const payload = upgrade(event);
  validate(event, payload);
  if ('retracted_event_id' in payload) return; // a retraction never moves status
  const ctx = { r, event, state, corr: event.correlation_id };
  switch (event.type) {
    case 'order.released': return released(ctx);
    case 'order.cancelled': return cancelled(ctx);
    case 'order.changed': return changed(ctx, payload);
    case 'shipment.status': return shipmentStatus(ctx, payload);
    case 'shipment.charges_finalized': return charges(ctx, payload);
    case 'task.updated': return taskUpdated(ctx, payload);
    default: throw new Parked(`unknown event type ${event.type}`);
  }
}

async function released(ctx) {
  const { r, event, state, corr } = ctx;
  if (state.cancelled || state.shipment) return;
  const order = await send(r, 'erp', 'GET', `/orders/${event.order_id}`, { corr });
  if (order.status === 'CNL') { state.cancelled = true; return; }
  state.ship_to = order.ship_to;
  const shipment = await send(r, 'tms', 'POST', '/shipments', {
    corr, key: `shipment-${event.order_id}`,
    body: { order_id: event.order_id, ship_to: order.ship_to, lines: order.lines },
  });
  state.shipment = shipment.id;
  await advance(ctx, 'PLN');
}

async function cancelled({ r, state, corr }) {
  state.cancelled = true;
  const body = { reason: 'order cancelled' };
  if (state.shipment) { // 409: it already departed, nothing left to cancel
    await send(r, 'tms', 'POST', `/shipments/${state.shipment}/cancel`,
      { corr, body, key: `cancel-${state.shipment}`, accept: [409] });
  }
  if (state.task) {
    await send(r, 'lastmile', 'POST', `/tasks/${state.task}/cancel`,
      { corr, body, key: `cancel-${state.task}`, accept: [409] });
  }
}

async function changed({ r, event, state, corr }, payload) {
  state.ship_to = payload.ship_to; // a task created later goes to the new address
  if (state.task && !state.cancelled) { // 409: the task is already finished
    await send(r, 'lastmile', 'POST', `/tasks/${state.task}/destination`,
      { corr, body: payload.ship_to, key: `destination-${event.event_id}`, accept: [409] });
  }
}

async function shipmentStatus(ctx, payload) {
  const { r, event, state, corr } = ctx;
  if (event.shipment_id !== state.shipment) return; // not the shipment we created
  const code = payload.status_code;
  if (event.classifier !== 'ACT') { // estimates never move status; record the hub ETA
    if (code === 'X4' && RANK[state.status] < RANK.HUB) await estimate(ctx, payload);
    return;
  }
  if (FROM_TMS[code]) await advance(ctx, FROM_TMS[code]);
  const cancelling = state.cancelled || r.cancelled.has(event.order_id);
  if (code === 'X4' && !cancelling && !state.task) { // goods at the hub: one delivery task
    const task = await send(r, 'lastmile', 'POST', '/tasks', {
      corr, key: `task-${state.shipment}`,
      body: { shipment_id: state.shipment, order_id: event.order_id, destination: state.ship_to },
    });
    state.task = task.id;
  }
}

async function taskUpdated(ctx, payload) {
  const { r, event, state, corr } = ctx;
  if (event.task_id !== state.task) return;
  const trigger = payload.trigger;
  if (event.classifier !== 'ACT') {
    if (trigger === 'taskEta' && RANK[state.status] < RANK.DLV) await estimate(ctx, payload);
    return;
  }
  if (FROM_LASTMILE[trigger]) await advance(ctx, FROM_LASTMILE[trigger]);
  const details = payload.completion_details || {};
  // Delivered means success *and* a proof of delivery; a failed attempt is a flag, not a stage.
  if (trigger !== 'taskCompleted' || !(details.success && details.pod)) return;
  await advance(ctx, 'DLV');
  if (state.cancelled || state.invoiced || r.cancelled.has(event.order_id)) return;
  await send(r, 'erp', 'POST', `/orders/${event.order_id}/invoice`, {
    corr, key: `invoice-${event.order_id}`,
    body: { pod_reference: details.pod.photo ?? null, task_id: event.task_id },
  });
  state.invoiced = true;
}

async function charges({ r, event, state, corr }, payload) {
  // Once per statement id, not per event: unknown-code copies repeat the same statement.
  if (state.charges.includes(payload.statement_id)) return;
  await send(r, 'erp', 'POST', `/orders/${event.order_id}/freight-charges`, {
    corr, key: `charges-${payload.statement_id}`,
    body: { statement_id: payload.statement_id, shipment_id: event.shipment_id,
      lines: payload.lines, total: payload.total },
  });
  state.charges.push(payload.statement_id);
}

// --- writing to the ERP ------------------------------------------------------------------

// Forward only, by rank, never by arrival or event time; DLV and RTN share the top rank, so
// an ending is never replaced.
async function advance({ r, event, state, corr }, status) {
  if (RANK[status] <= RANK[state.status]) return;
  await send(r, 'erp', 'POST', `/orders/${event.order_id}/logistics-status`, {
    corr, key: `status-${event.order_id}-${status}`,
    body: { status, classifier: 'ACT', shipment_id: state.shipment,
      event_time: eventTime(event) },
  });
  state.status = status;
}

// An estimate carries the current status along, and an older one (by recorded_time) never
// replaces a newer one.
async function estimate({ r, event, state, corr }, payload) {
  const recorded = event.recorded_time;
  if (state.eta_recorded !== null && recorded <= state.eta_recorded) return;
  await send(r, 'erp', 'POST', `/orders/${event.order_id}/logistics-status`, {
    corr, key: `eta-${event.event_id}`,
    body: { status: state.status, classifier: 'EST', eta: payload.eta ?? null,
      event_time: eventTime(event) },
  });
  state.eta_recorded = recorded;
}

// A time without an offset is the source's documented local time: give it that offset, so
// the ERP reads it right.
function eventTime(event) {
  const time = String(event.event_time);
  return /(Z|[+-]\d\d:?\d\d)$/.test(time) ? time : time + LOCAL_OFFSET[event.source];
}

// --- reading payloads defensively --------------------------------------------------------

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
const isValue = (value) => value != null && ['string', 'number', 'boolean', 'object']
  .includes(typeof value);

// Poison (fields missing or of the wrong type) is parked and acked, never retried.
function validate(event, payload) {
  const ok = isObject(payload)
    && (REQUIRED[event.type] || []).every((name) => isValue(payload[name]))
    && (payload.completion_details == null || isObject(payload.completion_details));
  if (!ok) throw new Parked(`malformed ${event.type} payload (schema ${event.schema_version})`);
}

// Schema 2.0 back to 1.0 (vocabulary.V2_FIELDS documents the reshaping).
function upgrade(event) {
  const p = event.payload ?? {};
  if (!String(event.schema_version ?? '1.0').startsWith('2.') || !isObject(p)) return p;
  let v1 = p;
  if ('data' in p) v1 = p.data;
  else if (event.source === 'tms') {
    v1 = { status_code: p.status?.code, reason_code: p.status?.reason, carrier: p.carrier?.name };
    if ('estimatedArrival' in p) v1.eta = p.estimatedArrival;
  } else if (event.source === 'lastmile') {
    v1 = { trigger: p.triggerName, state: p.taskState, worker: p.workerName };
    const d = p.completionDetails;
    if (d && typeof d === 'object') {
      v1.completion_details = { success: d.success, attempt: d.attempt,
        failure_reason: d.failureReason, pod: d.proofOfDelivery };
    }
    if ('etaTime' in p) v1.eta = p.etaTime;
  }
  if (v1 && typeof v1 === 'object' && 'retracted_event_id' in p) {
    v1 = { ...v1, retracted_event_id: p.retracted_event_id };
  }
  return v1;
}

// --- calling the APIs: tokens, retries, rate limits --------------------------------------

const wallMs = (r, simSeconds) => Math.max((simSeconds * 1000) / r.scale, MIN_SLEEP_MS);
const callTimeout = (r) => Math.max((CALL_TIMEOUT * 1000) / r.scale, MIN_TIMEOUT_MS);

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
  const answer = await fetch(`${r.settings[`SEATRIAL_${system.toUpperCase()}_URL`]}/oauth/token`, {
    method: 'POST', // application/x-www-form-urlencoded, as OAuth2 wants
    body: new URLSearchParams({ grant_type: 'client_credentials',
      client_id: r.settings.SEATRIAL_CLIENT_ID, client_secret: r.settings.SEATRIAL_CLIENT_SECRET }),
    signal: AbortSignal.timeout(callTimeout(r)),
  });
  if (!answer.ok) throw new Error(`token endpoint of ${system} answered ${answer.status}`);
  const { access_token: value, expires_in: lifetime } = await answer.json();
  return { token: value, expires: Date.now() + Math.max(lifetime - 5, 1) * 1000 };
}

// Until a definite answer: 2xx (or an accepted status) returns the body; other 4xx park the
// event; 5xx, timeouts and dropped connections are retried with capped exponential backoff
// and jitter, always with the same Idempotency-Key, so a retry after a lost response gets the
// first answer replayed, never a second effect.
async function send(r, system, method, route, { corr, key, body, accept = [] }) {
  const started = Date.now();
  let backoff = FIRST_BACKOFF;
  let stale = null; // a token the system answered 401 to
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
      sent = await token(r, system, stale);
      if ((r.pausedUntil.get(system) ?? 0) > Date.now()) continue; // a 429 came meanwhile
      const headers = { authorization: `Bearer ${sent}`, 'x-correlation-id': corr };
      if (method === 'POST') {
        headers['idempotency-key'] = key;
        headers['content-type'] = 'application/json';
      }
      answer = await fetch(r.settings[`SEATRIAL_${system.toUpperCase()}_URL`] + route, {
        method, headers, body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
        signal: AbortSignal.timeout(callTimeout(r)),
      });
    } catch (error) { // timeout, reset, refused, or no token: did it commit? maybe: retry
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
    if (answer && (answer.ok || accept.includes(status))) return json;
    if (status === 401 && stale !== sent) { // expired token: one new one, retried at once
      stale = sent;
      continue;
    }
    if (status !== undefined && status < 500 && status !== 429) {
      throw new Parked(`${method} ${route} answered ${status}: ${json?.detail ?? ''}`);
    }
    if ((Date.now() - started) * r.scale / 1000 > GIVE_UP_AFTER) {
      throw new Parked(`${method} ${route}: no definite answer in two simulated days`);
    }
    if (status === 429) { // Retry-After is in wall seconds on the wire
      const after = Number(answer.headers.get('retry-after'));
      const until = Date.now() + (after > 0 ? after * 1000 : wallMs(r, backoff));
      r.pausedUntil.set(system, Math.max(until, r.pausedUntil.get(system) ?? 0));
    } else {
      await sleep(wallMs(r, backoff) * (0.5 + Math.random() / 2));
    }
    backoff = Math.min(backoff * 2, MAX_BACKOFF);
  }
}

// --- the HTTP face ---------------------------------------------------------------------

// POST /seatrial/configure wipes every run's state, so with SEATRIAL_CONTROL_SECRET in our
// environment (Seatrial sets it for a command it starts; set it yourself, and give Seatrial the
// same, for a server you start) only a caller that sends it may configure us. Compared over
// digests in constant time: neither its length nor where it differs shows in the timing.
const CONTROL_SECRET = process.env.SEATRIAL_CONTROL_SECRET || '';
const digest = (text) => crypto.createHash('sha256').update(text, 'utf8').digest();

function mayConfigure(req) {
  if (!CONTROL_SECRET) return true;
  return crypto.timingSafeEqual(digest(req.headers.authorization || ''),
                                digest(`Bearer ${CONTROL_SECRET}`));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function reply(res, status, title, detail) {
  if (!title) { res.writeHead(status); res.end(); return; }
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail }));
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://localhost');
    const hook = /^\/webhooks\/(erp|tms|lastmile)$/.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', configured: run !== null }));
    } else if (req.method === 'POST' && hook) {
      const status = receive(hook[1], req.headers, await readBody(req));
      if (status === 401) reply(res, 401, 'Unauthorized', 'signature missing, wrong or too old');
      else if (status === 503) reply(res, 503, 'Not configured', 'POST /seatrial/configure first');
      else reply(res, status);
    } else if (req.method === 'POST' && url.pathname === '/seatrial/configure') {
      if (!mayConfigure(req)) {
        res.setHeader('www-authenticate', 'Bearer realm="seatrial-control"');
        return reply(res, 401, 'Unauthorized', 'send the control secret as Authorization: '
                     + 'Bearer $SEATRIAL_CONTROL_SECRET; nothing was changed');
      }
      let raw;
      try { raw = JSON.parse((await readBody(req)).toString('utf8')); } catch { raw = null; }
      if (!raw || typeof raw !== 'object') {
        return reply(res, 400, 'Invalid settings', 'send the settings as a JSON object');
      }
      try {
        // A new run: forget every order, key and queue (and a journal left by an earlier run).
        const dir = process.env.SEATRIAL_STATE_DIR;
        if (dir) fs.rmSync(path.join(dir, 'node-sync-journal.jsonl'), { force: true });
        newRun({ ...raw, SEATRIAL_STATE_DIR: dir });
      } catch (error) {
        return reply(res, 422, 'Invalid settings', error.message);
      }
      reply(res, 204);
    } else {
      reply(res, 404, 'No such endpoint', `${req.method} ${url.pathname}`);
    }
  } catch (error) {
    log('request failed', error);
    if (!res.headersSent) reply(res, 500, 'Internal error', String(error));
  }
});

if (SETTINGS.some((name) => process.env[name])) newRun(process.env); // started by --target-cmd
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT || 9000), '127.0.0.1', () =>
  log(`node-sync listening on 127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0)); // the journal is already on disk
