'use strict';
// A sync implementation for Seatrial, written from docs/protocol-guide.md and
// docs/live-protocol.md only. Node.js 20, standard library only.
//
// Design:
// - Webhooks are verified (Standard Webhooks), deduplicated by event_id, journaled to
//   SEATRIAL_STATE_DIR, queued per order, and answered 200 at once; the work follows.
// - Each order's events are worked one at a time in arrival order; orders run independently.
// - Every POST carries a deterministic Idempotency-Key; the body sent under a key is journaled
//   before it is sent and its definite answer after, so a re-run (after a crash) sends the same
//   request again or reuses the stored answer.
// - Retries: 5xx, 429, timeouts and broken connections, with backoff in simulated time.
//   A 429 holds every call to that system until its x-seatrial-retry-after / Retry-After.

const http = require('http');
const https = require('https');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

// ---------------------------------------------------------------------------------------------
// settings

const REQUIRED = [
  'SEATRIAL_ERP_URL', 'SEATRIAL_TMS_URL', 'SEATRIAL_LASTMILE_URL',
  'SEATRIAL_CLIENT_ID', 'SEATRIAL_CLIENT_SECRET',
  'SEATRIAL_ERP_WEBHOOK_SECRET', 'SEATRIAL_TMS_WEBHOOK_SECRET', 'SEATRIAL_LASTMILE_WEBHOOK_SECRET',
  'SEATRIAL_TIME_SCALE',
];

let cfg = null; // {urls:{erp,tms,lastmile}, clientId, clientSecret, secrets:{...}, scale}

function parseSettings(src) {
  const errors = [];
  const out = { urls: {}, secrets: {} };
  for (const name of REQUIRED) {
    const v = src[name];
    if (v === undefined || v === null || v === '') errors.push(`${name} is missing`);
  }
  if (errors.length) return { errors };
  for (const sys of ['erp', 'tms', 'lastmile']) {
    const u = String(src[`SEATRIAL_${sys.toUpperCase()}_URL`]);
    if (!/^https?:\/\/[^/?#\s]+/.test(u)) errors.push(`SEATRIAL_${sys.toUpperCase()}_URL is malformed`);
    out.urls[sys] = u.replace(/\/+$/, '');
    const s = String(src[`SEATRIAL_${sys.toUpperCase()}_WEBHOOK_SECRET`]);
    if (!/^whsec_[A-Za-z0-9+/=]+$/.test(s)) errors.push(`SEATRIAL_${sys.toUpperCase()}_WEBHOOK_SECRET is malformed`);
    out.secrets[sys] = Buffer.from(s.slice(6), 'base64');
  }
  out.clientId = String(src.SEATRIAL_CLIENT_ID);
  out.clientSecret = String(src.SEATRIAL_CLIENT_SECRET);
  const scale = Number(src.SEATRIAL_TIME_SCALE);
  if (!Number.isFinite(scale) || scale <= 0) errors.push('SEATRIAL_TIME_SCALE must be a positive number');
  out.scale = scale;
  if (errors.length) return { errors };
  return { settings: out };
}

// simulated seconds -> wall milliseconds
function simMs(simSeconds) { return (simSeconds / cfg.scale) * 1000; }

const log = (...a) => { if (process.env.GUIDE_DEBUG) console.error(new Date().toISOString(), ...a); };

// ---------------------------------------------------------------------------------------------
// durable state: an append-only journal of records, replayed on start

let journalFd = null;
let state = null;
let generation = 0; // bumped by /seatrial/configure so that old workers stop

function freshState() {
  return {
    seen: new Set(),          // event ids taken
    orders: new Map(),        // order id -> order
    memo: new Map(),          // idempotency key -> {status, body, headers?}
    intents: new Map(),       // idempotency key -> body sent
  };
}

function orderOf(id) {
  let o = state.orders.get(id);
  if (!o) {
    o = {
      id, corr: null, cancelled: false, shipment: null, task: null, rank: 0, terminal: null,
      invoiced: false, createTried: false, createAmbiguousAt: 0, queue: [], running: false,
      closed: false,
    };
    state.orders.set(id, o);
  }
  return o;
}

function applyRecord(r) {
  switch (r.t) {
    case 'e': { // event taken
      state.seen.add(r.ev.event_id);
      if (typeof r.ev.order_id === 'string') {
        const o = orderOf(r.ev.order_id);
        o.queue.push(r.ev);
        if (!o.corr && typeof r.ev.correlation_id === 'string' && r.ev.correlation_id) o.corr = r.ev.correlation_id;
        if (r.ev.type === 'order.cancelled' && r.cancel) o.cancelled = true;
      }
      break;
    }
    case 'd': { // event done
      const o = state.orders.get(r.o);
      if (o && o.queue.length && o.queue[0].event_id === r.id) o.queue.shift();
      else if (o) o.queue = o.queue.filter((e) => e.event_id !== r.id);
      break;
    }
    case 'o': Object.assign(orderOf(r.o), r.p); break;
    case 'i': state.intents.set(r.k, r.b); break;
    case 'm': state.memo.set(r.k, r.v); break;
    default: break;
  }
}

function record(r) {
  applyRecord(r);
  if (journalFd !== null) fs.writeSync(journalFd, JSON.stringify(r) + '\n');
}

function patchOrder(o, p) { record({ t: 'o', o: o.id, p }); }

function openJournal() {
  state = freshState();
  const dir = process.env.SEATRIAL_STATE_DIR;
  if (!dir) { journalFd = null; return; }
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'guide-node-journal.jsonl');
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.split('\n');
    for (const line of lines) {
      if (!line) continue;
      let r;
      try { r = JSON.parse(line); } catch (e) { continue; } // a torn last line
      applyRecord(r);
    }
    // a torn last line would glue onto the next record: start on a fresh line
    if (text.length && !text.endsWith('\n')) fs.appendFileSync(file, '\n');
  }
  journalFd = fs.openSync(file, 'a');
}

