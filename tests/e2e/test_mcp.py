"""callmine-query mcp on raw JSON-RPC lines: the protocol's error codes, the handshake and
per-request versions, tool failures as isError results, the bounds, and a hostile file.

The SDK client test (tests/mcp, run by test_mcp_sdk.py) covers the tools' happy paths and
their outputSchemas; here each line is written by hand so that every error path is reached.
"""
import ctypes
import json
import os
import shutil
import sqlite3
import subprocess
import time

import pytest

from conftest import QUERY, ingested_mirror
from test_hostile import EVIL_C

TOOLS = ["status", "describe_schema", "list_values", "find_calls", "get_call",
         "search_transcripts", "grep_transcripts", "run_analysis", "sql_query"]


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    return ingested_mirror(tmp_path_factory.mktemp("mcp"), calls=80, seed=9)


def serve(db, lines, *flags, timeout=60, env=None):
    """Feed lines (str or dict) to `mcp`; returns (exit status, responses by id, stderr)."""
    text = "".join((l if isinstance(l, str) else json.dumps(l)) + "\n" for l in lines)
    p = subprocess.run([QUERY, "--db", str(db), "mcp", *flags], input=text.encode(),
                       capture_output=True, timeout=timeout, env=env)
    out = [json.loads(l) for l in p.stdout.decode().splitlines()]
    for msg in out:
        assert msg["jsonrpc"] == "2.0" and ("result" in msg) != ("error" in msg), msg
    return p.returncode, out, p.stderr.decode()


def req(id, method, params=None):
    m = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        m["params"] = params
    return m


def call(id, name, args=None, **params):
    p = {"name": name, **params}
    if args is not None:
        p["arguments"] = args
    return req(id, "tools/call", p)


INIT = req(0, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                             "clientInfo": {"name": "raw", "version": "0"}})


def test_handshake_for_both_revisions_and_an_unknown_one(mirror):
    rc, out, err = serve(mirror, [
        INIT,
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        req(1, "initialize", {"protocolVersion": "2025-11-25"}),
        req(2, "initialize", {"protocolVersion": "2024-01-01"}),
        req(3, "ping"),
        req("s", "tools/list"),
    ])
    assert rc == 0, err
    by_id = {m["id"]: m for m in out}
    assert len(out) == 5  # the notification gets no answer
    assert by_id[0]["result"]["protocolVersion"] == "2025-06-18"
    assert by_id[1]["result"]["protocolVersion"] == "2025-11-25"
    assert by_id[2]["result"]["protocolVersion"] == "2025-11-25"
    assert by_id[0]["result"]["capabilities"] == {"tools": {"listChanged": False}}
    assert by_id[0]["result"]["serverInfo"]["name"] == "callmine"
    assert by_id[3]["result"] == {}
    tools = by_id["s"]["result"]["tools"]
    assert [t["name"] for t in tools] == TOOLS
    assert all(t["annotations"]["readOnlyHint"] is True for t in tools)
    assert "serving" in err and "stdin closed" in err


def test_stateless_revision_meta_and_discover(mirror):
    meta = {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                      "io.modelcontextprotocol/clientCapabilities": {}}}
    rc, out, _ = serve(mirror, [
        req(1, "server/discover", meta),
        req(2, "tools/call", {**meta, "name": "status", "arguments": {}}),
        req(3, "tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion": "2030-01-01"}}),
        req(4, "ping", {"_meta": {"io.modelcontextprotocol/protocolVersion": "2025-06-18"}}),
    ])
    by_id = {m["id"]: m for m in out}
    d = by_id[1]["result"]
    assert d["resultType"] == "complete"
    assert "2026-07-28" in d["supportedVersions"] and "2025-06-18" in d["supportedVersions"]
    assert d["capabilities"]["tools"] == {"listChanged": False}
    assert by_id[2]["result"]["resultType"] == "complete"
    assert by_id[2]["result"]["isError"] is False
    e = by_id[3]["error"]
    assert e["code"] == -32022
    assert e["data"]["requested"] == "2030-01-01" and "2026-07-28" in e["data"]["supported"]
    assert by_id[4]["result"] == {}


