// The last-mile platform as Onfleet's API v2 (docs/dialects.md#onfleet), the way
// sync_implementations/connectors/lastmile_onfleet.py speaks it:
// - HTTP Basic with the API key (client.js); tasks carry the order and shipment in metadata,
//   a destination change is a PUT, a cancellation a DELETE (404 and 409 are answers);
// - webhooks are ours to register, one per trigger we follow, after the platform's
//   `GET ?check=` handshake (server.js answers it); they are checked again at every start and,
//   while tasks are being created, at most every half simulated hour: a disabled one is
//   deleted and registered anew, a registration refused for a failed check is tried again;
// - deliveries are signed in X-Onfleet-Signature (hex HMAC-SHA512 of the raw body) with no
//   time in it, so a delivery taken before is refused as a replay (`undated`);
// - Onfleet dedupes no create by Idempotency-Key: a create whose answer was lost is looked up
//   by its shipment id (POST /tasks/metadata) before it is sent again.
'use strict';

const crypto = require('node:crypto');
const { send, wallMs } = require('./client');
const { Parked, log, simSeconds, sleep } = require('./common');

const API = '/api/v2';
// The triggers a sync implementation follows: started, ETA, arrival, completed, failed,
// updated (a return to the shipper), deleted.
const TRIGGERS = { 0: 'taskStarted', 1: 'taskEta', 2: 'taskArrival', 3: 'taskCompleted',
  4: 'taskFailed', 7: 'taskUpdated', 8: 'taskDeleted' };
const RECHECK_EVERY = 1800;     // sim s
const REVALIDATE_AFTER = 30;    // sim s after a registration refused for its failed check
const VALIDATION_FAILED = 1008;
// Onfleet's trigger names in the words the logic maps: a failed attempt is a taskCompleted
// without success, a deletion a cancellation.
const RENAMED = { taskFailed: 'taskCompleted', taskDeleted: 'taskCancelled' };
const CLASSIFIERS = { taskEta: 'EST', taskAssigned: 'PLN', taskCreated: 'PLN' };
const REFUSED = 'REFUSED';      // the failure reason of a parcel the recipient refused

const entry = (name, value) => ({ name, type: 'string', value });

// A canonical address as Onfleet's destination.
function destinationOf(address) {
  const sent = { street: address.street, city: address.city, postalCode: address.postcode };
  if (address.country) sent.country = address.country;
  return { address: sent };
}

// X-Onfleet-Signature: hex HMAC-SHA512 of the raw body, keyed with the webhook secret's
// bytes (the whsec_ secret's, which Onfleet's form writes in hex), compared in constant time.
function signed(secret, signature, body) {
  if (typeof signature !== 'string') return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = Buffer.from(crypto.createHmac('sha512', key).update(body).digest('hex'));
  const given = Buffer.from(signature.trim().toLowerCase());
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

// completionDetails as the logic reads them: proof of delivery is the recipient's signature.
function completion(details) {
  const photos = (details.photoUploadIds ?? []).filter((p) => typeof p === 'string');
  const signature = details.signatureUploadId;
  return { success: details.success === true,
    pod: signature ? { signed_by: 'recipient', signature, photo: photos[0] ?? null } : null,
    photos, failure_reason: [null, undefined, 'NONE'].includes(details.failureReason)
      ? null : details.failureReason, notes: details.notes || null };
}

// One delivery as the envelope the logic reads; an Error names what is missing. Onfleet
// sends no event id: a delivery is named by its body's digest (a redelivery is the same).
function delivery(body) {
  let data;
  try { data = JSON.parse(body.toString('utf8')); } catch { data = null; }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new Error('not a JSON object: {taskId, triggerName, time, data}');
  }
  const task = data.data?.task;
  const { triggerName: trigger, time } = data;
  if (!task || typeof task !== 'object' || typeof data.taskId !== 'string') {
    throw new Error('taskId and data.task are required (a task\'s delivery)');
  }
  if (typeof trigger !== 'string' || !Number.isInteger(time)) {
    throw new Error('triggerName (a string) and time (Unix ms) are required');
  }
  const keys = {};
  for (const item of Array.isArray(task.metadata) ? task.metadata : []) {
    if (item && typeof item.value === 'string') keys[item.name] = item.value;
  }
  const ahead = Number.isInteger(data.etaSeconds) ? data.etaSeconds : 0;
  const payload = { trigger: RENAMED[trigger] ?? trigger, state: task.state, worker: task.worker };
  const details = task.completionDetails;
  if (details && typeof details === 'object' && ['taskCompleted', 'taskFailed'].includes(trigger)) {
    payload.completion_details = completion(details);
  }
  if (trigger === 'taskEta') payload.eta = new Date(time).toISOString();
  const digest = crypto.createHash('sha256').update(body).digest('hex').slice(0, 32);
  return { event_id: `onfleet-${digest}`, type: 'task.updated', source: 'lastmile',
    event_time: new Date(time).toISOString(),
    recorded_time: new Date(time - ahead * 1000).toISOString(),
    classifier: CLASSIFIERS[trigger] ?? 'ACT', correlation_id: '',
    order_id: keys.order_id ?? null, shipment_id: keys.shipment_id ?? null,
    task_id: data.taskId, schema_version: '1.0', payload };
}

