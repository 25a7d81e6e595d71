# Recursive-descent parser for the NATS configuration language, built on the Scanner.
#
# A document is a map body: `key [=|:] value` entries separated by newlines, `,` or `;`, optionally
# wrapped in one pair of top-level braces. Values are scalars, `{}` maps or `[]` arrays. Maps are built
# as ConfigMap, a dict that also remembers where each key was written (so that applying the config can
# report file:line:col) and which keys were referenced as `$variables` (nats-server does not report
# those as unknown fields). A map is attached to its parent only once it is complete, so a variable can
# only see keys that are fully defined earlier, as in nats-server.
#
# Variables resolve against the enclosing maps, innermost first, then fall back to the environment;
# an environment value is parsed as a config value in its own right, and a chain of environment
# variables that leads back to itself is an error. `include` parses another file (relative to the
# including one) with a fresh scope and merges its keys into the current map.
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

from pynatsd.config.lexer import ConfigError, Kind, Scanner, Token, located_error

_MAX_INCLUDE_DEPTH = 32


class Position(NamedTuple):
    filename: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.column}"


class ConfigMap(dict[str, Any]):
    """A parsed map that remembers where each key was written."""

    __slots__ = ("positions", "used")

    def __init__(self) -> None:
        super().__init__()
        self.positions: dict[str, Position] = {}
        self.used: set[str] = set()

    def set(self, key: str, value: Any, where: Position) -> None:
        self.pop(key, None)
        self[key] = value
        self.positions[key] = where


