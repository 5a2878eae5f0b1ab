'use strict';
// A Seatrial sync implementation (SUT) in Node.js 20, standard library only.
// Written from docs/protocol-guide.md, docs/live-protocol.md, docs/scenarios.md,
// docs/catalogue.md and contracts/openapi/*.json alone.
//
// Shape: webhooks are verified, deduplicated by event_id, journaled to
// $SEATRIAL_STATE_DIR/journal.jsonl and answered; each order's events are then worked
// through one at a time in arrival order, orders independently of each other.

const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

// ---------------------------------------------------------------- settings

const SETTING_NAMES = [
  'SEATRIAL_ERP_URL', 'SEATRIAL_TMS_URL', 'SEATRIAL_LASTMILE_URL',
  'SEATRIAL_CLIENT_ID', 'SEATRIAL_CLIENT_SECRET',
  'SEATRIAL_ERP_WEBHOOK_SECRET', 'SEATRIAL_TMS_WEBHOOK_SECRET', 'SEATRIAL_LASTMILE_WEBHOOK_SECRET',
  'SEATRIAL_TIME_SCALE',
];
const OPTIONAL_NAMES = ['SEATRIAL_ERP_DIALECT', 'SEATRIAL_TMS_DIALECT', 'SEATRIAL_LASTMILE_DIALECT', 'SEATRIAL_SUT_URL'];
const URL_RE = /^https?:\/\/[^/?#\x00-\x20\x7f]+[^\x00-\x20\x7f]*$/;
const SECRET_RE = /^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DIALECT_RE = /^[a-z0-9-]+$/;

function validateSettings(s) {
  const problems = [];
  for (const name of SETTING_NAMES) {
    let v = s[name];
    if (name === 'SEATRIAL_TIME_SCALE' && typeof v === 'number') v = String(v);
    if (typeof v !== 'string' || v === '') { problems.push(`${name} is missing`); continue; }
    if (name.endsWith('_URL') && !URL_RE.test(v)) problems.push(`${name} is not an http(s) URL`);
    if (name.endsWith('_WEBHOOK_SECRET') && !SECRET_RE.test(v)) problems.push(`${name} is not whsec_ + base64`);
    if (name === 'SEATRIAL_TIME_SCALE') {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) problems.push(`${name} is not a positive finite number`);
    }
  }
  for (const name of OPTIONAL_NAMES) {
    const v = s[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || v === '') { problems.push(`${name} is malformed`); continue; }
    if (name.endsWith('_DIALECT') && !DIALECT_RE.test(v)) problems.push(`${name} is malformed`);
    if (name === 'SEATRIAL_SUT_URL' && !URL_RE.test(v)) problems.push(`${name} is not an http(s) URL`);
  }
  return problems;
}

let cfg = null; // the settings in force, or null before any

function applySettings(s) {
  cfg = {
    urls: { erp: s.SEATRIAL_ERP_URL.replace(/\/+$/, ''), tms: s.SEATRIAL_TMS_URL.replace(/\/+$/, ''), lastmile: s.SEATRIAL_LASTMILE_URL.replace(/\/+$/, '') },
    clientId: s.SEATRIAL_CLIENT_ID,
    clientSecret: s.SEATRIAL_CLIENT_SECRET,
    secrets: {
      erp: Buffer.from(s.SEATRIAL_ERP_WEBHOOK_SECRET.slice(6), 'base64'),
      tms: Buffer.from(s.SEATRIAL_TMS_WEBHOOK_SECRET.slice(6), 'base64'),
      lastmile: Buffer.from(s.SEATRIAL_LASTMILE_WEBHOOK_SECRET.slice(6), 'base64'),
    },
    scale: Number(s.SEATRIAL_TIME_SCALE),
  };
}

// simulated seconds -> wall milliseconds
const simMs = (simSeconds) => (simSeconds * 1000) / cfg.scale;

// ---------------------------------------------------------------- durable state

const STATE_DIR = process.env.SEATRIAL_STATE_DIR || null;
let journalFd = null;

