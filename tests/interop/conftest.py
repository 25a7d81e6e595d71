# Fixtures of the reference tests: `js_servers`, a nats-server and a pynatsd with JetStream (both
# child processes on 127.0.0.1, see js_differential.py), shared by the tests of one module and
# stopped after it.
from __future__ import annotations

from collections.abc import Iterator

import pytest
from js_differential import Servers, start_servers


@pytest.fixture(scope="module")
def js_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    pair = start_servers(tmp_path_factory.mktemp("jsdiff"))
    try:
        yield pair
    finally:
        for proc in pair:
            proc.stop()