// ---------------------------------------------------------------------------------------------
// HTTP client

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: Infinity }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: Infinity }),
};

function rawRequest(method, url, headers, body, timeoutMs) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    let done = false;
    const finish = (v) => { if (!done) { done = true; clearTimeout(timer); resolve(v); } };
    const req = mod.request(u, { method, headers, agent: agents[u.protocol] }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => finish({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => finish({ error: 'broken' }));
      res.on('aborted', () => finish({ error: 'broken' }));
    });
    const timer = setTimeout(() => { finish({ error: 'timeout' }); req.destroy(); }, timeoutMs);
    req.on('error', () => finish({ error: 'broken' }));
    if (body !== undefined && body !== null) req.end(body); else req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

// per-system hold after a 429 (wall ms epoch)
const holdUntil = { erp: 0, tms: 0, lastmile: 0 };

function retryAfterMs(res) {
  const exact = res.headers['x-seatrial-retry-after'];
  if (exact !== undefined && exact !== '' && Number.isFinite(Number(exact))) return Number(exact) * 1000;
  const ra = res.headers['retry-after'];
  if (ra === undefined) return null;
  if (/^\s*\d+\s*$/.test(ra)) return Number(ra) * 1000;
  const t = Date.parse(ra);
  if (Number.isFinite(t)) return Math.max(0, t - Date.now());
  return null;
}

// tokens
const tokens = { erp: null, tms: null, lastmile: null };
const tokenFetch = { erp: null, tms: null, lastmile: null };

async function waitHold(sys) {
  for (;;) {
    const w = holdUntil[sys] - Date.now();
    if (w <= 0) return;
    await sleep(w + 1);
  }
}

// After a 429, calls to that system go out a few at a time (first come, first served) instead
// of all at once when the hold ends: the limit drops to 1 and grows back by one per success.
const limiter = {};
for (const s of ['erp', 'tms', 'lastmile']) limiter[s] = { limit: Infinity, inflight: 0, waiters: [[], []] };

// priority 0: reads an order's shipment waits for (order to shipment); 1: everything else
function acquire(sys, prio) {
  const l = limiter[sys];
  const queued = l.waiters[0].length + l.waiters[1].length;
  if (l.inflight < l.limit && queued === 0) { l.inflight += 1; return Promise.resolve(); }
  return new Promise((resolve) => l.waiters[prio ? 1 : 0].push(resolve));
}