let world; // everything a run knows
function freshWorld() {
  return {
    seen: new Set(),          // event ids taken
    orders: new Map(),        // order id -> order state
    keyBodies: new Map(),     // `${sys} ${key}` -> body sent under that Idempotency-Key
    parked: [],               // [{event_id, reason}]
    gen: (world ? world.gen + 1 : 1), // bumps on configure: stale workers stop
  };
}
world = freshWorld();

function journal(rec) {
  if (journalFd === null) return;
  fs.writeSync(journalFd, JSON.stringify(rec) + '\n');
}

function newOrder(id) {
  return {
    id, cancelled: false, shipTo: null, lines: null, shipmentId: null, taskId: null,
    rank: 0, terminal: false, ending: null, invoiced: false, statements: {}, foreignCancelled: {},
    queue: [], running: false,
  };
}
function order(id) {
  let o = world.orders.get(id);
  if (!o) { o = newOrder(id); world.orders.set(id, o); }
  return o;
}
const PERSISTED = ['cancelled', 'shipTo', 'lines', 'shipmentId', 'taskId', 'rank', 'terminal', 'ending', 'invoiced', 'statements', 'foreignCancelled'];
function patch(o, p) {
  Object.assign(o, p);
  journal({ t: 'o', id: o.id, p });
}

function openJournal(wipe) {
  if (!STATE_DIR) return;
  fs.mkdirSync(STATE_DIR, { recursive: true });
  const file = path.join(STATE_DIR, 'journal.jsonl');
  if (journalFd !== null) { fs.closeSync(journalFd); journalFd = null; }
  if (wipe) fs.writeFileSync(file, '');
  journalFd = fs.openSync(file, 'a');
}

function recover() {
  if (!STATE_DIR) return [];
  const file = path.join(STATE_DIR, 'journal.jsonl');
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  const pending = new Map(); // event id -> {src, e} in arrival order
  for (const line of text.split('\n')) {
    if (!line) continue;
    let r;
    try { r = JSON.parse(line); } catch { continue; } // a torn last line
    if (r.t === 'ev') { world.seen.add(r.e.event_id); pending.set(r.e.event_id, r); }
    else if (r.t === 'done') pending.delete(r.id);
    else if (r.t === 'o') Object.assign(order(r.id), r.p);
    else if (r.t === 'k') world.keyBodies.set(r.k, r.b);
    else if (r.t === 'park') world.parked.push(r);
  }
  return [...pending.values()];
}

// ---------------------------------------------------------------- HTTP client

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const holdUntil = { erp: 0, tms: 0, lastmile: 0 };   // wall ms: no request to the system before
const spacing = { erp: 0, tms: 0, lastmile: 0 };     // wall ms between requests after a 429
const lastSlot = { erp: 0, tms: 0, lastmile: 0 };
const tokens = { erp: null, tms: null, lastmile: null };

const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

class GiveUp extends Error {}
class Stale extends Error {}

function timeoutMs() { return Math.max(30 / cfg.scale, 0.25) * 1000; }

// Wait until the system may be called; returns synchronously-usable permission.
async function gate(sys) {
  for (;;) {
    const now = Date.now();
    const slot = Math.max(now, holdUntil[sys], lastSlot[sys] + spacing[sys]);
    if (slot <= now) { lastSlot[sys] = now; return; }
    lastSlot[sys] = slot; // reserve it
    await sleep(slot - now + 0.5);
    if (Date.now() >= holdUntil[sys]) return;
    // a new 429 came in meanwhile: queue again
  }
}

function retryAfterMs(headers) {
  const exact = headers['x-seatrial-retry-after'];
  if (exact !== undefined && exact !== '' && Number.isFinite(Number(exact))) return Number(exact) * 1000;
  const ra = headers['retry-after'];
  if (ra === undefined) return null;
  if (/^\s*\d+\s*$/.test(ra)) return Number(ra) * 1000;
  const when = Date.parse(ra);
  if (Number.isFinite(when)) return Math.max(0, when - Date.now());
  return null;
}

