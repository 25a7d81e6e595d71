# The configuration language: syntax, value kinds and units, variables, includes and error reports.
# Expected values and error wording were checked against nats-server v2.15.1 (`nats-server -t -c`).
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pynatsd.config import ConfigError, parse_config, parse_config_file

TYPICAL = """
# A typical server configuration, in the style of the nats-server documentation.
listen: 127.0.0.1:4222
server_name: "n1"
http: 8222

authorization {
  timeout: 2
  users: [
    {user: alice, password: s3cr3t, permissions: {publish: "orders.>", subscribe: ["_INBOX.>"]}}
    {user: bob, password: "$2a$11$W2zko751KUvVy59mUTWmpOdWXm4XiEf1h2yhA2pwB2y6SvA4Ntd0i"}
  ]
}

cluster {
  name: demo
  listen: 0.0.0.0:6222
  routes = [
    nats-route://127.0.0.1:6223
    nats-route://127.0.0.1:6224
  ]
}

jetstream {
  store_dir: "/var/lib/nats"
  max_memory_store: 1G
  max_file_store: 10GB
}
"""


def test_typical_server_config() -> None:
    conf = parse_config(TYPICAL)
    assert conf["listen"] == "127.0.0.1:4222"
    assert conf["server_name"] == "n1"
    assert conf["http"] == 8222
    users = conf["authorization"]["users"]
    assert users[0] == {
        "user": "alice",
        "password": "s3cr3t",
        "permissions": {"publish": "orders.>", "subscribe": ["_INBOX.>"]},
    }
    assert users[1]["password"].startswith("$2a$11$")
    assert conf["cluster"]["routes"] == ["nats-route://127.0.0.1:6223", "nats-route://127.0.0.1:6224"]
    assert conf["jetstream"] == {
        "store_dir": "/var/lib/nats",
        "max_memory_store": 1_000_000_000,
        "max_file_store": 10 * 1024**3,
    }


def test_result_is_plain_dicts_and_lists() -> None:
    conf = parse_config("a { b: [ {c: 1} ] }")
    assert type(conf) is dict
    assert type(conf["a"]) is dict
    assert type(conf["a"]["b"][0]) is dict


@pytest.mark.parametrize("text", ["port = 4222", "port: 4222", "port 4222", "port    :    4222", "port=4222"])
def test_key_separators(text: str) -> None:
    assert parse_config(text) == {"port": 4222}


def test_optional_top_level_braces_and_json() -> None:
    assert parse_config("{\n port: 1\n}\n") == {"port": 1}
    json_text = '{"port": 4222, "cluster": {"routes": ["nats://a:1", "nats://b:2"]}, "debug": true}'
    assert parse_config(json_text) == {
        "port": 4222,
        "cluster": {"routes": ["nats://a:1", "nats://b:2"]},
        "debug": True,
    }


def test_maps_need_no_separator_and_entries_split_by_newline_comma_semicolon() -> None:
    conf = parse_config("c {\n a: 1; b: 2, c: 3\n d: 4\n}\ne: {}\nf {}")
    assert conf == {"c": {"a": 1, "b": 2, "c": 3, "d": 4}, "e": {}, "f": {}}


def test_top_level_entries_split_by_comma_or_semicolon() -> None:
    assert parse_config("a: 1, b: 2; c: 3") == {"a": 1, "b": 2, "c": 3}


def test_arrays() -> None:
    conf = parse_config(
        "a: [1, 2, 3]\nb: [\n  x\n  y,\n  z\n]\nc: []\nd: [1,]\ne: [[x], [y]]\nf: [{g: 1}, {h: 2}]"
    )
    assert conf == {
        "a": [1, 2, 3],
        "b": ["x", "y", "z"],
        "c": [],
        "d": [1],
        "e": [["x"], ["y"]],
        "f": [{"g": 1}, {"h": 2}],
    }


def test_comments_of_both_kinds() -> None:
    text = """
    # hash comment
    // slash comment
    port: 4222 # trailing hash
    debug: true // trailing slashes
    a: [
      1 # in an array
      2 // also
    ]
    b {
      # in a map
      c: 1 // after a value
    }
    url: "nats://x:1 # not a comment"
    """
    assert parse_config(text) == {
        "port": 4222,
        "debug": True,
        "a": [1, 2],
        "b": {"c": 1},
        "url": "nats://x:1 # not a comment",
    }


