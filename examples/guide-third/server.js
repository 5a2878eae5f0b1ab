'use strict';
// A sync implementation for Seatrial, written from the published docs alone
// (README.md, docs/protocol-guide.md, docs/live-protocol.md, docs/scenarios.md,
// docs/catalogue.md, docs/cli.md, contracts/openapi/*.json).
// Node.js 20, standard library only. Run: node examples/guide-third/server.js

const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');

const SYSTEMS = ['erp', 'tms', 'lastmile'];
const RANK = { REL: 0, PLN: 1, PCK: 2, ITR: 3, HUB: 4, OFD: 5, DLV: 6, RTN: 6 };
const TMS_MAP = { XB: 'PLN', X3: 'PLN', AF: 'PCK', X6: 'ITR', X4: 'HUB', A3: 'RTN' };
const LM_MAP = { taskStarted: 'OFD', taskArrival: 'OFD', taskReturned: 'RTN' }; // taskCompleted handled apart
const LOCAL_OFFSET = { erp: '+00:00', tms: '+01:00', lastmile: '+00:00' };
const TYPES = {
  erp: new Set(['order.released', 'order.cancelled', 'order.changed']),
  tms: new Set(['shipment.status', 'shipment.charges_finalized']),
  lastmile: new Set(['task.updated']),
};
const PORT = Number(process.env.PORT || 9000);
const PARK_FILE = path.join(os.tmpdir(), 'guide-third-parked.log');
const CONTROL_SECRET = process.env.SEATRIAL_CONTROL_SECRET || crypto.randomBytes(32).toString('hex');

// ---------------------------------------------------------------- settings
let S = null; // current settings
let gen = 0; // world generation (a configure starts a new one)

function parseSettings(src) {
  const bad = [];
  const get = (n) => (src[n] === undefined || src[n] === null ? undefined : String(src[n]));
  const s = { urls: {}, secrets: {} };
  for (const sys of SYSTEMS) {
    const u = get(`SEATRIAL_${sys.toUpperCase()}_URL`);
    if (!u || !/^https?:\/\/[^/?#\s]+/.test(u)) bad.push(`SEATRIAL_${sys.toUpperCase()}_URL`);
    else s.urls[sys] = u.replace(/\/+$/, '');
    const w = get(`SEATRIAL_${sys.toUpperCase()}_WEBHOOK_SECRET`);
    if (!w || !w.startsWith('whsec_')) bad.push(`SEATRIAL_${sys.toUpperCase()}_WEBHOOK_SECRET`);
    else s.secrets[sys] = Buffer.from(w.slice(6), 'base64');
  }
  s.clientId = get('SEATRIAL_CLIENT_ID');
  s.clientSecret = get('SEATRIAL_CLIENT_SECRET');
  if (!s.clientId) bad.push('SEATRIAL_CLIENT_ID');
  if (!s.clientSecret) bad.push('SEATRIAL_CLIENT_SECRET');
  const sc = Number(get('SEATRIAL_TIME_SCALE'));
  if (!(sc > 0) || !Number.isFinite(sc)) bad.push('SEATRIAL_TIME_SCALE');
  s.scale = sc;
  for (const sys of SYSTEMS) {
    const d = get(`SEATRIAL_${sys.toUpperCase()}_DIALECT`);
    if (d && d !== 'canonical') log(`warning: ${sys} dialect ${d} is not spoken; using canonical`);
  }
  return { s, bad };
}

function log(msg) {
  process.stderr.write(`[guide-third ${new Date().toISOString()}] ${msg}\n`);
}

function park(what, env, why) {
  const line = JSON.stringify({ at: new Date().toISOString(), port: PORT, what, event_id: env && env.event_id, order_id: env && env.order_id, why }) + '\n';
  try { fs.appendFileSync(PARK_FILE, line); } catch (_) { /* ignore */ }
  log(`parked ${what} ${env && env.event_id}: ${why}`);
}

// ---------------------------------------------------------------- durable state
// A journal of JSON lines in SEATRIAL_STATE_DIR, replayed at start. Each record is
// written (writeSync) before the effect it enables and before a webhook is answered 2xx.
let W = null;
let journalFd = null;

function newWorld() {
  return { seen: new Set(), orders: new Map(), keys: new Map(), statements: new Set(), pending: new Map() };
}

function order(id) {
  let o = W.orders.get(id);
  if (!o) {
    o = { id, corr: null, cancelled: false, shipmentId: null, taskId: null, rank: 0, written: 'REL', shipTo: null, invoiced: false, queue: [], running: false };
    W.orders.set(id, o);
  }
  return o;
}

function apply(r) {
  switch (r.t) {
    case 'e': W.seen.add(r.e.event_id); W.pending.set(r.e.event_id, r.e); break;
    case 'p': W.seen.add(r.id); break;
    case 'd': W.pending.delete(r.id); break;
    case 'c': order(r.o).cancelled = true; break;
    case 'k': W.keys.set(r.s + '|' + r.k, r.b); break;
    case 'o': Object.assign(order(r.o), r.f); break;
    case 'st': W.statements.add(r.id); break;
    default: break;
  }
}

function rec(r) {
  if (journalFd !== null) fs.writeSync(journalFd, JSON.stringify(r) + '\n');
  apply(r);
}

function openJournal() {
  W = newWorld();
  const dir = process.env.SEATRIAL_STATE_DIR;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'guide-third-journal.jsonl');
  let tornTail = false;
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, 'utf8');
    tornTail = text.length > 0 && !text.endsWith('\n');
    const lines = text.split('\n');
    for (const l of lines) {
      if (!l) continue;
      try { apply(JSON.parse(l)); } catch (_) { /* a torn last line */ }
    }
  }
  journalFd = fs.openSync(file, 'a');
  if (tornTail) fs.writeSync(journalFd, '\n'); // end a line a crash cut short
}