def to_plain(value: Any) -> Any:
    """Deep-copy parsed data into plain dicts and lists."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def _go_error_text(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


class _Parser:
    def __init__(
        self, text: str, filename: str, *, env_chain: tuple[str, ...] = (), includes: tuple[str, ...] = ()
    ) -> None:
        self.sc = Scanner(text, filename)
        self.filename = filename
        self.env_chain = env_chain
        self.includes = includes
        self.scopes: list[ConfigMap | list[Any]] = []

    def document(self) -> ConfigMap:
        root = ConfigMap()
        self.scopes.append(root)
        self.sc.skip_space()
        if self.sc.peek() == "{":
            self.sc.advance()
            self._map_body(root, closer="}", top=True)
            self.sc.skip_space()
            if not self.sc.at_eof():
                raise self.sc.error(
                    "Expected a top-level value to end with a new line, comment or EOF, "
                    f"but got '{self.sc.describe_here()}' instead."
                )
        else:
            self._map_body(root, closer="", top=True)
        return root

    # ---- structure ------------------------------------------------------------------------------

    def _map_body(self, target: ConfigMap, *, closer: str, top: bool) -> None:
        while True:
            self.sc.skip_space()
            ch = self.sc.peek()
            if ch == "":
                if closer:
                    raise self.sc.error("Unexpected EOF processing map.")
                return
            if ch == closer:
                self.sc.advance()
                return
            if ch in ",;":
                raise self.sc.error(f"Unexpected map value terminator '{ch}'.")
            if ch in "}]":
                raise self.sc.error(f"Unexpected '{ch}' (no matching opening bracket)")
            self._entry(target)
            self._end_of_map_value(closer, top)

    def _end_of_map_value(self, closer: str, top: bool) -> None:
        self.sc.skip_blanks()
        ch = self.sc.peek()
        if ch == "" or ch in "\r\n,;" or (closer and ch == closer):
            if ch in ",;":
                self.sc.advance()
            return
        if self.sc.at_comment():
            self.sc.skip_comment()
            return
        got = self.sc.describe_here()
        if top:
            raise self.sc.error(
                f"Expected a top-level value to end with a new line, comment or EOF, but got '{got}' instead."
            )
        raise self.sc.error(
            f'Expected a map value terminator "," or a map terminator "}}", but got \'{got}\' instead.'
        )

    def _array_body(self, target: list[Any]) -> None:
        while True:
            self.sc.skip_space()
            ch = self.sc.peek()
            if ch == "":
                raise self.sc.error("Unexpected EOF processing array.")
            if ch == "]":
                self.sc.advance()
                return
            if ch == ",":
                raise self.sc.error("Unexpected array value terminator ','.")
            target.append(self._value())
            self._end_of_array_value()

    def _end_of_array_value(self) -> None:
        self.sc.skip_blanks()
        ch = self.sc.peek()
        if ch == ",":
            self.sc.advance()
        elif self.sc.at_comment():
            self.sc.skip_comment()
        elif ch not in ("", "\r", "\n", "]"):
            raise self.sc.error(
                'Expected an array value terminator "," or an array terminator "]", '
                f"but got '{self.sc.describe_here()}' instead."
            )

    def _entry(self, target: ConfigMap) -> None:
        key = self.sc.read_key()
        separator = self._key_separator()
        if key.value.lower() == "include" and not separator and not key.quoted:
            self._include(target, key)
            return
        ch = self.sc.peek()
        if ch == "" or ch in "\r\n" or self.sc.at_comment():
            if separator:
                raise self.sc.error(f"Expected value but found {'EOF' if ch == '' else 'new line'}")
            raise located_error(
                self.filename,
                key.line,
                key.column,
                f"config is invalid: expected a value for key '{key.value}'",
            )
        value = self._value()
        target.set(key.value, value, Position(self.filename, key.line, key.column))

    def _key_separator(self) -> bool:
        self.sc.skip_blanks()
        if self.sc.peek() in ("=", ":"):
            self.sc.advance()
            self.sc.skip_blanks()
            return True
        return False

    def _value(self) -> Any:
        token = self.sc.read_value()
        if token.kind is Kind.MAP_START:
            child = ConfigMap()
            self.scopes.append(child)
            self._map_body(child, closer="}", top=False)
            self.scopes.pop()
            return child
        if token.kind is Kind.ARRAY_START:
            items: list[Any] = []
            self.scopes.append(items)
            self._array_body(items)
            self.scopes.pop()
            return items
        if token.kind is Kind.VARIABLE:
            return self._resolve(token)
        return token.value

    # ---- variables ------------------------------------------------------------------------------

    def _resolve(self, token: Token) -> Any:
        name: str = token.value
        for scope in reversed(self.scopes):
            if isinstance(scope, ConfigMap) and name in scope:
                scope.used.add(name)
                return scope[name]
        return self._from_environment(name, token)

    def _from_environment(self, name: str, token: Token) -> Any:
        if name in self.env_chain:
            raise located_error(
                self.filename, token.line, token.column, f"variable reference cycle for '{name}'"
            )
        raw = os.environ.get(name)
        if raw is None:
            reason = f"variable reference for '{name}' on line {token.line} can not be found"
            raise located_error(self.filename, token.line, token.column, reason)
        if not raw.strip():
            return ""
        sub = _Parser(f"pk={raw}", f"${name}", env_chain=(*self.env_chain, name), includes=self.includes)
        try:
            return sub.document().get("pk", "")
        except ConfigError as exc:
            reason = f"variable reference for '{name}' on line {token.line} could not be parsed: {exc.reason}"
            raise located_error(self.filename, token.line, token.column, reason) from None

    # ---- includes -------------------------------------------------------------------------------

    def _include(self, target: ConfigMap, keyword: Token) -> None:
        path_token = self.sc.read_include_path()
        rel: str = path_token.value
        base = os.path.dirname(self.filename) if not self.filename.startswith(("<", "$")) else ""
        full = os.path.join(base, rel)

        def fail(reason: str) -> ConfigError:
            message = f"error parsing include file '{rel}', {reason}"
            return located_error(self.filename, keyword.line, keyword.column, message)

        real = os.path.realpath(full)
        if real in self.includes or len(self.includes) >= _MAX_INCLUDE_DEPTH:
            raise fail("include cycle detected")
        try:
            text = _read_text(full)
        except OSError as exc:
            raise fail(f"open {full}: {_go_error_text(exc)}") from None
        sub = _Parser(text, full, env_chain=self.env_chain, includes=(*self.includes, real))
        try:
            included = sub.document()
        except ConfigError as exc:
            err = fail(exc.message)
            err.filename, err.line, err.column = exc.filename, exc.line, exc.column
            raise err from None
        for key, value in included.items():
            target.set(key, value, included.positions[key])
        target.used |= included.used


def parse_text(text: str, filename: str = "<string>") -> ConfigMap:
    """Parse configuration text into a ConfigMap (positions kept)."""
    root = _Parser(text, filename, includes=_own_path(filename)).document()
    return root


def parse_path(path: str) -> ConfigMap:
    """Read and parse a configuration file into a ConfigMap (positions kept)."""
    try:
        text = _read_text(path)
    except OSError as exc:
        raise ConfigError(f"open {path}: {_go_error_text(exc)}", filename=path) from None
    return parse_text(text, path)


def _own_path(filename: str) -> tuple[str, ...]:
    if filename.startswith("<") or not Path(filename).exists():
        return ()
    return (os.path.realpath(filename),)


def parse_config(text: str, *, filename: str = "<string>") -> dict[str, Any]:
    """Parse NATS configuration text into plain Python dicts, lists and scalars."""
    result: dict[str, Any] = to_plain(parse_text(text, filename))
    return result


def parse_config_file(path: str) -> dict[str, Any]:
    """Read and parse a NATS configuration file into plain Python data."""
    result: dict[str, Any] = to_plain(parse_path(path))
    return result
