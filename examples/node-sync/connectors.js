// One connector per system, in the dialect the run says it speaks
// (SEATRIAL_<SYSTEM>_DIALECT, `canonical` when absent): the calls the logic makes, in that
// dialect's shapes, and how that system's deliveries are signed and read.
'use strict';

const canonical = require('./canonical');
const sapS4 = require('./sap-s4');
const onfleet = require('./onfleet');

const SYSTEMS = ['erp', 'tms', 'lastmile'];
// system -> dialect -> its connector
const CONNECTORS = {
  erp: { canonical: canonical.erp, 'sap-s4': sapS4.erp },
  tms: { canonical: canonical.tms },
  lastmile: { canonical: canonical.lastmile, onfleet: onfleet.lastmile },
};

// Each system's dialect from the settings; an Error names one we do not speak.
function dialectsOf(settings) {
  const dialects = {};
  for (const system of SYSTEMS) {
    const name = `SEATRIAL_${system.toUpperCase()}_DIALECT`;
    const dialect = settings[name] || 'canonical';
    if (!CONNECTORS[system][dialect]) {
      throw new Error(`${name}=${dialect}: this example speaks ${system} in `
        + `${Object.keys(CONNECTORS[system]).join(', ')}`);
    }
    dialects[system] = dialect;
  }
  return dialects;
}

function connect(r) {
  return Object.fromEntries(SYSTEMS.map((s) => [s, CONNECTORS[s][r.dialects[s]](r)]));
}

module.exports = { SYSTEMS, dialectsOf, connect };