function release(sys, outcome) {
  const l = limiter[sys];
  l.inflight -= 1;
  if (outcome === 429) l.limit = 1;
  else if (outcome === 'ok' && l.limit !== Infinity) l.limit = l.limit >= 64 ? Infinity : l.limit + 1;
  while (l.inflight < l.limit) {
    const q = l.waiters[0].length ? l.waiters[0] : l.waiters[1];
    if (!q.length) break;
    l.inflight += 1;
    q.shift()();
  }
}

function send1(sys, method, p, token, opts, key, payload) {
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
  if (opts.corr) headers['X-Correlation-ID'] = opts.corr;
  if (key) headers['Idempotency-Key'] = key;
  if (payload !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = Buffer.byteLength(payload);
  }
  return rawRequest(method, cfg.urls[sys] + p, headers, payload, clientTimeoutMs());
}

function clientTimeoutMs() { return Math.max(30 / cfg.scale, 0.25) * 1000; }

async function fetchToken(sys, gen) {
  let attempt = 0;
  for (;;) {
    if (gen !== generation) throw new Error('stale generation');
    await waitHold(sys);
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: cfg.clientId, client_secret: cfg.clientSecret }).toString();
    const res = await rawRequest('POST', `${cfg.urls[sys]}/oauth/token`, {
      'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body),
    }, body, clientTimeoutMs());
    if (res.status === 200) {
      try {
        const j = JSON.parse(res.text);
        const life = Number(j.expires_in) || 3600;
        return { value: j.access_token, expires: Date.now() + life * 1000 * 0.8 };
      } catch (e) { /* fall through to retry */ }
    }
    if (res.status === 429) {
      const w = retryAfterMs(res);
      holdUntil[sys] = Math.max(holdUntil[sys], Date.now() + (w === null ? 1000 : w));
    }
    attempt += 1;
    await sleep(backoffMs(attempt));
  }
}

async function getToken(sys, gen) {
  const t = tokens[sys];
  if (t && t.expires > Date.now()) return t.value;
  if (!tokenFetch[sys]) {
    tokenFetch[sys] = fetchToken(sys, gen).then((tok) => { tokens[sys] = tok; tokenFetch[sys] = null; return tok; },
      (e) => { tokenFetch[sys] = null; throw e; });
  }
  return (await tokenFetch[sys]).value;
}

function backoffMs(attempt) {
  const sim = Math.min(600, Math.pow(2, Math.max(0, attempt - 1))); // 1 s doubling to 10 min
  const jitter = 0.5 + Math.random() * 0.5;
  return Math.max(2, simMs(sim) * jitter);
}

class Final extends Error {
  constructor(res) { super(`final ${res.status}`); this.res = res; }
}
class Parked extends Error {}
class Stale extends Error {}

