"""Transport faces: how a sync implementation's calls reach the simulators' routers."""
