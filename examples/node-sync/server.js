// A sync implementation for Seatrial's live mode, in plain Node.js (>= 20, no dependencies).
//
// It mirrors sync_implementations/reference.py over HTTP: webhooks are verified, deduped by
// event id, appended to a per-order inbox and acked at once; one worker per order drains its
// inbox in arrival order, so writes for an order never race and orders never wait for each
// other. It speaks each system in the dialect the run names (connectors.js): Seatrial's
// canonical APIs, SAP S/4HANA's OData for the ERP (sap-s4.js), Onfleet's API for the
// last-mile platform (onfleet.js). The business logic is logic.js, the calling client.js.
// The wire protocol is docs/live-protocol.md.
'use strict';

const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Parked, Stopped, log } = require('./common');
const { SYSTEMS, dialectsOf, connect } = require('./connectors');
const { apply, newState } = require('./logic');

const SETTINGS = [
  'SEATRIAL_ERP_URL', 'SEATRIAL_TMS_URL', 'SEATRIAL_LASTMILE_URL',
  'SEATRIAL_CLIENT_ID', 'SEATRIAL_CLIENT_SECRET',
  'SEATRIAL_ERP_WEBHOOK_SECRET', 'SEATRIAL_TMS_WEBHOOK_SECRET',
  'SEATRIAL_LASTMILE_WEBHOOK_SECRET', 'SEATRIAL_TIME_SCALE',
];
const PORT = Number(process.env.PORT || 9000);

// --- one run: settings plus everything we know; POST /seatrial/configure starts a new one ----

let run = null;

function newRun(raw) {
  const missing = SETTINGS.filter((name) => !raw[name]);
  if (missing.length) throw new Error(`missing setting(s) ${missing.join(', ')}`);
  const scale = Number(raw.SEATRIAL_TIME_SCALE);
  if (!(scale > 0)) throw new Error('SEATRIAL_TIME_SCALE must be a positive number');
  const dialects = dialectsOf(raw);
  if (run) run.stopped = true; // workers of the old run stop at their next call
  run = {
    settings: raw, scale, dialects, port: PORT, stopped: false,
    seen: new Set(),            // event ids already queued (deliveries are at least once)
    cancelled: new Set(),       // orders whose cancellation arrived (read before invoicing)
    inbox: new Map(),           // order id -> events not yet applied, in arrival order
    state: new Map(),           // order id -> what we have done for it
    working: new Set(),         // orders with a live worker
    tokens: new Map(),          // system -> Promise<{token, expires}>
    pausedUntil: new Map(),     // system -> wall ms; a 429 pauses every call to that system
    journal: null,
    links: null,                // system -> its connector, in the dialect it speaks
  };
  run.links = connect(run);
  openJournal(run, raw.SEATRIAL_STATE_DIR);
  return run;
}

// What each system needs from a starting implementation (Onfleet: our webhooks registered).
function boot(r) {
  for (const system of SYSTEMS) {
    const task = r.links[system].start?.();
    task?.catch((error) => {
      if (!(error instanceof Stopped)) log(`starting ${system} failed:`, error.message);
    });
  }
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

// --- receipt: verify, read, dedupe, queue, ack -------------------------------------------

function inboxOf(r, order) {
  if (!r.inbox.has(order)) r.inbox.set(order, []);
  return r.inbox.get(order);
}

// Returns the HTTP status to answer the source with.
function receive(source, headers, body) {
  const r = run;
  if (!r) return 503; // not configured yet: the source will redeliver
  const link = r.links[source];
  if (!link.authentic(headers, body)) return 401; // forged or stale: refuse
  let event;
  try {
    event = link.read(body);
  } catch (error) {
    log(`parked: signed ${source} delivery that cannot be read (${error.message})`);
    return 204; // redelivering it would not make it readable
  }
  if (r.seen.has(event.event_id)) {
    // A signature with no time in it (Onfleet's) cannot tell a replay by its age: a
    // delivery taken before is refused. Elsewhere it is a duplicate or redelivery: acked.
    return link.undated ? 401 : 204;
  }
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
    const state = structuredClone(r.state.get(order) ?? newState());
    try {
      await apply(r, event, state);
      r.state.set(order, state);
    } catch (error) {
      if (error instanceof Stopped) return;
      if (!(error instanceof Parked)) log('unexpected error', error);
      log(`parked ${event.event_id} (${event.type}):`, error.message);
    }
    journal(r, { op: 'done', order, state: r.state.get(order) });
    inbox.shift();
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
    } else if (req.method === 'GET' && hook && url.searchParams.has('check')) {
      // A webhook registration's check (Onfleet's): 200 with exactly the string sent.
      if (!run) return reply(res, 503, 'Not configured', 'POST /seatrial/configure first');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(url.searchParams.get('check'));
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
        boot(newRun({ ...raw, SEATRIAL_STATE_DIR: dir }));
        log('configured; speaking', Object.entries(run.dialects).map((d) => d.join('=')).join(' '));
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
server.listen(PORT, '127.0.0.1', () => {
  log(`node-sync listening on 127.0.0.1:${server.address().port}`);
  if (run) log('speaking', Object.entries(run.dialects).map((d) => d.join('=')).join(' '));
  if (run) boot(run); // after listening: a registration's check comes back to us
});
process.on('SIGTERM', () => process.exit(0)); // the journal is already on disk