// ---------------------------------------------------------------- outbound HTTP
const agents = {};
const gates = {};
const tokens = {};
const MAX_INFLIGHT = 32;

function resetClients() {
  for (const sys of SYSTEMS) {
    if (agents[sys]) agents[sys].destroy();
    agents[sys] = new http.Agent({ keepAlive: true, maxSockets: 64 });
    if (gates[sys] && gates[sys].timer) clearTimeout(gates[sys].timer);
    gates[sys] = { hold: 0, thrUntil: 0, inflight: 0, q: [], timer: null };
    tokens[sys] = { token: null, exp: 0, pending: null };
  }
}

const simToWallMs = (simSeconds) => (simSeconds / S.scale) * 1000;
const timeoutMs = () => Math.max(30 / S.scale, 0.25) * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function canGo(g) {
  const now = Date.now();
  if (now < g.hold) return false;
  if (now < g.thrUntil) return g.inflight === 0; // after a 429: one call at a time
  return g.inflight < MAX_INFLIGHT;
}

function pump(g) {
  while (g.q.length && canGo(g)) {
    const w = g.q.shift();
    g.inflight++;
    w.res();
  }
  if (g.q.length && Date.now() < g.hold && !g.timer) {
    g.timer = setTimeout(() => { g.timer = null; pump(g); }, Math.ceil(g.hold - Date.now()) + 1);
  }
}

function acquire(sys, prio) {
  const g = gates[sys];
  if (g.q.length === 0 && canGo(g)) { g.inflight++; return Promise.resolve(); }
  return new Promise((res) => {
    let i = g.q.length;
    while (i > 0 && g.q[i - 1].prio > prio) i--;
    g.q.splice(i, 0, { prio, res });
    pump(g);
  });
}

function releaseGate(sys) {
  const g = gates[sys];
  g.inflight--;
  pump(g);
}

function retryAfterMs(r) {
  const x = r.headers['x-seatrial-retry-after'];
  if (x !== undefined && Number.isFinite(Number(x))) return Number(x) * 1000;
  const ra = r.headers['retry-after'];
  if (ra === undefined) return null;
  if (/^\s*\d+\s*$/.test(ra)) return Number(ra) * 1000;
  const t = Date.parse(ra);
  if (Number.isNaN(t)) return null;
  const base = r.headers.date ? Date.parse(r.headers.date) : Date.now();
  return Math.max(0, t - (Number.isNaN(base) ? Date.now() : base));
}