def test_quoted_keys_keep_case_and_spaces() -> None:
    assert parse_config("\"a b\": 1\n'C': 2\nMixedCase: 3") == {"a b": 1, "C": 2, "MixedCase": 3}


def test_later_value_for_same_key_wins() -> None:
    assert parse_config("port: 1\nport: 2") == {"port": 2}


# ---- value kinds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("-5", -5),
        ("1k", 1000),
        ("1K", 1000),
        ("1kb", 1024),
        ("1ki", 1024),
        ("1KiB", 1024),
        ("1m", 1_000_000),
        ("1MB", 1_048_576),
        ("1mib", 1_048_576),
        ("2g", 2_000_000_000),
        ("1gb", 1024**3),
        ("1t", 10**12),
        ("1tb", 1024**4),
        ("1p", 10**15),
        ("1e", 10**18),
        ("-1k", -1000),
    ],
)
def test_integers_and_size_suffixes(text: str, expected: int) -> None:
    assert parse_config(f"v: {text}") == {"v": expected}


def test_unquoted_2m_is_two_million_not_two_minutes() -> None:
    assert parse_config("ping_interval: 2m") == {"ping_interval": 2_000_000}
    assert parse_config('ping_interval: "2m"') == {"ping_interval": "2m"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10s", "10s"),
        ("500ms", "500ms"),
        ("1h30m", "1h30m"),
        ("127.0.0.1:4222", "127.0.0.1:4222"),
        ("1.2.3", "1.2.3"),
        ("12:30", "12:30"),
        ("1e5", "1e5"),
        ("1k2", "1k2"),
        ("0x10", "0x10"),
        ("1kbx", "1kbx"),
    ],
)
def test_words_starting_with_a_digit_that_are_not_numbers_are_strings(text: str, expected: str) -> None:
    assert parse_config(f"v: {text}") == {"v": expected}


def test_floats_and_datetimes() -> None:
    conf = parse_config("a: 1.5\nb: -0.25\nc: 2006-01-02T15:04:05Z")
    assert conf["a"] == 1.5
    assert conf["b"] == -0.25
    assert conf["c"] == dt.datetime(2006, 1, 2, 15, 4, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("yes", True),
        ("On", True),
        ("false", False),
        ("No", False),
        ("OFF", False),
    ],
)
def test_booleans_any_case(text: str, expected: bool) -> None:
    assert parse_config(f"v: {text}") == {"v": expected}


def test_quoted_booleans_and_numbers_stay_strings() -> None:
    assert parse_config("a: \"true\"\nb: '42'") == {"a": "true", "b": "42"}


def test_string_kinds() -> None:
    text = r"""
    dq: "tab\there \"quoted\" back\\slash \x41\x42 \xC3\xA9"
    sq: 'raw \t $VAR "x"'
    bare: nats://user:pass@host:4222/path
    esc: a\tb
    """
    assert parse_config(text) == {
        "dq": 'tab\there "quoted" back\\slash AB é',
        "sq": 'raw \\t $VAR "x"',
        "bare": "nats://user:pass@host:4222/path",
        "esc": "a\tb",
    }


def test_unquoted_string_ends_at_terminators() -> None:
    conf = parse_config("a: [x,y]\nb {c: d}\ne: f; g: h")
    assert conf == {"a": ["x", "y"], "b": {"c": "d"}, "e": "f", "g": "h"}


def test_multi_line_raw_block() -> None:
    text = "jwt: (\neyJhbGciOi.payload\n  .sig)not-the-end\n)\nport: 1\n"
    assert parse_config(text) == {"jwt": "\neyJhbGciOi.payload\n  .sig)not-the-end\n", "port": 1}


# ---- variables --------------------------------------------------------------------------------------


def test_variables_from_current_and_enclosing_blocks() -> None:
    text = """
    PERMS = { publish: "a.>", subscribe: ">" }
    port_base: 4222
    authorization {
      pass: hunter2
      users: [ {user: a, password: $pass, permissions: $PERMS} ]
    }
    port: $port_base
    """
    conf = parse_config(text)
    assert conf["authorization"]["users"][0] == {
        "user": "a",
        "password": "hunter2",
        "permissions": {"publish": "a.>", "subscribe": ">"},
    }
    assert conf["port"] == 4222