// One call, retried until a definite answer. Returns {status, body, headers, replayed}.
// opts: {key, corr, abort: () => bool, onAmbiguous: () => void, okStatuses}
async function call(sys, method, p, body, opts = {}) {
  const gen = generation;
  const started = Date.now();
  const parkAfter = simMs(2 * 86400);
  let attempt = 0;
  const key = opts.key;
  if (key && state.memo.has(key)) return state.memo.get(key);
  if (key && body !== undefined) {
    if (state.intents.has(key)) body = state.intents.get(key);
    else record({ t: 'i', k: key, b: body });
  }
  const payload = body === undefined ? undefined : JSON.stringify(body);
  for (;;) {
    if (gen !== generation) throw new Stale();
    if (opts.abort && opts.abort()) throw new Parked('aborted');
    if (Date.now() - started > parkAfter) throw new Parked(`no definite answer after two simulated days: ${method} ${p}`);
    let token;
    try { token = await getToken(sys, gen); } catch (e) { throw new Stale(); }
    await acquire(sys, opts.priority === 0 ? 0 : 1);
    let outcome = 'other';
    let res;
    try {
      await waitHold(sys);
      if (gen !== generation) throw new Stale();
      res = await send1(sys, method, p, token, opts, key, payload);
      if (res.status === 429) {
        outcome = 429;
        const w = retryAfterMs(res);
        holdUntil[sys] = Math.max(holdUntil[sys], Date.now() + (w === null ? backoffMs(attempt + 1) : w));
        log('429', sys, method, p, w);
      } else if (!res.error && res.status < 500) outcome = 'ok';
    } finally {
      release(sys, outcome);
    }
    attempt += 1;
    if (res.error) {
      if (res.error === 'timeout' && opts.onAmbiguous) opts.onAmbiguous();
      log('retry', sys, method, p, res.error);
      await sleep(backoffMs(attempt));
      continue;
    }
    let parsed = null;
    try { parsed = res.text ? JSON.parse(res.text) : null; } catch (e) { parsed = res.text; }
    const out = { status: res.status, body: parsed, replayed: res.headers['idempotent-replayed'] === 'true' };
    if (res.status === 401) {
      if (tokens[sys] && tokens[sys].value === token) tokens[sys] = null;
      await sleep(attempt > 3 ? backoffMs(attempt - 3) : 0);
      continue;
    }
    if (res.status === 429) continue; // held above
    if (res.status >= 500) {
      let w = backoffMs(attempt);
      const ra = retryAfterMs(res);
      if (ra !== null && res.headers['x-seatrial-retry-after'] !== undefined) w = Math.min(Math.max(ra, 2), simMs(600));
      log('retry', sys, method, p, res.status);
      await sleep(w);
      continue;
    }
    if (res.status >= 200 && res.status < 300) {
      if (key) record({ t: 'm', k: key, v: out });
      return out;
    }
    if (res.status === 409) {
      if (key) record({ t: 'm', k: key, v: out });
      return out;
    }
    if (res.status === 422 && key && parsed && typeof parsed.type === 'string' && parsed.type.endsWith('idempotency-key-reused')) {
      // the key was used for this operation already (an earlier body): the effect is done
      log('key reused', key, parsed.detail);
      const o = { status: 200, body: null, reused: true };
      record({ t: 'm', k: key, v: o });
      return o;
    }
    throw new Final(out);
  }
}

// ---------------------------------------------------------------------------------------------
// events: validation and normalisation

const RANK = { REL: 0, PLN: 1, PCK: 2, ITR: 3, HUB: 4, OFD: 5, DLV: 6, RTN: 6 };
const TMS_MAP = { XB: 'PLN', X3: 'PLN', AF: 'PCK', X6: 'ITR', X4: 'HUB', A3: 'RTN' };
const LM_MAP = { taskStarted: 'OFD', taskArrival: 'OFD', taskReturned: 'RTN' }; // taskCompleted: below
const LOCAL_OFFSET = { erp: '+00:00', tms: '+01:00', lastmile: '+00:00' };

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStr = (v) => typeof v === 'string';

function normaliseTime(t, source) {
  if (!isStr(t)) return null;
  if (/(Z|[+-]\d\d:?\d\d)$/i.test(t)) return t;
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(t)) return t + (LOCAL_OFFSET[source] || '+00:00');
  return null;
}

// the payload in schema 1.0 terms, or null when it cannot be read
function v1Payload(ev) {
  const p = ev.payload;
  if (!isObj(p)) return null;
  if (ev.schema_version !== '2.0') return p;
  const out = {};
  if ('retracted_event_id' in p) out.retracted_event_id = p.retracted_event_id;
  if ('retraction_reason' in p) out.retraction_reason = p.retraction_reason;
  if (ev.type === 'shipment.status') {
    const st = isObj(p.status) ? p.status : {};
    out.status_code = st.code; out.reason_code = st.reason;
    out.carrier = isObj(p.carrier) ? p.carrier.name : null;
    if ('estimatedArrival' in p) out.eta = p.estimatedArrival;
    return out;
  }
  if (ev.type === 'task.updated') {
    out.trigger = p.triggerName; out.state = p.taskState; out.worker = p.workerName;
    if ('etaTime' in p) out.eta = p.etaTime;
    if (isObj(p.completionDetails)) {
      const c = p.completionDetails;
      out.completion_details = {
        success: c.success, attempt: c.attempt, failure_reason: c.failureReason,
        pod: c.proofOfDelivery, photos: c.photoUploadIds, notes: c.notes,
      };
    } else if ('completionDetails' in p) out.completion_details = p.completionDetails;
    return out;
  }
  if (isObj(p.data)) return Object.assign({}, p.data, out);
  return null;
}

