# pynatsd: a NATS server written in Python.
from pynatsd._version import NATS_SERVER_VERSION, __version__
from pynatsd.core.server import Server, ServerError
from pynatsd.options import Options

__all__ = ["NATS_SERVER_VERSION", "Options", "Server", "ServerError", "__version__"]
