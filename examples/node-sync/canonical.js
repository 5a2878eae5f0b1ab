// The three systems in Seatrial's canonical APIs: orders, shipments and tasks as JSON under
// OAuth2 bearer tokens, every write deduped by its Idempotency-Key, and deliveries in the
// Standard Webhooks envelope (docs/writing-a-sync-implementation.md#the-three-apis).
'use strict';

const crypto = require('node:crypto');
const { send } = require('./client');

const SIGNATURE_TOLERANCE = 300;    // wall s, Standard Webhooks' replay window

// Standard Webhooks: HMAC-SHA256 over `id.timestamp.body`, keyed with the whsec_ bytes,
// compared in constant time; any of several `v1,` signatures will do.
function standardWebhook(secret, headers, body) {
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

// The canonical envelope; an Error names why a body is none.
function envelope(body) {
  let event;
  try { event = JSON.parse(body.toString('utf8')); } catch { event = null; }
  if (!event || typeof event !== 'object' || typeof event.event_id !== 'string') {
    throw new Error('not an event envelope with a string event_id');
  }
  return event;
}

// How a source's deliveries are signed and read, in the canonical dialect.
function receipt(r, source) {
  const secret = r.settings[`SEATRIAL_${source.toUpperCase()}_WEBHOOK_SECRET`];
  return {
    undated: false,
    authentic: (headers, body) => standardWebhook(secret, headers, body),
    read: envelope,
  };
}

function erp(r) {
  return {
    ...receipt(r, 'erp'),
    thin: false,
    async readOrder(order, corr) {
      const { json } = await send(r, 'erp', 'GET', `/orders/${order}`, { corr });
      return { cancelled: json.status === 'CNL', ship_to: json.ship_to, lines: json.lines };
    },
    async writeStatus(order, fields, key, corr) {
      await send(r, 'erp', 'POST', `/orders/${order}/logistics-status`,
        { corr, key, body: fields });
    },
    async postCharges(order, statement, key, corr) {
      await send(r, 'erp', 'POST', `/orders/${order}/freight-charges`,
        { corr, key, body: statement });
    },
    async releaseInvoice(order, proof, key, corr) {
      await send(r, 'erp', 'POST', `/orders/${order}/invoice`, { corr, key, body: proof });
    },
  };
}

function tms(r) {
  return {
    ...receipt(r, 'tms'),
    async createShipment(order, record, key, corr) {
      const { json } = await send(r, 'tms', 'POST', '/shipments', {
        corr, key, body: { order_id: order, ship_to: record.ship_to, lines: record.lines } });
      return json.id;
    },
    async cancelShipment(shipment, reason, key, corr) { // 409: departed, nothing to cancel
      await send(r, 'tms', 'POST', `/shipments/${shipment}/cancel`,
        { corr, key, body: { reason }, accept: [409] });
    },
  };
}

function lastmile(r) {
  return {
    ...receipt(r, 'lastmile'),
    start: () => null, // one standing subscription: nothing to register
    async whatChanged(task, payload) { return payload; }, // the trigger says it all
    async createTask(order, shipment, destination, key, corr) {
      const { json } = await send(r, 'lastmile', 'POST', '/tasks', {
        corr, key, body: { shipment_id: shipment, order_id: order, destination } });
      return json?.id ?? null;
    },
    async changeDestination(task, address, key, corr) { // 409: finished, too late
      await send(r, 'lastmile', 'POST', `/tasks/${task}/destination`,
        { corr, key, body: address, accept: [409] });
    },
    async cancelTask(task, reason, key, corr) { // 409: delivered or returned already
      await send(r, 'lastmile', 'POST', `/tasks/${task}/cancel`,
        { corr, key, body: { reason }, accept: [409] });
    },
  };
}

module.exports = { erp, tms, lastmile, standardWebhook };