function send(sys, method, p, bodyStr, headers) {
  return new Promise((resolve) => {
    const url = new URL(S.urls[sys] + p);
    const h = { Accept: 'application/json', ...headers };
    if (bodyStr !== null) { h['Content-Type'] = h['Content-Type'] || 'application/json'; h['Content-Length'] = Buffer.byteLength(bodyStr); }
    let done = false;
    const finish = (v) => { if (!done) { done = true; clearTimeout(timer); resolve(v); } };
    const req = http.request(url, { method, headers: h, agent: agents[sys] }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
        finish({ status: res.statusCode, headers: res.headers, json, text, at: Date.now() });
      });
      res.on('error', (e) => finish({ err: e }));
      res.on('aborted', () => finish({ err: new Error('aborted') }));
    });
    const timer = setTimeout(() => { req.destroy(new Error('timeout')); finish({ err: new Error('timeout') }); }, timeoutMs());
    req.on('error', (e) => finish({ err: e }));
    if (bodyStr !== null) req.end(bodyStr); else req.end();
  });
}

function noteResponse(sys, r) {
  if (r && r.status === 429) {
    const g = gates[sys];
    const wait = retryAfterMs(r);
    const hold = r.at + (wait === null ? 1000 : wait) + 2;
    if (hold > g.hold) g.hold = hold;
    g.thrUntil = Math.max(g.thrUntil, hold + 5000);
  }
}

async function getToken(sys, myGen) {
  const t = tokens[sys];
  if (t.token && Date.now() < t.exp) return t.token;
  if (t.pending) return t.pending;
  t.pending = (async () => {
    let attempt = 0;
    for (;;) {
      if (myGen !== gen) throw new Error('world reset');
      const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: S.clientId, client_secret: S.clientSecret }).toString();
      await acquire(sys, -1);
      let r;
      try { r = await send(sys, 'POST', '/oauth/token', body, { 'Content-Type': 'application/x-www-form-urlencoded' }); } finally { noteResponse(sys, r); releaseGate(sys); }
      if (r.status === 200 && r.json && r.json.access_token) {
        const life = Number(r.json.expires_in) || 3600;
        t.token = r.json.access_token;
        t.exp = Date.now() + life * 1000 - Math.min(60, life * 0.1) * 1000;
        return t.token;
      }
      if (r.status === 429) continue;
      await sleep(backoffMs(attempt++));
    }
  })();
  try { return await t.pending; } finally { t.pending = null; }
}

function backoffMs(attempt) {
  const sim = Math.min(600, Math.pow(2, Math.min(attempt, 20)));
  return simToWallMs(sim * (0.5 + Math.random() * 0.5));
}

// One API call, retried until a definite answer (2xx, 409, other 4xx) or parked after
// two simulated days. With an Idempotency-Key the body sent first under it is sent again.
async function call(sys, method, p, body, opts) {
  const { key = null, corr = null, prio = 1 } = opts || {};
  const myGen = gen;
  let bodyStr = null;
  if (key) {
    const k = sys + '|' + key;
    if (W.keys.has(k)) bodyStr = W.keys.get(k);
    else { bodyStr = JSON.stringify(body === undefined || body === null ? {} : body); rec({ t: 'k', s: sys, k: key, b: bodyStr }); }
  } else if (body !== undefined && body !== null) bodyStr = JSON.stringify(body);
  const start = Date.now();
  const giveUpMs = simToWallMs(2 * 86400);
  let attempt = 0;
  let auth = 0;
  for (;;) {
    if (myGen !== gen) throw new Error('world reset');
    if (Date.now() - start > giveUpMs) return { parked: true, why: `no definite answer from ${sys} ${method} ${p} in two simulated days` };
    const tok = await getToken(sys, myGen);
    const headers = { Authorization: 'Bearer ' + tok };
    if (corr) headers['X-Correlation-ID'] = corr;
    if (key) headers['Idempotency-Key'] = key;
    await acquire(sys, prio);
    let r;
    try { r = await send(sys, method, p, bodyStr, headers); } finally { noteResponse(sys, r); releaseGate(sys); }
    if (r.err) { await sleep(backoffMs(attempt++)); continue; }
    if (r.status === 401) {
      if (tokens[sys].token === tok) { tokens[sys].token = null; tokens[sys].exp = 0; }
      if (++auth > 3) await sleep(backoffMs(attempt++));
      continue;
    }
    if (r.status === 429) continue; // the gate holds every call to this system
    if (r.status >= 500) {
      let ms = backoffMs(attempt++);
      if (r.status === 503) { const ra = retryAfterMs(r); if (ra !== null) ms = Math.max(ms, ra + Math.random() * simToWallMs(5)); }
      await sleep(ms);
      continue;
    }
    return r;
  }
}