def test_bad_json_unknown_method_and_bad_envelopes_keep_the_server_serving(mirror):
    rc, out, _ = serve(mirror, [
        "{not json",
        '{"jsonrpc": "2.0", "id": 5, "method": "tools/list"',  # cut short
        "[1, 2]",
        req(1, "resources/list"),
        {"jsonrpc": "1.0", "id": 2, "method": "ping"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": [1]},
        {"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"},
        "",
        req(9, "ping"),
    ])
    assert rc == 0
    codes = [m.get("error", {}).get("code") for m in out]
    assert codes == [-32700, -32700, -32600, -32601, -32600, -32602, -32600, None]
    assert out[0]["id"] is None
    assert out[3]["id"] == 1 and "resources/list" in out[3]["error"]["message"]
    assert out[-1] == {"jsonrpc": "2.0", "id": 9, "result": {}}


@pytest.mark.parametrize("name,args,words", [
    ("no_such_tool", {}, "unknown tool"),
    ("find_calls", {"limit": "ten"}, "limit"),
    ("find_calls", {"limit": 10000}, "limit"),
    ("find_calls", {"bogus": 1}, "unknown argument 'bogus'"),
    ("find_calls", {"from": "last tuesday"}, "from"),
    ("find_calls", {"cursor": "-3"}, "cursor"),
    ("search_transcripts", {}, "'query' is required"),
    ("search_transcripts", {"query": "pricing AND"}, "bad query"),
    ("grep_transcripts", {"pattern": "a{2,1}"}, "grep"),
    ("get_call", {"call_id": "404"}, "no call '404'"),
    ("list_values", {"field": "color"}, "field"),
    ("run_analysis", {"name": "nope"}, "unknown analysis"),
    ("run_analysis", {"name": "talk-ratio", "by": "planet"}, "by"),
    ("sql_query", {"sql": "UPDATE calls SET title = 'x'"}, "not allowed"),
    ("sql_query", {"sql": "PRAGMA user_version = 7"}, "not allowed"),
    ("sql_query", {"sql": "SELECT 1; SELECT 2"}, "one statement"),
    ("sql_query", {"sql": "SELECT load_extension('/tmp/x.so')"}, "not allowed"),
    ("sql_query", {"sql": "SELEKT 1"}, "syntax error"),
])
def test_tool_failures_are_isError_results_saying_what_to_fix(mirror, name, args, words):
    rc, out, _ = serve(mirror, [INIT, call(1, name, args)])
    res = out[1]["result"]
    assert res["isError"] is True and "structuredContent" not in res
    assert words in res["content"][0]["text"], res


def test_results_are_structured_and_the_same_json_as_text(mirror):
    rc, out, _ = serve(mirror, [INIT] + [call(i + 1, n, a) for i, (n, a) in enumerate([
        ("status", {}), ("find_calls", {"limit": 2}), ("search_transcripts", {"query": "pricing"}),
        ("grep_transcripts", {"pattern": "pricing", "limit": 2}),
        ("run_analysis", {"name": "questions", "by": "all"}),
        ("sql_query", {"sql": "SELECT count(*) AS n FROM calls"}),
    ])])
    for m in out[1:]:
        r = m["result"]
        assert r["isError"] is False, r
        assert json.loads(r["content"][0]["text"]) == r["structuredContent"]


def test_bounds_rows_bytes_and_time(mirror):
    rc, out, err = serve(mirror, [
        INIT,
        call(1, "sql_query", {"sql": "SELECT c.id, t.body FROM calls c JOIN transcripts t "
                                     "ON t.call_id = c.id", "limit": 1000}),
        call(2, "sql_query", {"sql": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
                                     "FROM r) SELECT count(*) FROM r"}),
        call(3, "grep_transcripts", {"pattern": "e", "limit": 500}),
        call(4, "sql_query", {"sql": "SELECT 1 AS x", "limit": 1}),
    ], timeout=60)
    big = out[1]["result"]["structuredContent"]
    assert big["truncated"] is True and len(out[1]["result"]["content"][0]["text"]) < 300_000
    slow = out[2]["result"]
    assert slow["isError"] is True and "stopped after 5 s" in slow["content"][0]["text"]
    g = out[3]["result"]["structuredContent"]
    assert g["truncated"] is True and 0 < len(g["hits"]) <= 500
    assert out[4]["result"]["structuredContent"]["rows"] == [[1]]


def test_no_sql_and_redact(mirror):
    rc, out, _ = serve(mirror, [INIT, req(1, "tools/list"), call(2, "sql_query", {"sql": "SELECT 1"})],
                       "--no-sql")
    assert "sql_query" not in [t["name"] for t in out[1]["result"]["tools"]]
    assert out[2]["result"]["isError"] is True
    rc, out, _ = serve(mirror, [INIT, call(1, "sql_query", {
        "sql": "SELECT p.email, p.call_id, p.phone_number FROM parties p "
               "WHERE p.email IS NOT NULL", "limit": 20}),
        call(2, "get_call", {"call_id": "x"})], "--redact")
    rows = out[1]["result"]["structuredContent"]["rows"]
    assert rows and all(r[0] == "[email]" and r[1].isdigit() for r in rows)
    assert "@" not in out[1]["result"]["content"][0]["text"]


def test_ends_when_stdin_closes(mirror):
    p = subprocess.Popen([QUERY, "--db", str(mirror), "mcp"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write((json.dumps(req(1, "ping")) + "\n").encode())
    p.stdin.flush()
    assert json.loads(p.stdout.readline())["result"] == {}
    p.stdin.close()
    assert p.wait(10) == 0


def test_a_missing_file_is_one_line_before_serving(tmp_path):
    p = subprocess.run([QUERY, "--db", str(tmp_path / "none.db"), "mcp"], input=b"",
                       capture_output=True, timeout=10)
    assert p.returncode == 1 and p.stdout == b""
    assert len(p.stderr.decode().splitlines()) == 1


@pytest.fixture(scope="module")
def evil(tmp_path_factory):
    d = tmp_path_factory.mktemp("evil")
    src, so = d / "evil.c", d / "evil.so"
    src.write_text(EVIL_C)
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if not cc or subprocess.run([cc, "-shared", "-fPIC", "-o", str(so), str(src)]).returncode:
        pytest.skip("no C compiler for the marker extension")
    marker = d / "marker"
    os.environ["EVIL_MARKER"] = str(marker)  # the control: loading it leaves the marker
    try:
        ctypes.CDLL(str(so))
    finally:
        del os.environ["EVIL_MARKER"]
    assert marker.exists()
    marker.unlink()
    return so, marker


def test_hostile_file_is_served_without_loading_or_running_anything(mirror, tmp_path, evil):
    so, marker = evil
    db = tmp_path / "hostile.db"
    shutil.copy(mirror, db)
    con = sqlite3.connect(db)
    con.executescript(f"""
        DROP VIEW call_facts;
        CREATE VIEW call_facts AS SELECT c.id AS call_id, c.title, c.started, c.url,
            load_extension('{so}') AS rep_name, NULL AS stage, NULL AS amount,
            NULL AS outcome, NULL AS company_name, NULL AS owner, NULL AS owner_name,
            NULL AS stage_at_call, NULL AS amount_at_call FROM calls c;
        CREATE VIEW v_load AS SELECT load_extension('{so}') AS x;
        CREATE VIEW v_endless AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1
            FROM r) SELECT n FROM r;
        CREATE TRIGGER t_users AFTER INSERT ON users BEGIN SELECT load_extension('{so}'); END;
        CREATE TRIGGER t_calls BEFORE DELETE ON calls BEGIN SELECT load_extension('{so}'); END;
    """)
    con.close()
    env = {**os.environ, "EVIL_MARKER": str(marker)}
    lines = [INIT, req(1, "tools/list")] + [call(10 + i, n, a) for i, (n, a) in enumerate([
        ("status", {}), ("describe_schema", {}), ("list_values", {"field": "rep"}),
        ("find_calls", {}), ("search_transcripts", {"query": "pricing"}),
        ("grep_transcripts", {"pattern": "pricing", "limit": 3}),
        ("run_analysis", {"name": "talk-ratio"}),
        ("sql_query", {"sql": "SELECT * FROM v_load"}),
        ("sql_query", {"sql": "SELECT count(*) FROM v_endless"}),
        ("sql_query", {"sql": f"SELECT load_extension('{so}')"}),
    ])]
    t0 = time.monotonic()
    rc, out, err = serve(db, lines, env=env, timeout=90)
    assert rc == 0, err
    assert len(out) == len(lines)
    assert not marker.exists(), "a hostile file loaded code"
    by_id = {m["id"]: m["result"] for m in out}
    for i in (12, 13):  # list_values, find_calls read call_facts: the program's own view
        assert by_id[i]["isError"] is False, by_id[i]  # (a TEMP view), never the file's
    assert by_id[12]["structuredContent"]["values"], by_id[12]
    assert by_id[13]["structuredContent"]["total"] > 0, by_id[13]
    assert by_id[17]["isError"] is True and by_id[19]["isError"] is True
    assert by_id[18]["isError"] is True and "stopped after 5 s" in by_id[18]["content"][0]["text"]
    assert by_id[14]["isError"] is False  # search does not read call_facts
    assert time.monotonic() - t0 < 60