function isAddress(a) { return isObj(a) && isStr(a.street) && isStr(a.city) && isStr(a.postcode); }

// returns a reason string when the event is poison / unusable, else null
function validate(ev, p) {
  if (!p) return 'payload unreadable';
  if (p.retracted_event_id !== undefined) return null;
  switch (ev.type) {
    case 'order.released': return null; // thin: the order is read from the ERP
    case 'order.cancelled': return null;
    case 'order.changed': return null;  // the ERP's ship_to is read anyway
    case 'shipment.status':
      if (!isStr(p.status_code)) return 'status_code is not a string';
      return null;
    case 'shipment.charges_finalized':
      if (!isStr(p.statement_id) || !p.statement_id) return 'statement_id missing';
      if (!Array.isArray(p.lines) || !p.lines.every((l) => isObj(l) && typeof l.amount === 'number' && Number.isFinite(l.amount))) return 'lines malformed';
      if (typeof p.total !== 'number' || !Number.isFinite(p.total)) return 'total malformed';
      return null;
    case 'task.updated':
      if (!isStr(p.trigger)) return 'trigger is not a string';
      if (p.completion_details !== undefined && p.completion_details !== null && !isObj(p.completion_details)) return 'completion_details malformed';
      return null;
    default: return `unknown type ${ev.type}`;
  }
}

// ---------------------------------------------------------------------------------------------
// the work

function corrFor(o, ev) {
  if (isStr(ev.correlation_id) && ev.correlation_id) return ev.correlation_id;
  return o.corr || `corr-${o.id}`;
}

async function writeStatus(o, ev, status) {
  if (RANK[status] <= o.rank) return;
  if (o.rank >= 6) return; // terminal-sticky
  const body = { status, classifier: 'ACT', event_time: normaliseTime(ev.event_time, ev.source) };
  if (o.shipment) body.shipment_id = o.shipment;
  const res = await call('erp', 'POST', `/orders/${encodeURIComponent(o.id)}/logistics-status`, body,
    { key: `status-${o.id}-${status}`, corr: corrFor(o, ev) });
  if (res.status >= 200 && res.status < 300) {
    patchOrder(o, RANK[status] === 6 ? { rank: 6, terminal: status } : { rank: RANK[status] });
  }
}

async function readOrder(o, ev, priority) {
  const res = await call('erp', 'GET', `/orders/${encodeURIComponent(o.id)}`, undefined, { corr: corrFor(o, ev), priority });
  if (res.status !== 200 || !isObj(res.body)) throw new Final(res);
  if (res.body.status === 'CNL' && !o.cancelled) patchOrder(o, { cancelled: true });
  return res.body;
}

async function onReleased(o, ev) {
  if (o.cancelled || o.shipment) return;
  const order = await readOrder(o, ev, 0);
  if (o.cancelled || o.shipment) return;
  if (!isAddress(order.ship_to)) throw new Parked('order has no usable ship_to');
  const body = { order_id: o.id, ship_to: order.ship_to, lines: Array.isArray(order.lines) ? order.lines : [] };
  const key = `shipment-${o.id}`;
  if (!o.createTried) patchOrder(o, { createTried: true });
  let res;
  try {
    res = await call('tms', 'POST', '/shipments', body, {
      key, corr: corrFor(o, ev), priority: 0,
      // a cancellation that arrives meanwhile: stop unless an attempt may have committed
      abort: () => o.cancelled && !o.createAmbiguousAt,
      onAmbiguous: () => { patchOrder(o, { createAmbiguousAt: Date.now() }); },
    });
  } catch (e) {
    if (e instanceof Parked && o.cancelled) return; // the cancellation handler looks for it
    throw e;
  }
  if (res.status === 201 || res.status === 200) {
    const sid = isObj(res.body) ? res.body.id : null;
    if (!isStr(sid)) throw new Parked('shipment answer without id');
    patchOrder(o, { shipment: sid, createAmbiguousAt: 0 });
    await writeStatus(o, ev, 'PLN');
  } else {
    throw new Final(res);
  }
}