def test_variables_are_not_expanded_in_quotes_or_mid_word() -> None:
    conf = parse_config("x: 1\na: \"$x\"\nb: '$x'\nc: abc$x")
    assert conf == {"x": 1, "a": "$x", "b": "$x", "c": "abc$x"}


def test_bcrypt_values_are_literal_strings() -> None:
    bcrypt = "$2a$11$W2zko751KUvVy59mUTWmpOdWXm4XiEf1h2yhA2pwB2y6SvA4Ntd0i"
    assert parse_config(f"password: {bcrypt}") == {"password": bcrypt}


def test_variable_must_be_defined_before_use() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("port: $x\nx: 5", filename="v.conf")
    assert str(err.value) == "v.conf:1:7: variable reference for 'x' on line 1 can not be found"
    with pytest.raises(ConfigError, match="variable reference for 'x'"):
        parse_config("c { x: 5 }\nport: $x")


def test_environment_fallback_is_parsed_as_a_config_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATS_TEST_PORT", "4333")
    monkeypatch.setenv("NATS_TEST_SIZE", "1MB")
    monkeypatch.setenv("NATS_TEST_URL", "nats://h:1")
    monkeypatch.setenv("NATS_TEST_MAP", "{a: 1, b: [x]}")
    conf = parse_config("p: $NATS_TEST_PORT\ns: $NATS_TEST_SIZE\nu: $NATS_TEST_URL\nm: $NATS_TEST_MAP")
    assert conf == {"p": 4333, "s": 1_048_576, "u": "nats://h:1", "m": {"a": 1, "b": ["x"]}}


def test_file_keys_shadow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATS_TEST_X", "from-env")
    assert parse_config("NATS_TEST_X: from-file\nv: $NATS_TEST_X")["v"] == "from-file"


def test_environment_variable_cycle_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATS_TEST_A", "$NATS_TEST_B")
    monkeypatch.setenv("NATS_TEST_B", "$NATS_TEST_A")
    with pytest.raises(ConfigError) as err:
        parse_config("port: $NATS_TEST_A", filename="c.conf")
    assert str(err.value).startswith(
        "c.conf:1:7: variable reference for 'NATS_TEST_A' on line 1 could not be"
    )
    assert "variable reference cycle for 'NATS_TEST_A'" in str(err.value)


def test_self_reference_is_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("a", raising=False)
    with pytest.raises(ConfigError, match="variable reference for 'a' on line 1 can not be found"):
        parse_config("a: $a")


# ---- includes ---------------------------------------------------------------------------------------


def test_include_forms_relative_to_including_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "auth.conf").write_text("user: a\npassword: b\n")
    (tmp_path / "sub" / "limits.conf").write_text("max_payload: 1MB\ninclude 'more.conf'\n")
    (tmp_path / "sub" / "more.conf").write_text("max_pending: 2MB\n")
    (tmp_path / "main.conf").write_text(
        'port: 1\nauthorization {\n  include "sub/auth.conf"\n}\ninclude sub/limits.conf\ndebug: $max_payload\n'
    )
    conf = parse_config_file(str(tmp_path / "main.conf"))
    assert conf == {
        "port": 1,
        "authorization": {"user": "a", "password": "b"},
        "max_payload": 1_048_576,
        "max_pending": 2 * 1_048_576,
        "debug": 1_048_576,
    }


def test_included_file_does_not_see_including_files_variables(tmp_path: Path) -> None:
    (tmp_path / "v.conf").write_text("port: $x\n")
    (tmp_path / "main.conf").write_text('x: 5\ninclude "v.conf"\n')
    with pytest.raises(ConfigError, match=r"error parsing include file 'v\.conf'.*'x' on line 1 can not be"):
        parse_config_file(str(tmp_path / "main.conf"))


def test_missing_include_names_the_include_line(tmp_path: Path) -> None:
    main = tmp_path / "main.conf"
    main.write_text('port: 1\ninclude "nope.conf"\n')
    with pytest.raises(ConfigError) as err:
        parse_config_file(str(main))
    expected = f"{main}:2:1: error parsing include file 'nope.conf', open {tmp_path}/nope.conf: no such file"
    assert str(err.value).startswith(expected)


