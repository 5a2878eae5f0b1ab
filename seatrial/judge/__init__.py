"""The judge: what a run is judged on and the verdict, whichever face played it.

It reads only what a run leaves behind: the scenario, the ledger, the three simulators' records
and the end time (an `observation.Observation`, built by whoever played the run), and imports
neither the world nor the live stack.

- `observation`: the read-model the checks share (record indexes, evidence chains);
- `invariants/`: one module per invariant;
- `flows`, `kpis`, `timeline`: business-flow latencies, the KPIs, what the HTML report charts;
- `result`: `RunResult` and `slim`; `verdict`: the one verdict over an observation.
"""