// One HTTP exchange. Resolves {status, headers, body} or rejects on timeout / connection errors.
// A 429 sets the system's hold synchronously when its head arrives.
function exchange(sys, method, url, headers, bodyBuf) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    let done = false;
    const req = http.request({
      agent, method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers,
    }, (res) => {
      if (res.statusCode === 429) {
        const wait = retryAfterMs(res.headers);
        const w = wait === null ? 1000 : wait;
        const until = Date.now() + w + 2;
        if (until > holdUntil[sys]) holdUntil[sys] = until;
        spacing[sys] = Math.max(spacing[sys], Math.min(w, 5000));
      }
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (done) return; done = true; clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let body = null;
        try { body = text ? JSON.parse(text) : null; } catch { body = text; }
        resolve({ status: res.statusCode, headers: res.headers, body });
      });
      res.on('error', (e) => { if (done) return; done = true; clearTimeout(timer); reject(e); });
    });
    const timer = setTimeout(() => {
      if (done) return; done = true;
      req.destroy(new Error('timeout'));
      reject(new Error('timeout'));
    }, timeoutMs());
    req.on('error', (e) => { if (done) return; done = true; clearTimeout(timer); reject(e); });
    if (bodyBuf) req.end(bodyBuf); else req.end();
  });
}

async function fetchToken(sys, gen) {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: cfg.clientId, client_secret: cfg.clientSecret }).toString();
  let backoff = 1;
  for (;;) {
    if (gen !== world.gen) throw new Stale();
    await gate(sys);
    const t0 = Date.now();
    try {
      const r = await exchange(sys, 'POST', cfg.urls[sys] + '/oauth/token',
        { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form) }, Buffer.from(form));
      if (r.status === 200 && r.body && typeof r.body.access_token === 'string') {
        const life = Number(r.body.expires_in) || 3600;
        tokens[sys] = { value: r.body.access_token, refreshAt: t0 + life * 1000 * 0.9 };
        return tokens[sys].value;
      }
      if (r.status === 429) continue;
    } catch { /* retry */ }
    await sleep(simMs(backoff) * (0.5 + Math.random()));
    backoff = Math.min(backoff * 2, 600);
  }
}
const tokenInFlight = { erp: null, tms: null, lastmile: null };
async function getToken(sys, gen) {
  const t = tokens[sys];
  if (t && Date.now() < t.refreshAt) return t.value;
  if (!tokenInFlight[sys]) {
    tokenInFlight[sys] = fetchToken(sys, gen).finally(() => { tokenInFlight[sys] = null; });
  }
  return tokenInFlight[sys];
}

// Call an API until a definite answer: 2xx or a 4xx other than 401/429.
// With `key`, the body first sent under the key is the body sent on every retry, across crashes.
async function api(sys, method, p, { body, key, corr, gen }) {
  let sendBody = body;
  if (key) {
    const k = `${sys} ${key}`;
    if (world.keyBodies.has(k)) sendBody = world.keyBodies.get(k);
    else { world.keyBodies.set(k, sendBody); journal({ t: 'k', k, b: sendBody }); }
  }
  const buf = sendBody === undefined ? null : Buffer.from(JSON.stringify(sendBody));
  const giveUpAt = Date.now() + simMs(2 * 86400);
  let backoff = 1; // simulated seconds
  for (;;) {
    if (gen !== world.gen) throw new Stale();
    if (Date.now() > giveUpAt) throw new GiveUp(`${method} ${p}: no definite answer in two simulated days`);
    const token = await getToken(sys, gen);
    await gate(sys);
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (corr) headers['x-correlation-id'] = corr;
    if (key) headers['idempotency-key'] = key;
    if (buf) { headers['content-type'] = 'application/json'; headers['content-length'] = buf.length; }
    let r = null;
    try {
      r = await exchange(sys, method, cfg.urls[sys] + p, headers, buf);
    } catch (e) { r = null; }
    if (r) {
      if (r.status === 429) { continue; } // the hold was set when its head arrived
      if (spacing[sys] > 0) spacing[sys] = spacing[sys] < 0.2 ? 0 : spacing[sys] * 0.7;
      if (r.status === 401) { if (tokens[sys] && tokens[sys].value === token) tokens[sys] = null; continue; }
      if (r.status < 500) return r;
      // 5xx: back off; a 503 with Retry-After says when the outage ends
      const ra = retryAfterMs(r.headers);
      let wait = simMs(backoff) * (0.5 + Math.random());
      if (ra !== null && r.status === 503) wait = Math.max(wait, ra);
      backoff = Math.min(backoff * 2, 600);
      await sleep(Math.min(wait, Math.max(0, giveUpAt - Date.now())));
      continue;
    }
    await sleep(simMs(backoff) * (0.5 + Math.random()));
    backoff = Math.min(backoff * 2, 600);
  }
}