def test_parse_error_inside_include_names_both_files(tmp_path: Path) -> None:
    (tmp_path / "bad.conf").write_text("port: {\n")
    main = tmp_path / "main.conf"
    main.write_text('include "bad.conf"\n')
    with pytest.raises(ConfigError) as err:
        parse_config_file(str(main))
    message = str(err.value)
    assert message.startswith(f"{main}:1:1: error parsing include file 'bad.conf', {tmp_path}/bad.conf:2:1:")
    assert "Parse error on line 2: 'Unexpected EOF processing map.'" in message
    assert (err.value.filename, err.value.line) == (f"{tmp_path}/bad.conf", 2)


def test_include_cycle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.conf").write_text('include "b.conf"\n')
    (tmp_path / "b.conf").write_text('include "a.conf"\n')
    with pytest.raises(ConfigError, match="include cycle"):
        parse_config_file(str(tmp_path / "a.conf"))


def test_include_as_a_plain_key_when_followed_by_a_separator() -> None:
    assert parse_config("include: 5") == {"include": 5}


def test_missing_config_file() -> None:
    with pytest.raises(ConfigError, match=r"^open /nonexistent/x\.conf: no such file or directory$"):
        parse_config_file("/nonexistent/x.conf")


# ---- broken files -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        ("port: 1\ncluster {\n  name: x\n", "4:1", "Unexpected EOF processing map."),
        ('port: 1\nname: "abc\n', "2:7", "Unexpected EOF."),
        ("a: 'abc", "1:4", "Unexpected EOF."),
        ("a: [1, 2", "1:9", "Unexpected EOF processing array."),
        ("a: (\nabc\n", "1:4", "Unexpected EOF processing block."),
        (
            "port = = 5",
            "1:10",
            "Expected a top-level value to end with a new line, comment or EOF, but got '5' instead.",
        ),
        (
            "a: 1 b: 2",
            "1:6",
            "Expected a top-level value to end with a new line, comment or EOF, but got 'b' instead.",
        ),
        (
            "a: 1.5s",
            "1:7",
            "Expected a top-level value to end with a new line, comment or EOF, but got 's' instead.",
        ),
        (
            "c { b: 1.5s }",
            "1:11",
            'Expected a map value terminator "," or a map terminator "}", but got \'s\' instead.',
        ),
        (
            "a: [1 2]",
            "1:7",
            'Expected an array value terminator "," or an array terminator "]", but got \'2\' instead.',
        ),
        ("a: [1,,2]", "1:7", "Unexpected array value terminator ','."),
        ("port:\n", "1:6", "Expected value but found new line"),
        ("= 5", "1:1", "Unexpected key separator '='"),
        ("a: .5", "1:4", "Floats must start with a digit"),
        ("a: 1.x", "1:6", "Floats must have a digit after the '.', but got 'x' instead."),
        ("a: 2024-01-01", "1:4", "All ISO8601 dates must be in full Zulu form."),
        ("a: -x", "1:4", "Expected a digit but got 'x'."),
        (
            'a: "a\\qb"',
            "1:6",
            "Invalid escape character 'q'. Only the following escape characters are allowed:",
        ),
        ('a: "\\x4g"', "1:5", "Expected two hexadecimal digits after '\\x', but got '4g'"),
        ("include\n", "1:8", "Expected include value but found new line"),
        ("include [x]", "1:9", "Expected include value but found start of an array"),
        ("a: 99999999999999999999", "1:4", "Integer '99999999999999999999' is out of the range."),
        ("}}}{{{", "1:1", "Unexpected '}'"),
    ],
)
def test_broken_files_report_file_line_col_and_parse_error(text: str, where: str, reason: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, filename="bad.conf")
    line = where.split(":")[0]
    assert str(err.value).startswith(f"bad.conf:{where}: Parse error on line {line}: '{reason}")
    assert err.value.filename == "bad.conf"
    assert f"{err.value.line}:{err.value.column}" == where


def test_key_without_value_is_invalid() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("port: 1\ngarbage\n", filename="g.conf")
    assert str(err.value) == "g.conf:2:1: config is invalid: expected a value for key 'garbage'"


def test_error_in_real_file_names_its_path(tmp_path: Path) -> None:
    path = tmp_path / "broken.conf"
    path.write_text("port: 4222\ncluster {\n  name: x\n")
    with pytest.raises(
        ConfigError, match=rf"^{path}:4:1: Parse error on line 4: 'Unexpected EOF processing map.'$"
    ):
        parse_config_file(str(path))


def test_empty_and_comment_only_text() -> None:
    assert parse_config("") == {}
    assert parse_config("# nothing\n// here\n") == {}