const ok = (r) => r && !r.parked && r.status >= 200 && r.status < 300;
const why = (r) => (r.parked ? r.why : `${r.status} ${(r.json && (r.json.detail || r.json.title)) || r.text || ''}`);
const enc = encodeURIComponent;

// ---------------------------------------------------------------- event validation
function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }

function normalize(sys, env) {
  // returns [payloadV1, null] or [null, reason]
  let p = env.payload;
  if (!isObj(p)) return [null, 'payload is not an object'];
  if (env.schema_version === '2.0') {
    const retr = { retracted_event_id: p.retracted_event_id, retraction_reason: p.retraction_reason };
    if (env.type === 'shipment.status') {
      if (!isObj(p.status)) return [null, 'v2 status missing'];
      p = { status_code: p.status.code, reason_code: p.status.reason, carrier: isObj(p.carrier) ? p.carrier.name : undefined, eta: p.estimatedArrival, ...retr };
    } else if (env.type === 'task.updated') {
      let cd = p.completionDetails;
      if (cd !== undefined && cd !== null) {
        if (!isObj(cd)) return [null, 'v2 completionDetails is not an object'];
        cd = { success: cd.success, attempt: cd.attempt, failure_reason: cd.failureReason, pod: cd.proofOfDelivery, photos: cd.photoUploadIds, notes: cd.notes };
      }
      p = { trigger: p.triggerName, state: p.taskState, worker: p.workerName, eta: p.etaTime, completion_details: cd, ...retr };
    } else {
      if (!isObj(p.data)) return [null, 'v2 data missing'];
      p = { ...p.data, ...retr };
    }
    for (const k of Object.keys(p)) if (p[k] === undefined) delete p[k];
  } else if (env.schema_version !== '1.0') {
    return [null, `unknown schema_version ${JSON.stringify(env.schema_version)}`];
  }
  if (p.retracted_event_id !== undefined && typeof p.retracted_event_id !== 'string') return [null, 'bad retracted_event_id'];
  switch (env.type) {
    case 'order.released':
      if (typeof p.customer_id !== 'string') return [null, 'customer_id missing'];
      break;
    case 'order.cancelled':
      if (typeof p.reason !== 'string') return [null, 'reason missing'];
      break;
    case 'order.changed':
      if (!isObj(p.ship_to)) return [null, 'ship_to missing'];
      break;
    case 'shipment.status':
      if (typeof p.status_code !== 'string') return [null, 'status_code missing or not a string'];
      if (p.reason_code !== undefined && p.reason_code !== null && typeof p.reason_code !== 'string') return [null, 'reason_code not a string'];
      break;
    case 'shipment.charges_finalized':
      if (typeof p.statement_id !== 'string' || !p.statement_id) return [null, 'statement_id missing'];
      if (!Array.isArray(p.lines) || !p.lines.every((l) => isObj(l) && typeof l.amount === 'number')) return [null, 'lines malformed'];
      if (typeof p.total !== 'number') return [null, 'total missing'];
      break;
    case 'task.updated':
      if (typeof p.trigger !== 'string') return [null, 'trigger missing or not a string'];
      if (p.completion_details !== undefined && p.completion_details !== null && !isObj(p.completion_details)) return [null, 'completion_details not an object'];
      if (p.trigger === 'taskCompleted' && (!isObj(p.completion_details) || typeof p.completion_details.success !== 'boolean')) return [null, 'taskCompleted without completion_details.success'];
      break;
    default:
      return [null, `unknown type ${env.type}`];
  }
  return [p, null];
}

function fixTime(t, source) {
  if (typeof t !== 'string') return null;
  if (/(Z|[+-]\d{2}:?\d{2})$/i.test(t)) return t;
  return t + LOCAL_OFFSET[source];
}

// ---------------------------------------------------------------- per-order work
function enqueue(env) {
  const o = order(env.order_id);
  o.queue.push(env);
  if (!o.running) runOrder(o);
}

