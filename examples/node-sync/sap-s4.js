// The ERP as SAP S/4HANA's OData V2 API_SALES_ORDER_SRV (docs/dialects.md#sap-s4), the way
// sync_implementations/connectors/erp_sap_s4.py speaks it:
// - a CSRF token bound to the session cookie, fetched with a HEAD of the service root and
//   `X-CSRF-Token: Fetch`; a write refused 403 `x-csrf-token: Required` fetches a new one;
// - the logistics status is a PATCH of the order's YY1_*_SDH fields with If-Match the ETag of
//   the last read; 412 (changed meanwhile) or 428 reads the order again and writes again;
// - business events are thin CloudEvents (the order's key only): the order is read back, and
//   one not readable yet (404) is read again every simulated minute for up to an hour;
// - no write is deduped by Idempotency-Key, so one whose answer was lost is looked up first:
//   a freight posting by its statement id, billing by the order's billing status, a status
//   by the fields it set.
'use strict';

const { send, wallMs } = require('./client');
const { standardWebhook } = require('./canonical');
const { Parked, log, sleep } = require('./common');

const SERVICE = '/sap/opu/odata/sap/API_SALES_ORDER_SRV';
const TOKEN = 'x-csrf-token';
const PREFIX = 'sap.s4.beh.salesorder.v1.SalesOrder.';
const TYPES = { Created: 'order.released', Changed: 'order.changed' };
const READ_AGAIN = 60;          // sim s between reads of an order a thin event announced
const READABLE_WITHIN = 3600;   // sim s, then the event is parked
// Token refetches and ETag re-reads for one write: other users may keep changing a busy
// order (sap-etag-conflicts), as the Python connector found.
const WRITE_ATTEMPTS = 20;
const FIELDS = { status: 'YY1_LogisticsStatus_SDH', classifier: 'YY1_LogisticsStatusClass_SDH',
  shipment_id: 'YY1_ShipmentID_SDH', eta: 'YY1_ETA_SDH',
  event_time: 'YY1_LogisticsEventTime_SDH' };
// The fields a status write settles: what a lookup after a lost answer compares.
const SETTLED = [FIELDS.status, FIELDS.classifier, FIELDS.shipment_id];