// ---------------------------------------------------------------- events: validation

const isStr = (v) => typeof v === 'string';
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const isInt = (v) => Number.isInteger(v);
const isAddress = (a) => isObj(a) && isStr(a.street) && isStr(a.city) && isStr(a.postcode);

// Bring a payload to schema 1.0 field names. Returns null when it cannot be read.
function normalise(e) {
  const p = e.payload;
  if (!isObj(p)) return null;
  const v = e.schema_version;
  if (v === undefined || v === null || v === '1.0' || v === '1') return p;
  if (!(isStr(v) && v.startsWith('2'))) return null; // a schema nobody announced
  const retract = {};
  if (p.retracted_event_id !== undefined) retract.retracted_event_id = p.retracted_event_id;
  if (p.retraction_reason !== undefined) retract.retraction_reason = p.retraction_reason;
  if (e.source === 'tms' && e.type === 'shipment.status') {
    const out = { ...retract };
    if (isObj(p.status)) { out.status_code = p.status.code; out.reason_code = p.status.reason; }
    if (isObj(p.carrier)) out.carrier = p.carrier.name;
    if (p.estimatedArrival !== undefined) out.eta = p.estimatedArrival;
    return out;
  }
  if (e.source === 'lastmile' && e.type === 'task.updated') {
    const out = { ...retract, trigger: p.triggerName, state: p.taskState, worker: p.workerName };
    if (p.etaTime !== undefined) out.eta = p.etaTime;
    if (p.completionDetails !== undefined) {
      const c = p.completionDetails;
      if (!isObj(c)) out.completion_details = c;
      else {
        out.completion_details = { success: c.success, attempt: c.attempt };
        if (c.failureReason != null) out.completion_details.failure_reason = c.failureReason;
        if (c.proofOfDelivery != null) out.completion_details.pod = c.proofOfDelivery;
        if (c.photoUploadIds !== undefined) out.completion_details.photos = c.photoUploadIds;
        if (c.notes != null) out.completion_details.notes = c.notes;
      }
    }
    return out;
  }
  if (!isObj(p.data)) return null;
  return { ...p.data, ...retract };
}

// Why a (normalised) payload is unusable, or null when it is fine.
function malformed(e, p) {
  if (!isStr(e.order_id) || e.order_id === '') return 'no order_id';
  switch (e.type) {
    case 'order.released':
      if (!isStr(p.customer_id) || !isNum(p.value) || !isStr(p.currency) || !isInt(p.line_count)) return 'bad order.released payload';
      return null;
    case 'order.cancelled':
      if (!isStr(p.reason)) return 'bad order.cancelled payload';
      return null;
    case 'order.changed':
      if (!isAddress(p.ship_to) || !isInt(p.change)) return 'bad order.changed payload';
      return null;
    case 'shipment.status':
      if (!isStr(p.status_code) || !isStr(p.reason_code) || !(p.carrier === null || isStr(p.carrier))) return 'bad shipment.status payload';
      if (p.retracted_event_id !== undefined && !isStr(p.retracted_event_id)) return 'bad retracted_event_id';
      if (!isStr(e.shipment_id)) return 'shipment.status without shipment_id';
      return null;
    case 'shipment.charges_finalized':
      if (!isStr(p.statement_id) || !Array.isArray(p.lines) || !isNum(p.total) || !isStr(p.currency)) return 'bad charges payload';
      if (!p.lines.every((l) => isObj(l) && isNum(l.amount))) return 'bad charge line';
      return null;
    case 'task.updated':
      if (!isStr(p.trigger) || !isInt(p.state) || !(p.worker === null || isStr(p.worker))) return 'bad task.updated payload';
      if (p.completion_details !== undefined && p.completion_details !== null) {
        const c = p.completion_details;
        if (!isObj(c) || typeof c.success !== 'boolean') return 'bad completion_details';
        if (c.pod !== undefined && c.pod !== null && !(isObj(c.pod) && isStr(c.pod.photo))) return 'bad pod';
      }
      if (p.retracted_event_id !== undefined && !isStr(p.retracted_event_id)) return 'bad retracted_event_id';
      if (!isStr(e.task_id)) return 'task.updated without task_id';
      return null;
    default:
      return `unknown type ${e.type}`;
  }
}