async function runOrder(o) {
  o.running = true;
  const myGen = gen;
  try {
    while (o.queue.length) {
      const env = o.queue.shift();
      try {
        await handle(o, env);
      } catch (e) {
        if (myGen !== gen) return;
        park('event', env, `handler error: ${e && e.stack || e}`);
      }
      if (myGen !== gen) return;
      rec({ t: 'd', id: env.event_id });
    }
  } finally {
    if (myGen === gen) o.running = false;
  }
}

async function handle(o, env) {
  const p = env.payload;
  if (env.source === 'erp' && typeof env.correlation_id === 'string' && env.correlation_id && !o.corr) rec({ t: 'o', o: o.id, f: { corr: env.correlation_id } });
  const corr = (typeof env.correlation_id === 'string' && env.correlation_id) || o.corr || `corr-${o.id}`;
  if (p.retracted_event_id) return; // a retraction changes nothing
  switch (env.type) {
    case 'order.released': return onReleased(o, env, corr);
    case 'order.cancelled': return onCancelled(o, env, corr);
    case 'order.changed': return onChanged(o, env, corr);
    case 'shipment.status': return onShipmentStatus(o, env, p, corr);
    case 'shipment.charges_finalized': return onCharges(o, env, p, corr);
    case 'task.updated': return onTaskUpdated(o, env, p, corr);
    default: return undefined;
  }
}

async function readOrder(o, env, corr, prio) {
  const r = await call('erp', 'GET', `/orders/${enc(o.id)}`, null, { corr, prio });
  if (!ok(r)) { park('read order', env, why(r)); return null; }
  const ord = r.json || {};
  if (ord.status === 'CNL' && !o.cancelled) rec({ t: 'c', o: o.id });
  if (isObj(ord.ship_to)) rec({ t: 'o', o: o.id, f: { shipTo: ord.ship_to } });
  return ord;
}

async function onReleased(o, env, corr) {
  if (o.cancelled || o.shipmentId) return;
  const ord = await readOrder(o, env, corr, 0);
  if (!ord || o.cancelled) return;
  const r = await call('tms', 'POST', '/shipments', { order_id: o.id, ship_to: ord.ship_to, lines: Array.isArray(ord.lines) ? ord.lines : [] }, { key: `shipment-${o.id}`, corr, prio: 0 });
  if (!ok(r) || !r.json || !r.json.id) { park('create shipment', env, why(r)); return; }
  rec({ t: 'o', o: o.id, f: { shipmentId: r.json.id } });
  if (o.cancelled) { await cancelWhatCanBeStopped(o, env, corr); return; }
  await writeStatus(o, env, 'PLN', corr);
}

async function writeStatus(o, env, status, corr) {
  if (RANK[status] <= o.rank) return; // forward only; DLV and RTN are terminal
  const body = { status, classifier: 'ACT', shipment_id: o.shipmentId, event_time: fixTime(env.event_time, env.source) };
  const r = await call('erp', 'POST', `/orders/${enc(o.id)}/logistics-status`, body, { key: `status-${o.id}-${status}`, corr, prio: 1 });
  if (!ok(r)) { park(`write ${status}`, env, why(r)); return; }
  rec({ t: 'o', o: o.id, f: { rank: RANK[status], written: status } });
}

async function cancelShipment(sid, env, corr) {
  const r = await call('tms', 'POST', `/shipments/${enc(sid)}/cancel`, {}, { key: `cancel-${sid}`, corr, prio: 1 });
  if (!(ok(r) || r.status === 409)) park('cancel shipment', env, why(r));
}

async function cancelTask(tid, env, corr) {
  const r = await call('lastmile', 'POST', `/tasks/${enc(tid)}/cancel`, {}, { key: `cancel-${tid}`, corr, prio: 1 });
  if (!(ok(r) || r.status === 409)) park('cancel task', env, why(r));
}

async function cancelWhatCanBeStopped(o, env, corr) {
  if (o.shipmentId) await cancelShipment(o.shipmentId, env, corr);
  if (o.taskId) await cancelTask(o.taskId, env, corr);
}

async function onCancelled(o, env, corr) {
  if (!o.cancelled) rec({ t: 'c', o: o.id });
  await cancelWhatCanBeStopped(o, env, corr);
}

