# pynatsd bench: throughput, latency and memory benchmarks against any NATS server over raw sockets.
#
# `cli.main` is the command line; `scenarios.run` runs one scenario and returns its result dict;
# `compare` runs the scenario set against pynatsd and nats-server side by side.
from __future__ import annotations

__all__: list[str] = []