async function onCancelled(o, ev) {
  if (!o.cancelled) patchOrder(o, { cancelled: true });
  const corr = corrFor(o, ev);
  if (!o.shipment && o.createTried && o.createAmbiguousAt) {
    // a create may have committed without our hearing: look at the TMS (a slow write may
    // commit up to a minute and a half after the client gave up)
    await sleep(o.createAmbiguousAt + simMs(150) - Date.now());
    const res = await call('tms', 'GET', `/shipments?order_id=${encodeURIComponent(o.id)}`, undefined, { corr });
    if (res.status === 200 && isObj(res.body) && Array.isArray(res.body.shipments)) {
      const mine = res.body.shipments.find((s) => isObj(s) && s.order_id === o.id);
      if (mine && isStr(mine.id)) patchOrder(o, { shipment: mine.id });
    }
  }
  if (o.shipment) {
    await call('tms', 'POST', `/shipments/${encodeURIComponent(o.shipment)}/cancel`, {},
      { key: `cancel-${o.shipment}`, corr });
  }
  if (o.task) {
    await call('lastmile', 'POST', `/tasks/${encodeURIComponent(o.task)}/cancel`, {},
      { key: `taskcancel-${o.task}`, corr });
  }
}

async function onChanged(o, ev) {
  if (o.cancelled) return;
  if (!o.task) return; // the task, when created, takes the ERP's ship_to then
  const order = await readOrder(o, ev);
  if (o.cancelled) return;
  if (!isAddress(order.ship_to)) return;
  const a = order.ship_to;
  const body = { street: a.street, city: a.city, postcode: a.postcode };
  if (a.name !== undefined) body.name = a.name;
  if (a.country !== undefined) body.country = a.country;
  await call('lastmile', 'POST', `/tasks/${encodeURIComponent(o.task)}/destination`, body,
    { key: `dest-${o.task}-${ev.event_id}`, corr: corrFor(o, ev) });
  // 409: the task is finished; nothing more to do
}

async function onShipmentStatus(o, ev, p) {
  if (ev.classifier !== 'ACT') return; // estimates never move the status
  if (!o.shipment || ev.shipment_id !== o.shipment) return; // only the shipment we created
  const status = TMS_MAP[p.status_code];
  if (!status) return; // flags and unknown codes
  if (p.status_code === 'X4' && !o.task && !o.cancelled && o.rank < 6) {
    const order = await readOrder(o, ev);
    if (!o.cancelled && isAddress(order.ship_to)) {
      const res = await call('lastmile', 'POST', '/tasks',
        { shipment_id: o.shipment, order_id: o.id, destination: order.ship_to },
        { key: `task-${o.shipment}`, corr: corrFor(o, ev) });
      if ((res.status === 201 || res.status === 200) && isObj(res.body) && isStr(res.body.id)) {
        patchOrder(o, { task: res.body.id });
      } else {
        throw new Final(res);
      }
    }
  }
  await writeStatus(o, ev, status);
}

async function onTaskUpdated(o, ev, p) {
  if (ev.classifier !== 'ACT') return;
  if (!o.task || ev.task_id !== o.task) return; // only the task we created
  const trig = p.trigger;
  if (trig === 'taskCompleted') {
    const cd = p.completion_details;
    if (!isObj(cd) || cd.success !== true || !isObj(cd.pod) || !isStr(cd.pod.photo)) return; // a failed attempt
    if (o.rank < 6) await writeStatus(o, ev, 'DLV');
    if (o.terminal !== 'DLV' || o.invoiced || o.cancelled) return;
    const res = await call('erp', 'POST', `/orders/${encodeURIComponent(o.id)}/invoice`,
      { pod_reference: cd.pod.photo, task_id: o.task },
      { key: `invoice-${o.id}`, corr: corrFor(o, ev) });
    if (res.status === 201 || res.status === 200) patchOrder(o, { invoiced: true });
    return;
  }
  const status = LM_MAP[trig];
  if (!status) return;
  await writeStatus(o, ev, status);
}

