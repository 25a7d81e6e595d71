# The NATS configuration-file language and its mapping onto Options.
#
# parser/lexer turn the text into plain data (maps, arrays, scalars), resolving variables and
# includes; apply maps that data onto Options using nats-server's key names and checks.
from __future__ import annotations

from pynatsd.config.apply import apply_config, load_options, parse_duration
from pynatsd.config.lexer import ConfigError
from pynatsd.config.parser import parse_config, parse_config_file

__all__ = [
    "ConfigError",
    "apply_config",
    "load_options",
    "parse_config",
    "parse_config_file",
    "parse_duration",
]