// ---------------------------------------------------------------- the mapping

const RANK = { REL: 0, PLN: 1, PCK: 2, ITR: 3, HUB: 4, OFD: 5, DLV: 6, RTN: 6 };
const TMS_MAP = { XB: 'PLN', X3: 'PLN', AF: 'PCK', X6: 'ITR', X4: 'HUB', A3: 'RTN' };
const LM_MAP = { taskStarted: 'OFD', taskArrival: 'OFD', taskReturned: 'RTN' };
const LOCAL_OFFSET = { erp: '+00:00', tms: '+01:00', lastmile: '+00:00' };

function eventTime(e) {
  const t = e.event_time;
  if (!isStr(t)) return null;
  if (/(Z|[+-]\d\d:?\d\d)$/i.test(t)) return t;
  return t + (LOCAL_OFFSET[e.source] || '+00:00');
}

// ---------------------------------------------------------------- handlers

async function writeStatus(o, status, e, ctx) {
  if (o.terminal || RANK[status] <= o.rank) return;
  const body = { status, classifier: 'ACT', shipment_id: o.shipmentId, event_time: eventTime(e) };
  const r = await api('erp', 'POST', `/orders/${encodeURIComponent(o.id)}/logistics-status`,
    { body, key: `status-${o.id}-${status}`, corr: ctx.corr, gen: ctx.gen });
  if (r.status >= 200 && r.status < 300) {
    const ends = status === 'DLV' || status === 'RTN';
    patch(o, ends ? { rank: RANK[status], terminal: true, ending: status } : { rank: Math.max(o.rank, RANK[status]) });
  } else {
    throw new GiveUp(`status ${status}: ${r.status} ${detail(r)}`);
  }
}

function detail(r) { return r.body && typeof r.body === 'object' ? (r.body.detail || r.body.title || '') : String(r.body || ''); }

async function readOrder(o, ctx) {
  const r = await api('erp', 'GET', `/orders/${encodeURIComponent(o.id)}`, { corr: ctx.corr, gen: ctx.gen });
  if (r.status !== 200 || !isObj(r.body)) throw new GiveUp(`GET order: ${r.status} ${detail(r)}`);
  return r.body;
}

async function onReleased(o, e, p, ctx) {
  if (o.cancelled || o.shipmentId) return;
  const ord = await readOrder(o, ctx);
  if (ord.status === 'CNL') { patch(o, { cancelled: true }); return; }
  patch(o, { shipTo: ord.ship_to, lines: Array.isArray(ord.lines) ? ord.lines : [] });
  if (o.cancelled) return; // cancelled while we read
  const r = await api('tms', 'POST', '/shipments', {
    body: { order_id: o.id, ship_to: ord.ship_to, lines: o.lines }, key: `shipment-${o.id}`, corr: ctx.corr, gen: ctx.gen,
  });
  if (r.status !== 201 && r.status !== 200) throw new GiveUp(`create shipment: ${r.status} ${detail(r)}`);
  patch(o, { shipmentId: r.body.id });
  if (o.cancelled) return; // the cancellation's own work cancels it (it is queued behind us)
  await writeStatus(o, 'PLN', e, ctx);
}