async function onChanged(o, env, corr) {
  const ord = await readOrder(o, env, corr, 1);
  if (!ord) return;
  if (o.taskId && !o.cancelled && isObj(ord.ship_to)) {
    const r = await call('lastmile', 'POST', `/tasks/${enc(o.taskId)}/destination`, ord.ship_to, { key: `destination-${env.event_id}`, corr, prio: 1 });
    if (!(ok(r) || r.status === 409)) park('change destination', env, why(r));
  }
}

async function onShipmentStatus(o, env, p, corr) {
  if (env.classifier !== 'ACT') return; // estimates and plans never move the status
  if (!o.shipmentId || env.shipment_id !== o.shipmentId) {
    // not the shipment we hold for this order
    if (o.cancelled && typeof env.shipment_id === 'string' && env.shipment_id) await cancelShipment(env.shipment_id, env, corr);
    return;
  }
  const code = p.status_code;
  if (code === 'X4' && !o.cancelled && !o.taskId) {
    if (!o.shipTo) await readOrder(o, env, corr, 1);
    if (o.shipTo && !o.cancelled) {
      const r = await call('lastmile', 'POST', '/tasks', { shipment_id: o.shipmentId, order_id: o.id, destination: o.shipTo }, { key: `task-${o.shipmentId}`, corr, prio: 0 });
      if (ok(r) && r.json && r.json.id) {
        rec({ t: 'o', o: o.id, f: { taskId: r.json.id } });
        if (o.cancelled) await cancelTask(r.json.id, env, corr);
      } else park('create task', env, why(r));
    }
  }
  const st = TMS_MAP[code];
  if (st) await writeStatus(o, env, st, corr);
}

async function onTaskUpdated(o, env, p, corr) {
  if (env.classifier !== 'ACT') return;
  if (!o.taskId || env.task_id !== o.taskId) {
    if (o.cancelled && typeof env.task_id === 'string' && env.task_id) await cancelTask(env.task_id, env, corr);
    return;
  }
  const trig = p.trigger;
  if (trig === 'taskCompleted') {
    const cd = p.completion_details;
    const pod = isObj(cd) ? cd.pod : null;
    if (!(isObj(cd) && cd.success === true && isObj(pod) && typeof pod.photo === 'string' && pod.photo)) return; // a failed attempt
    await writeStatus(o, env, 'DLV', corr);
    if (o.cancelled || o.invoiced || o.written === 'RTN') return;
    const r = await call('erp', 'POST', `/orders/${enc(o.id)}/invoice`, { pod_reference: pod.photo, task_id: o.taskId }, { key: `invoice-${o.id}`, corr, prio: 1 });
    if (ok(r)) rec({ t: 'o', o: o.id, f: { invoiced: true } });
    else park('invoice', env, why(r));
    return;
  }
  const st = LM_MAP[trig];
  if (st) await writeStatus(o, env, st, corr);
}

async function onCharges(o, env, p, corr) {
  if (W.statements.has(p.statement_id)) return;
  const body = { statement_id: p.statement_id, shipment_id: env.shipment_id || null, lines: p.lines, total: p.total };
  const r = await call('erp', 'POST', `/orders/${enc(o.id)}/freight-charges`, body, { key: `charges-${p.statement_id}`, corr, prio: 1 });
  if (ok(r)) rec({ t: 'st', id: p.statement_id });
  else park('post charges', env, why(r));
}

// ---------------------------------------------------------------- inbound HTTP
function problem(res, status, title, detail, extra) {
  const h = { 'Content-Type': 'application/problem+json', ...(extra || {}) };
  res.writeHead(status, h);
  res.end(JSON.stringify({ type: `https://seatrial.dev/problems/${title.toLowerCase().replace(/[^a-z]+/g, '-')}`, title, status, detail }));
}

function reply(res, status, obj) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(obj));
}

function verify(sys, headers, raw) {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sig = headers['webhook-signature'];
  if (!id || !ts || !sig || !/^\d+$/.test(ts)) return false;
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const mac = crypto.createHmac('sha256', S.secrets[sys]).update(`${id}.${ts}.`).update(raw).digest();
  for (const part of String(sig).split(' ')) {
    const i = part.indexOf(',');
    if (i < 0 || part.slice(0, i) !== 'v1') continue;
    const b = Buffer.from(part.slice(i + 1), 'base64');
    if (b.length === mac.length && crypto.timingSafeEqual(b, mac)) return true;
  }
  return false;
}

