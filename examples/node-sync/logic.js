// The business logic, the reference's (sync_implementations/reference.py): what each event
// means for the ERP, the TMS and the last-mile platform. It calls the systems only through
// their connectors (r.links), so it is the same in every dialect.
'use strict';

const { Parked } = require('./common');

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
const HANDLERS = {
  'order.released': released,
  'order.cancelled': cancelled,
  'order.changed': changed,
  'shipment.status': shipmentStatus,
  'shipment.charges_finalized': charges,
  'task.updated': taskUpdated,
};

const newState = () => ({ status: 'REL', shipment: null, task: null, ship_to: null,
  cancelled: false, invoiced: false, charges: [], eta_recorded: null, correlation: null });

// Applies one event to a copy of its order's state (the caller keeps it only on success).
async function apply(r, event, state) {
  // A vendor's event without a correlation id (Onfleet's) carries on the order's.
  if (event.correlation_id) state.correlation ??= event.correlation_id;
  const corr = event.correlation_id || state.correlation || undefined;
  const handler = HANDLERS[event.type];
  if (!handler) throw new Parked(`unknown event type ${event.type}`);
  const thin = event.source === 'erp' && r.links.erp.thin; // the key only: read it back
  const payload = thin ? {} : upgrade(event);
  if (!thin) validate(event, payload);
  if ('retracted_event_id' in payload) return; // a retraction never moves status
  return handler({ r, event, state, corr, links: r.links }, payload);
}

async function released(ctx) {
  const { event, state, corr, links } = ctx;
  if (state.cancelled || state.shipment) return;
  const order = await links.erp.readOrder(event.order_id, corr);
  if (order.cancelled) { state.cancelled = true; return; }
  state.ship_to = order.ship_to;
  state.shipment = await links.tms.createShipment(event.order_id, order,
    `shipment-${event.order_id}`, corr);
  await advance(ctx, 'PLN');
}

async function cancelled({ state, corr, links }) {
  state.cancelled = true;
  if (state.shipment) {
    await links.tms.cancelShipment(state.shipment, 'order cancelled',
      `cancel-${state.shipment}`, corr);
  }
  if (state.task) {
    await links.lastmile.cancelTask(state.task, 'order cancelled', `cancel-${state.task}`, corr);
  }
}

// A new address; from a thin event (the key only) it may as well be a cancellation: the
// order read back says which.
async function changed(ctx, payload) {
  const { event, state, corr, links } = ctx;
  if (links.erp.thin) {
    const order = await links.erp.readOrder(event.order_id, corr);
    if (order.cancelled) return cancelled(ctx);
    state.ship_to = order.ship_to;
  } else {
    state.ship_to = payload.ship_to; // a task created later goes to the new address
  }
  if (state.task && !state.cancelled) {
    await links.lastmile.changeDestination(state.task, state.ship_to,
      `destination-${event.event_id}`, corr);
  }
}

async function shipmentStatus(ctx, payload) {
  const { r, event, state, corr, links } = ctx;
  if (event.shipment_id !== state.shipment) return; // not the shipment we created
  const code = payload.status_code;
  if (event.classifier !== 'ACT') { // estimates never move status; record the hub ETA
    if (code === 'X4' && RANK[state.status] < RANK.HUB) await estimate(ctx, payload);
    return;
  }
  if (FROM_TMS[code]) await advance(ctx, FROM_TMS[code]);
  const cancelling = state.cancelled || r.cancelled.has(event.order_id);
  if (code === 'X4' && !cancelling && !state.task) { // goods at the hub: one delivery task
    state.task = await links.lastmile.createTask(event.order_id, state.shipment,
      state.ship_to, `task-${state.shipment}`, corr);
  }
}

async function taskUpdated(ctx, given) {
  const { r, event, state, corr, links } = ctx;
  if (event.task_id !== state.task) return;
  const payload = await links.lastmile.whatChanged(event.task_id, given, corr);
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
  if (links.erp.thin) { // a cancellation's thin event may still wait in the queue: ask
    const order = await links.erp.readOrder(event.order_id, corr);
    if (order.cancelled) { state.cancelled = true; return; }
  }
  await links.erp.releaseInvoice(event.order_id,
    { pod_reference: details.pod.photo ?? null, task_id: event.task_id },
    `invoice-${event.order_id}`, corr);
  state.invoiced = true;
}

async function charges({ event, state, corr, links }, payload) {
  // Once per statement id, not per event: unknown-code copies repeat the same statement.
  if (state.charges.includes(payload.statement_id)) return;
  await links.erp.postCharges(event.order_id, { statement_id: payload.statement_id,
    shipment_id: event.shipment_id, lines: payload.lines, total: payload.total },
  `charges-${payload.statement_id}`, corr);
  state.charges.push(payload.statement_id);
}

// --- writing to the ERP ------------------------------------------------------------------

// Forward only, by rank, never by arrival or event time; DLV and RTN share the top rank, so
// an ending is never replaced.
async function advance({ event, state, corr, links }, status) {
  if (RANK[status] <= RANK[state.status]) return;
  await links.erp.writeStatus(event.order_id, { status, classifier: 'ACT',
    shipment_id: state.shipment, event_time: eventTime(event) },
  `status-${event.order_id}-${status}`, corr);
  state.status = status;
}

// An estimate carries the current status along, and an older one (by recorded_time) never
// replaces a newer one.
async function estimate({ event, state, corr, links }, payload) {
  const recorded = event.recorded_time;
  if (state.eta_recorded !== null && recorded <= state.eta_recorded) return;
  await links.erp.writeStatus(event.order_id, { status: state.status, classifier: 'EST',
    eta: payload.eta ?? null, event_time: eventTime(event) }, `eta-${event.event_id}`, corr);
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

module.exports = { apply, newState };