// A task, as GET /tasks/{id} answers it, finished by the recipient refusing the parcel.
function returned(task) {
  const details = task?.completionDetails;
  return task?.state === 3 && details?.success === false && details?.failureReason === REFUSED;
}

function lastmile(r) {
  const secret = r.settings.SEATRIAL_LASTMILE_WEBHOOK_SECRET;
  const url = `${r.settings.SEATRIAL_SUT_URL || `http://127.0.0.1:${r.port}`}/webhooks/lastmile`;
  let checkedAt = null;   // wall ms when every webhook was last seen enabled
  let checking = null;    // the check in flight, shared by every worker

  // POST /webhooks until it is taken: a failed check is no answer about a URL we serve.
  async function register(name, number) {
    for (;;) {
      const answer = await send(r, 'lastmile', 'POST', `${API}/webhooks`,
        { body: { url, name: `sync ${name}`, trigger: number }, accept: [400] });
      if (answer.status < 300) return;
      if (answer.json?.message?.error !== VALIDATION_FAILED) {
        throw new Parked(`POST ${API}/webhooks answered 400: ${JSON.stringify(answer.json)}`);
      }
      log(`webhook ${name}: the platform's check failed; registering again`);
      await sleep(wallMs(r, REVALIDATE_AFTER));
    }
  }

  // One enabled webhook per trigger followed, to our URL.
  async function check() {
    const { json: listed } = await send(r, 'lastmile', 'GET', `${API}/webhooks`);
    const enabled = new Set();
    for (const hook of Array.isArray(listed) ? listed : []) {
      if (hook.url !== url) continue;
      if (hook.isEnabled) enabled.add(hook.trigger);
      else await send(r, 'lastmile', 'DELETE', `${API}/webhooks/${hook.id}`, { accept: [404] });
    }
    const missing = Object.entries(TRIGGERS).filter(([number]) => !enabled.has(Number(number)));
    for (const [number, name] of missing) await register(name, Number(number));
    if (missing.length) log(`onfleet: registered ${missing.length} webhook(s) to ${url}`);
    checkedAt = Date.now();
  }

  function keepWebhooks() {
    checking ??= check().finally(() => { checking = null; });
    return checking;
  }

  return {
    undated: true,
    authentic: (headers, body) => signed(secret, headers['x-onfleet-signature'], body),
    read: delivery,
    start: keepWebhooks,
    async whatChanged(task, payload, corr) { // taskUpdated says only that it changed: read it
      if (payload.trigger !== 'taskUpdated') return payload;
      const { json } = await send(r, 'lastmile', 'GET', `${API}/tasks/${task}`,
        { corr, accept: [404] });
      return returned(json) ? { ...payload, trigger: 'taskReturned' } : payload;
    },
    async createTask(order, shipment, destination, key, corr) {
      if (checkedAt === null || simSeconds(r, Date.now() - checkedAt) >= RECHECK_EVERY) {
        await keepWebhooks();
      }
      const recheck = async () => {
        const { json } = await send(r, 'lastmile', 'POST', `${API}/tasks/metadata`,
          { corr, body: [entry('shipment_id', shipment)] });
        return Array.isArray(json) && json.length ? { status: 200, json: json[0] } : null;
      };
      const { json } = await send(r, 'lastmile', 'POST', `${API}/tasks`, { corr, key, recheck,
        body: { destination: destinationOf(destination), recipients: [],
          metadata: [entry('order_id', order), entry('shipment_id', shipment)] } });
      return json?.id ?? null;
    },
    async changeDestination(task, address, key, corr) { // 404: deleted; 409: finished
      await send(r, 'lastmile', 'PUT', `${API}/tasks/${task}`,
        { corr, key, body: { destination: destinationOf(address) }, accept: [404, 409] });
    },
    async cancelTask(task, reason, key, corr) { // 404: deleted already; 409: finished
      await send(r, 'lastmile', 'DELETE', `${API}/tasks/${task}`, { corr, key, accept: [404, 409] });
    },
  };
}

module.exports = { lastmile };