async function cancelShipment(id, ctx) {
  const r = await api('tms', 'POST', `/shipments/${encodeURIComponent(id)}/cancel`, { body: {}, key: `cancel-${id}`, corr: ctx.corr, gen: ctx.gen });
  if (!(r.status === 200 || r.status === 409)) throw new GiveUp(`cancel shipment ${id}: ${r.status} ${detail(r)}`);
}
async function cancelTask(id, ctx) {
  const r = await api('lastmile', 'POST', `/tasks/${encodeURIComponent(id)}/cancel`, { body: {}, key: `cancel-${id}`, corr: ctx.corr, gen: ctx.gen });
  if (!(r.status === 200 || r.status === 409)) throw new GiveUp(`cancel task ${id}: ${r.status} ${detail(r)}`);
}

async function onCancelled(o, e, p, ctx) {
  // the flag was set when the webhook was taken
  if (o.shipmentId) await cancelShipment(o.shipmentId, ctx);
  if (o.taskId) await cancelTask(o.taskId, ctx);
}

async function onChanged(o, e, p, ctx) {
  if (o.cancelled) return;
  const ord = await readOrder(o, ctx);
  if (ord.status === 'CNL') { patch(o, { cancelled: true }); return; }
  patch(o, { shipTo: ord.ship_to });
  if (o.taskId && !o.cancelled) {
    const r = await api('lastmile', 'POST', `/tasks/${encodeURIComponent(o.taskId)}/destination`, {
      body: ord.ship_to, key: `destination-${e.event_id}`, corr: ctx.corr, gen: ctx.gen,
    });
    if (!(r.status === 200 || r.status === 409)) throw new GiveUp(`destination: ${r.status} ${detail(r)}`);
  }
}

async function onShipmentStatus(o, e, p, ctx) {
  if (e.classifier !== 'ACT') return; // estimates: no ETA is written (optional)
  if (p.retracted_event_id !== undefined) return;
  if (e.shipment_id !== o.shipmentId) {
    // not the shipment we hold: ignore, but cancel it if the order is cancelled
    if (o.cancelled && !o.foreignCancelled[e.shipment_id]) {
      await cancelShipment(e.shipment_id, ctx);
      patch(o, { foreignCancelled: { ...o.foreignCancelled, [e.shipment_id]: true } });
    }
    return;
  }
  const status = TMS_MAP[p.status_code];
  if (!status) return; // a flag, or a code no table lists
  await writeStatus(o, status, e, ctx);
  if (p.status_code === 'X4' && !o.taskId && !o.cancelled && !o.terminal) {
    if (!o.shipTo) {
      const ord = await readOrder(o, ctx);
      patch(o, { shipTo: ord.ship_to });
    }
    const r = await api('lastmile', 'POST', '/tasks', {
      body: { shipment_id: o.shipmentId, order_id: o.id, destination: o.shipTo }, key: `task-${o.shipmentId}`, corr: ctx.corr, gen: ctx.gen,
    });
    if (r.status !== 201 && r.status !== 200) throw new GiveUp(`create task: ${r.status} ${detail(r)}`);
    patch(o, { taskId: r.body.id });
  }
}

async function onTaskUpdated(o, e, p, ctx) {
  if (e.classifier !== 'ACT') return;
  if (p.retracted_event_id !== undefined) return;
  if (e.task_id !== o.taskId) {
    if (o.cancelled && !o.foreignCancelled[e.task_id]) {
      await cancelTask(e.task_id, ctx);
      patch(o, { foreignCancelled: { ...o.foreignCancelled, [e.task_id]: true } });
    }
    return;
  }
  if (p.trigger === 'taskCompleted') {
    const c = p.completion_details;
    if (!(isObj(c) && c.success === true && isObj(c.pod) && isStr(c.pod.photo))) return; // a failed attempt
    await writeStatus(o, 'DLV', e, ctx);
    if (o.ending !== 'DLV') return; // returned first: never invoiced
    if (o.cancelled || o.invoiced) return;
    const r = await api('erp', 'POST', `/orders/${encodeURIComponent(o.id)}/invoice`, {
      body: { pod_reference: c.pod.photo }, key: `invoice-${o.id}`, corr: ctx.corr, gen: ctx.gen,
    });
    if (r.status === 201 || r.status === 200) patch(o, { invoiced: true });
    else throw new GiveUp(`invoice: ${r.status} ${detail(r)}`);
    return;
  }
  const status = LM_MAP[p.trigger];
  if (!status) return;
  await writeStatus(o, status, e, ctx);
}