async function onCharges(o, ev, p) {
  const body = { statement_id: p.statement_id, lines: p.lines, total: p.total };
  const sid = isStr(ev.shipment_id) ? ev.shipment_id : o.shipment;
  if (sid) body.shipment_id = sid;
  await call('erp', 'POST', `/orders/${encodeURIComponent(o.id)}/freight-charges`, body,
    { key: `charges-${p.statement_id}`, corr: corrFor(o, ev) });
}

async function handle(o, ev) {
  const p = v1Payload(ev);
  const bad = validate(ev, p);
  if (bad) { log('parked', ev.event_id, bad); return; }
  if (p.retracted_event_id !== undefined) return; // a retraction changes nothing
  switch (ev.type) {
    case 'order.released': return onReleased(o, ev);
    case 'order.cancelled': return onCancelled(o, ev);
    case 'order.changed': return onChanged(o, ev);
    case 'shipment.status': return onShipmentStatus(o, ev, p);
    case 'shipment.charges_finalized': return onCharges(o, ev, p);
    case 'task.updated': return onTaskUpdated(o, ev, p);
    default: return undefined;
  }
}

function kick(o) {
  if (o.running) return;
  o.running = true;
  const gen = generation;
  (async () => {
    while (o.queue.length && gen === generation) {
      const ev = o.queue[0];
      try {
        await handle(o, ev);
      } catch (e) {
        if (e instanceof Stale || gen !== generation) return;
        if (e instanceof Final) log('parked (refused)', ev.event_id, e.res.status, JSON.stringify(e.res.body));
        else if (e instanceof Parked) log('parked', ev.event_id, e.message);
        else log('parked (error)', ev.event_id, e && e.stack);
      }
      if (gen !== generation) return;
      record({ t: 'd', o: o.id, id: ev.event_id });
    }
    o.running = false;
  })().catch((e) => { o.running = false; log('worker error', e && e.stack); });
}

// ---------------------------------------------------------------------------------------------
// webhooks

const WEBHOOK_TOLERANCE_S = 300;

function verify(sys, headers, raw) {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sig = headers['webhook-signature'];
  if (!isStr(id) || !isStr(ts) || !isStr(sig)) return false;
  if (!/^\d+$/.test(ts.trim())) return false;
  const now = Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(ts)) > WEBHOOK_TOLERANCE_S) return false;
  const expected = crypto.createHmac('sha256', cfg.secrets[sys])
    .update(`${id}.${ts}.`).update(raw).digest();
  for (const part of sig.split(' ')) {
    const [ver, b64] = part.split(',', 2);
    if (ver !== 'v1' || !b64) continue;
    const got = Buffer.from(b64, 'base64');
    if (got.length === expected.length && crypto.timingSafeEqual(got, expected)) return true;
  }
  return false;
}