function onWebhook(sys, req, res, raw) {
  if (!S) return problem(res, 503, 'Not configured', 'no settings yet');
  if (!verify(sys, req.headers, raw)) return problem(res, 401, 'Unauthorized', 'missing or bad signature, or stale timestamp');
  let env;
  try { env = JSON.parse(raw.toString('utf8')); } catch (_) { env = null; }
  if (!isObj(env) || typeof env.event_id !== 'string' || typeof env.type !== 'string' || typeof env.event_time !== 'string') {
    park('delivery', null, `not an event envelope: ${raw.toString('utf8').slice(0, 200)}`);
    return reply(res, 202, { parked: 'not an event envelope' });
  }
  if (env.source !== sys) return problem(res, 401, 'Unauthorized', `source ${env.source} posted to /webhooks/${sys}`);
  if (W.seen.has(env.event_id)) return reply(res, 200, { duplicate: true });
  let reason = null;
  if (!TYPES[sys].has(env.type)) reason = `unknown type ${env.type}`;
  else if (typeof env.order_id !== 'string' || !env.order_id) reason = 'no order_id';
  let p = null;
  if (!reason) { const [np, r] = normalize(sys, env); p = np; reason = r; }
  if (reason) {
    rec({ t: 'p', id: env.event_id });
    park('event', env, reason);
    return reply(res, 202, { parked: reason });
  }
  const e = { ...env, payload: p };
  rec({ t: 'e', e });
  if (e.type === 'order.cancelled' && !order(e.order_id).cancelled) rec({ t: 'c', o: e.order_id });
  enqueue(e);
  return reply(res, 202, { accepted: true });
}

function onConfigure(req, res, raw) {
  const auth = String(req.headers.authorization || '');
  const want = Buffer.from('Bearer ' + CONTROL_SECRET);
  const got = Buffer.from(auth);
  if (!process.env.SEATRIAL_CONTROL_SECRET || got.length !== want.length || !crypto.timingSafeEqual(got, want)) {
    return problem(res, 401, 'Unauthorized', 'send the control secret as Authorization: Bearer', { 'WWW-Authenticate': 'Bearer' });
  }
  let body;
  try { body = JSON.parse(raw.toString('utf8')); } catch (_) { body = null; }
  if (!isObj(body)) return problem(res, 400, 'Bad request', 'the body must be a JSON object');
  const { s, bad } = parseSettings(body);
  if (bad.length) return problem(res, 422, 'Invalid settings', `missing or malformed: ${bad.join(', ')}`, {});
  gen++;
  S = s;
  if (journalFd !== null) { try { fs.closeSync(journalFd); } catch (_) { /* */ } journalFd = null; }
  W = newWorld();
  resetClients();
  return reply(res, 200, { configured: true });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > 1048576) { problem(res, 413, 'Too large', 'body over 1 MiB'); req.destroy(); return; }
    chunks.push(c);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    const raw = Buffer.concat(chunks);
    const url = (req.url || '').split('?')[0];
    try {
      if (req.method === 'GET' && url === '/health') return reply(res, 200, { status: 'ok' });
      if (req.method === 'POST' && url === '/seatrial/configure') return onConfigure(req, res, raw);
      const m = /^\/webhooks\/(erp|tms|lastmile)$/.exec(url);
      if (req.method === 'POST' && m) return onWebhook(m[1], req, res, raw);
      return problem(res, 404, 'Not found', `no ${req.method} ${url}`);
    } catch (e) {
      log(`error: ${e && e.stack || e}`);
      if (!res.headersSent) problem(res, 500, 'Internal error', String(e));
    }
    return undefined;
  });
});

// ---------------------------------------------------------------- start
function start() {
  openJournal();
  if (process.env.SEATRIAL_ERP_URL) {
    const { s, bad } = parseSettings(process.env);
    if (bad.length) { log(`malformed settings: ${bad.join(', ')}`); process.exit(2); }
    S = s;
  }
  resetClients();
  if (S) {
    // resume events taken before a crash, per order in arrival order
    for (const e of W.pending.values()) enqueue(e);
  }
  server.keepAliveTimeout = 30000;
  server.listen(PORT, '127.0.0.1', () => log(`listening on 127.0.0.1:${PORT}${S ? ` at ${S.scale}x` : ' (waiting for POST /seatrial/configure)'}; resumed ${W.pending.size} event(s)`));
}

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
start();