async function onCharges(o, e, p, ctx) {
  if (o.statements[p.statement_id]) return;
  const body = { statement_id: p.statement_id, lines: p.lines, total: p.total };
  if (isStr(e.shipment_id)) body.shipment_id = e.shipment_id;
  const r = await api('erp', 'POST', `/orders/${encodeURIComponent(o.id)}/freight-charges`, {
    body, key: `charges-${p.statement_id}`, corr: ctx.corr, gen: ctx.gen,
  });
  if (r.status === 201 || r.status === 200) patch(o, { statements: { ...o.statements, [p.statement_id]: true } });
  else throw new GiveUp(`freight charges: ${r.status} ${detail(r)}`);
}

const HANDLERS = {
  'order.released': onReleased,
  'order.cancelled': onCancelled,
  'order.changed': onChanged,
  'shipment.status': onShipmentStatus,
  'shipment.charges_finalized': onCharges,
  'task.updated': onTaskUpdated,
};

function park(e, reason) {
  const rec = { t: 'park', id: e && e.event_id, type: e && e.type, order: e && e.order_id, reason };
  world.parked.push(rec);
  journal(rec);
  process.stderr.write(`parked ${rec.id} (${rec.type}, ${rec.order}): ${reason}\n`);
}

async function pump(o) {
  if (o.running) return;
  o.running = true;
  const gen = world.gen;
  try {
    while (o.queue.length) {
      const e = o.queue[0];
      const p = normalise(e);
      const ctx = { gen, corr: isStr(e.correlation_id) && e.correlation_id ? e.correlation_id : `corr-${o.id}` };
      try {
        await HANDLERS[e.type](o, e, p, ctx);
      } catch (err) {
        if (err instanceof Stale) return;
        park(e, err instanceof GiveUp ? err.message : `error: ${err && err.stack}`);
      }
      if (gen !== world.gen) return;
      journal({ t: 'done', id: e.event_id });
      o.queue.shift();
    }
  } finally {
    if (gen === world.gen) o.running = false;
  }
}

// Take one verified envelope. Returns the HTTP status to answer.
function take(source, e) {
  if (world.seen.has(e.event_id)) return 204;
  world.seen.add(e.event_id);
  const p = normalise(e);
  const why = p === null ? 'payload unreadable' : malformed(e, p);
  if (why) {
    journal({ t: 'ev', e, src: source });
    park(e, why);
    journal({ t: 'done', id: e.event_id });
    return 204;
  }
  const o = order(e.order_id);
  journal({ t: 'ev', e, src: source });
  if (e.type === 'order.cancelled' && !o.cancelled) patch(o, { cancelled: true });
  o.queue.push(e);
  setImmediate(() => pump(o));
  return 204;
}

// ---------------------------------------------------------------- webhooks

function verify(source, headers, raw) {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sigs = headers['webhook-signature'];
  if (!isStr(id) || !isStr(ts) || !isStr(sigs)) return false;
  if (!/^\d+$/.test(ts)) return false;
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const expected = crypto.createHmac('sha256', cfg.secrets[source])
    .update(Buffer.concat([Buffer.from(`${id}.${ts}.`), raw])).digest();
  for (const part of sigs.split(' ')) {
    const [ver, b64] = part.split(',', 2);
    if (ver !== 'v1' || !b64) continue;
    const got = Buffer.from(b64, 'base64');
    if (got.length === expected.length && crypto.timingSafeEqual(got, expected)) return true;
  }
  return false;
}