const literal = (text) => String(text).replace(/'/g, "''");
const orderPath = (order) => `${SERVICE}/A_SalesOrder('${literal(order)}')`;

// A SAP business event (CloudEvents 1.0, structured) as the envelope the logic reads: the
// CloudEvent id, its correlationid, the order's key and no payload (thin).
function cloudEvent(body) {
  let data;
  try { data = JSON.parse(body.toString('utf8')); } catch { data = null; }
  if (!data || typeof data !== 'object') throw new Error('not a CloudEvent (a JSON object)');
  const { type, id, time } = data;
  if (typeof type !== 'string' || !type.startsWith(PREFIX)) {
    throw new Error(`type must be a sales order event, ${PREFIX}<Word>.v1`);
  }
  const order = data.data?.SalesOrder;
  if (typeof id !== 'string' || !id || typeof order !== 'string' || !order) {
    throw new Error('id and data.SalesOrder are required');
  }
  if (typeof time !== 'string' || Number.isNaN(Date.parse(time))) {
    throw new Error('time is required, an RFC 3339 timestamp');
  }
  const word = type.slice(PREFIX.length).replace(/\.v1$/, '');
  return { event_id: id, type: TYPES[word] ?? `order.${word.toLowerCase()}`, source: 'erp',
    event_time: time, recorded_time: time, classifier: 'ACT',
    correlation_id: typeof data.correlationid === 'string' ? data.correlationid : '',
    order_id: order, payload: {} };
}

// The ship-to partner's (WE) address in the canonical shape.
function shipTo(partners) {
  const partner = partners.find((p) => p.PartnerFunction === 'WE');
  if (!partner) throw new Parked('the sales order has no ship-to partner (WE)');
  const address = { street: partner.StreetName, city: partner.CityName,
    postcode: partner.PostalCode };
  if (partner.Country) address.country = partner.Country;
  return address;
}

function lines(items) {
  return items.map((item) => {
    const quantity = Number(item.RequestedQuantity);
    const unit = quantity ? Number(item.NetAmount) / quantity : 0;
    return { line: Math.floor(Number(item.SalesOrderItem) / 10), sku: item.Material,
      quantity: Math.trunc(quantity), unit_price: Math.round(unit * 100) / 100 };
  });
}

function erp(r) {
  const secret = r.settings.SEATRIAL_ERP_WEBHOOK_SECRET;
  const session = { token: null, cookies: new Map(), fetching: null };
  const etags = new Map(); // order -> the ETag of its last read or write

  function headers(etag) {
    const sent = { [TOKEN]: session.token ?? 'Fetch' };
    if (session.cookies.size) {
      sent.cookie = [...session.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    if (etag) sent['if-match'] = etag;
    return sent;
  }

  // The session an answer hands out: its cookies, and its token unless it asks for one.
  function keep(answer) {
    for (const line of answer.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      if (at > 0) session.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    const token = answer.headers.get(TOKEN);
    if (token && token.toLowerCase() !== 'required') session.token = token;
  }

  // A new token (and session, if ours has ended): one HEAD in flight for every worker.
  function fetchToken(corr) {
    session.fetching ??= (async () => {
      session.token = null;
      keep(await send(r, 'erp', 'HEAD', SERVICE, { corr, headers: headers() }));
      log('sap-s4: fetched a CSRF token');
    })().finally(() => { session.fetching = null; });
    return session.fetching;
  }

  // The sales order with its items and partners, its ETag kept for the next write.
  async function read(order, corr) {
    for (let waited = 0; ; waited += READ_AGAIN) {
      const answer = await send(r, 'erp', 'GET', orderPath(order), {
        corr, params: { $expand: 'to_Item,to_Partner' }, headers: headers(), accept: [404] });
      if (answer.status !== 404) {
        keep(answer);
        const record = answer.json.d;
        etags.set(order, answer.headers.get('etag') ?? record.__metadata?.etag);
        return record;
      }
      log(`sap-s4: ${order} not readable yet (404); reading it again`);
      if (waited >= READABLE_WITHIN) {
        throw new Parked(`sales order ${order} not readable for ${waited} simulated s`);
      }
      await sleep(wallMs(r, READ_AGAIN));
    }
  }

  // One write with the session's token (and, for a PATCH, the order's ETag): a refused
  // token is fetched anew, a stale ETag read anew, and the write sent again.
  async function write(method, path, order, corr, { body, params, key, recheck }) {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt += 1) {
      if (!session.token) await fetchToken(corr);
      let etag = null;
      if (method === 'PATCH') {
        if (!etags.get(order)) await read(order, corr);
        etag = etags.get(order);
      }
      const sentToken = session.token;
      const answer = await send(r, 'erp', method, path, {
        corr, key, body, params, headers: headers(etag), accept: [403, 412, 428], recheck });
      const { status } = answer;
      if (status === 403 && (answer.headers.get(TOKEN) ?? '').toLowerCase() === 'required') {
        if (session.token === sentToken) session.token = null; // not renewed meanwhile
      } else if (status === 412 || status === 428) {
        log(`sap-s4: ${order} answered ${status} to its ETag; reading it again`);
        etags.delete(order);
      } else if (status < 300) {
        const etag = answer.headers.get('etag');
        if (etag) etags.set(order, etag);
        return answer;
      } else {
        throw new Parked(`${method} ${path} answered ${status}`);
      }
    }
    throw new Parked(`${method} ${path}: CSRF token or ETag refused ${WRITE_ATTEMPTS} times`);
  }

  return {
    undated: false,
    // SAP Event Mesh signs nothing; Seatrial signs the CloudEvent the Standard Webhooks way.
    authentic: (hdrs, body) => standardWebhook(secret, hdrs, body),
    read: cloudEvent,
    thin: true,
    async readOrder(order, corr) {
      const record = await read(order, corr);
      return { cancelled: record.OverallSDDocumentRejectionSts === 'C',
        ship_to: shipTo(record.to_Partner.results), lines: lines(record.to_Item.results) };
    },
    async writeStatus(order, fields, key, corr) {
      const body = {};
      for (const [name, value] of Object.entries(fields)) {
        if (FIELDS[name] && value != null) body[FIELDS[name]] = value;
      }
      const wanted = { [FIELDS.classifier]: 'ACT', ...body };
      const recheck = async () => { // written already (its new ETag kept by the read)?
        const record = await read(order, corr);
        const done = SETTLED.every((name) => !(name in wanted) || record[name] === wanted[name]);
        return done ? { status: 204, headers: new Headers(), json: null } : null;
      };
      await write('PATCH', orderPath(order), order, corr, { body, key, recheck });
    },
    async postCharges(order, statement, key, corr) {
      const path = `${orderPath(order)}/to_PricingElement`;
      const body = { ConditionType: 'ZFRT', ConditionAmount: Number(statement.total).toFixed(2),
        YY1_FreightStatement_PEL: statement.statement_id };
      if (statement.shipment_id) body.YY1_ShipmentID_PEL = statement.shipment_id;
      const recheck = async () => {
        const { json } = await send(r, 'erp', 'GET', path, { corr, headers: headers(),
          params: { $filter: `YY1_FreightStatement_PEL eq '${literal(statement.statement_id)}'` } });
        const found = json?.d?.results ?? [];
        return found.length ? { status: 201, headers: new Headers(), json: { d: found[0] } } : null;
      };
      await write('POST', path, order, corr, { body, key, recheck });
    },
    async releaseInvoice(order, proof, key, corr) {
      const recheck = async () => {
        const record = await read(order, corr);
        return record.OverallOrdReltdBillgStatus === 'C'
          ? { status: 200, headers: new Headers(), json: { d: record } } : null;
      };
      await write('POST', `${SERVICE}/CreateBillingDocument`, order, corr,
        { params: { SalesOrder: `'${literal(order)}'` }, key, recheck });
    },
  };
}

module.exports = { erp };
