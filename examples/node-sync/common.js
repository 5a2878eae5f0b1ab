// What every module of the example shares: the two ways a piece of work ends early, the
// log line, and wall time turned into the run's simulated time.
'use strict';

class Parked extends Error {}       // retrying cannot fix this: keep it, move on
class Stopped extends Error {}      // the run this work belongs to was replaced

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (...args) => console.log(new Date().toISOString(), ...args);
// Wall milliseconds as simulated seconds: the run's timers are set in simulated time.
const simSeconds = (r, wallMs) => (wallMs * r.scale) / 1000;

module.exports = { Parked, Stopped, sleep, log, simSeconds };