function send(res, status, obj, extra = {}) {
  if (status === 204) { res.writeHead(204, extra); res.end(); return; }
  const body = JSON.stringify(obj);
  const ct = status >= 400 ? 'application/problem+json' : 'application/json';
  res.writeHead(status, { 'content-type': ct, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}
function problem(res, status, title, detailText, extra) {
  send(res, status, { type: 'about:blank', title, status, detail: detailText }, extra);
}

const MAX_BODY = 2 * 1024 * 1024;
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = []; let n = 0;
    req.on('data', (c) => { n += c.length; if (n > MAX_BODY) { reject(new Error('too large')); req.destroy(); return; } chunks.push(c); });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const CONTROL = process.env.SEATRIAL_CONTROL_SECRET || null;
function controlOk(auth) {
  if (!CONTROL || !isStr(auth)) return false;
  const a = Buffer.from(auth); const b = Buffer.from(`Bearer ${CONTROL}`);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

async function onRequest(req, res) {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { status: 'ok' });

  if (req.method === 'POST' && url.pathname === '/seatrial/configure') {
    if (!controlOk(req.headers.authorization)) {
      req.resume();
      return problem(res, 401, 'Unauthorized', 'the control secret is required', { 'www-authenticate': 'Bearer' });
    }
    let raw; try { raw = await readBody(req); } catch { return problem(res, 413, 'Too large', 'body too large'); }
    let s; try { s = JSON.parse(raw.toString('utf8')); } catch { return problem(res, 400, 'Bad request', 'not JSON'); }
    if (!isObj(s)) return problem(res, 400, 'Bad request', 'the body is not a JSON object');
    const problems = validateSettings(s);
    if (problems.length) return problem(res, 422, 'Invalid settings', problems.join('; '));
    applySettings(s);
    resetWorld(true);
    return send(res, 200, { status: 'configured' });
  }

  const m = /^\/webhooks\/(erp|tms|lastmile)$/.exec(url.pathname);
  if (req.method === 'POST' && m) {
    const source = m[1];
    let raw; try { raw = await readBody(req); } catch { return problem(res, 413, 'Too large', 'body too large'); }
    if (!cfg) return problem(res, 503, 'Not configured', 'no settings yet');
    if (!verify(source, req.headers, raw)) return problem(res, 401, 'Unauthorized', 'missing or wrong signature, or stale timestamp');
    let e; try { e = JSON.parse(raw.toString('utf8')); } catch { return problem(res, 400, 'Bad request', 'not JSON'); }
    if (!isObj(e) || !isStr(e.event_id) || !isStr(e.type) || !isStr(e.event_time)) return problem(res, 400, 'Bad request', 'not an event envelope');
    if (e.source !== undefined && e.source !== source) { park(e, `source ${e.source} on /webhooks/${source}`); return send(res, 204); }
    try { return send(res, take(source, e)); } catch (err) {
      process.stderr.write(`take failed: ${err && err.stack}\n`);
      return problem(res, 500, 'Error', 'internal error');
    }
  }
  req.resume();
  return problem(res, 404, 'Not found', `${req.method} ${url.pathname}`);
}

function resetWorld(wipe) {
  world = freshWorld();
  for (const s of ['erp', 'tms', 'lastmile']) { holdUntil[s] = 0; spacing[s] = 0; lastSlot[s] = 0; tokens[s] = null; }
  openJournal(wipe);
}

// ---------------------------------------------------------------- start

function main() {
  const env = {};
  for (const n of [...SETTING_NAMES, ...OPTIONAL_NAMES]) if (process.env[n] !== undefined) env[n] = process.env[n];
  if (env.SEATRIAL_ERP_URL) {
    const problems = validateSettings(env);
    if (problems.length) { process.stderr.write(`bad settings: ${problems.join('; ')}\n`); process.exit(2); }
    applySettings(env);
    const pending = recover();
    openJournal(false);
    for (const r of pending) {
      const o = order(r.e.order_id);
      o.queue.push(r.e);
    }
    for (const o of world.orders.values()) if (o.queue.length) setImmediate(() => pump(o));
    if (pending.length) process.stderr.write(`recovered ${world.seen.size} events, ${pending.length} pending\n`);
  }
  const port = Number(process.env.PORT || 9000);
  const server = http.createServer((req, res) => {
    onRequest(req, res).catch((err) => {
      process.stderr.write(`request failed: ${err && err.stack}\n`);
      try { problem(res, 500, 'Error', 'internal error'); } catch { /* already answered */ }
    });
  });
  server.keepAliveTimeout = 30000;
  server.listen(port, '127.0.0.1', () => process.stderr.write(`guide-second listening on 127.0.0.1:${port}\n`));
  const stop = () => { server.close(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
