"""The canonical model shared by simulators, SDK and checks: event envelope and vocabularies."""