function takeEvent(sys, raw, res) {
  let ev;
  try { ev = JSON.parse(raw.toString('utf8')); } catch (e) { return send(res, 202, { parked: 'not JSON' }); }
  if (!isObj(ev) || !isStr(ev.event_id) || !ev.event_id || !isStr(ev.type)) return send(res, 202, { parked: 'not an event envelope' });
  if (state.seen.has(ev.event_id)) return send(res, 200, { duplicate: true });
  if (!isStr(ev.order_id) || !ev.order_id) {
    record({ t: 'e', ev: { event_id: ev.event_id, type: ev.type, order_id: null } });
    return send(res, 202, { parked: 'no order_id' });
  }
  const isCancel = ev.type === 'order.cancelled' && sys === 'erp';
  record({ t: 'e', ev, cancel: isCancel });
  send(res, 200, { taken: true });
  kick(orderOf(ev.order_id));
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// server

function send(res, status, obj, extra = {}) {
  const body = obj === undefined ? '' : JSON.stringify(obj);
  res.writeHead(status, Object.assign({ 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json', 'Content-Length': Buffer.byteLength(body) }, extra));
  res.end(body);
}

function problem(res, status, title, detail, extra) {
  send(res, status, { type: `https://seatrial.dev/problems/${title.replace(/\s+/g, '-')}`, title, status, detail }, extra);
}

const MAX_BODY = 1024 * 1024;

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    let over = false;
    req.on('data', (c) => { size += c.length; if (size > MAX_BODY) over = true; else chunks.push(c); });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', () => resolve(null));
  });
}

function controlSecretOk(req) {
  const secret = process.env.SEATRIAL_CONTROL_SECRET;
  if (!secret) return false;
  const got = Buffer.from(String(req.headers.authorization || ''));
  const want = Buffer.from(`Bearer ${secret}`);
  if (got.length !== want.length) { crypto.timingSafeEqual(want, want); return false; }
  return crypto.timingSafeEqual(got, want);
}

function resetForConfigure(settings) {
  generation += 1;
  cfg = settings;
  for (const s of ['erp', 'tms', 'lastmile']) { tokens[s] = null; tokenFetch[s] = null; holdUntil[s] = 0; }
  state = freshState();
  const dir = process.env.SEATRIAL_STATE_DIR;
  if (journalFd !== null) { fs.closeSync(journalFd); journalFd = null; }
  if (dir) {
    const file = path.join(dir, 'guide-node-journal.jsonl');
    fs.writeFileSync(file, '');
    journalFd = fs.openSync(file, 'a');
  }
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  try {
    if (req.method === 'GET' && url.pathname === '/health') {
      return send(res, 200, { status: cfg ? 'ok' : 'waiting for settings' });
    }
    if (req.method === 'POST' && url.pathname === '/seatrial/configure') {
      if (!controlSecretOk(req)) {
        req.resume();
        return problem(res, 401, 'unauthorized', 'send the control secret as Authorization: Bearer', { 'WWW-Authenticate': 'Bearer' });
      }
      const raw = await readBody(req);
      if (raw === null) return problem(res, 413, 'too large', 'body over 1 MiB');
      let body;
      try { body = JSON.parse(raw.toString('utf8')); } catch (e) { body = undefined; }
      if (!isObj(body)) return problem(res, 400, 'bad request', 'the body must be a JSON object');
      const parsed = parseSettings(body);
      if (parsed.errors) return problem(res, 422, 'invalid settings', parsed.errors.join('; '));
      resetForConfigure(parsed.settings);
      return send(res, 200, { configured: true });
    }
    const m = /^\/webhooks\/(erp|tms|lastmile)$/.exec(url.pathname);
    if (m && req.method === 'POST') {
      const raw = await readBody(req);
      if (raw === null) return problem(res, 413, 'too large', 'body over 1 MiB');
      if (!cfg) return problem(res, 503, 'not configured', 'no settings yet');
      if (!verify(m[1], req.headers, raw)) {
        return problem(res, 401, 'unauthorized', 'missing or wrong webhook signature, or stale timestamp');
      }
      return takeEvent(m[1], raw, res);
    }
    if (m && req.method === 'GET') {
      const check = url.searchParams.get('check');
      if (check !== null) { res.writeHead(200, { 'Content-Type': 'text/plain' }); return res.end(check); }
    }
    req.resume();
    return problem(res, 404, 'not found', `no ${req.method} ${url.pathname}`);
  } catch (e) {
    log('server error', e && e.stack);
    if (!res.headersSent) return problem(res, 500, 'error', 'internal error');
    return undefined;
  }
});
server.keepAliveTimeout = 60000;

function main() {
  const parsed = parseSettings(process.env);
  if (parsed.settings) cfg = parsed.settings;
  else if (process.env.SEATRIAL_ERP_URL) {
    console.error(`guide-node: bad settings: ${parsed.errors.join('; ')}`);
    process.exit(2);
  }
  openJournal();
  if (cfg) {
    // resume the work that was queued before a crash
    for (const o of state.orders.values()) {
      o.running = false;
      // a create that was sent before the crash may have committed
      if (o.createTried && !o.shipment && !o.createAmbiguousAt) o.createAmbiguousAt = Date.now();
      if (o.queue.length) kick(o);
    }
  }
  const port = Number(process.env.PORT || 9000);
  server.listen(port, '127.0.0.1', () => log(`guide-node listening on ${port}`));
}

process.on('SIGTERM', () => process.exit(0));
main();
