"""Mock ERP, TMS and last-mile systems: pure domain cores plus SimPy lifecycle processes.

A core never knows which transport carries its requests or which faults are sabotaging them:
the same core serves the in-process face (virtual time) and the HTTP face (real time).
"""
