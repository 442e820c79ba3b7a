"""Tests of the fake Gong server itself (tools/fakegong.py) and its data (tools/gongdata.py).

Each module-scoped fixture starts one server on 127.0.0.1:0 and reads its URL line; the
tests talk to it with urllib / http.client only and compare what it serves with what
gongdata.Dataset says it should serve.
"""
import base64
import http.client
import json
import pathlib
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import gongdata  # noqa: E402

PY = "/usr/bin/python3" if pathlib.Path("/usr/bin/python3").exists() else sys.executable
BASIC = "Basic " + base64.b64encode(b"demo-key:demo-secret").decode()
ALL_CALLS = {"fromDateTime": "2023-12-01T00:00:00Z", "toDateTime": "2024-06-01T00:00:00Z"}
NO_CALLS = "No calls found corresponding to the provided filters"


class Server:
    """A running fakegong.py; call() returns (status, headers, raw body)."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([PY, str(ROOT / "tools" / "fakegong.py"), "--port", "0",
                                      *map(str, args)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("URL http://127.0.0.1:"), line + self.proc.stderr.read()
        self.url = line.split()[1]

    def call(self, method, path, body=None, auth=BASIC, raw=None, timeout=30):
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = auth
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, method, path, body=None, auth=BASIC, expect=200):
        status, _, raw = self.call(method, path, body, auth)
        assert status == expect, (status, raw[:300])
        return json.loads(raw)

    def control(self, method, path, body=None):
        return self.json(method, path, body, auth=None)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


def pages(srv, method, path, body=None, query=None):
    """Follow a pagination sequence to the end; returns the list of page objects."""
    out, cursor = [], None
    while True:
        q = dict(query or {})
        b = dict(body or {}) if body is not None else None
        if cursor and method == "GET":
            q["cursor"] = cursor
        elif cursor:
            b["cursor"] = cursor
        page = srv.json(method, path + ("?" + urllib.parse.urlencode(q) if q else ""), b)
        out.append(page)
        cursor = page["records"].get("cursor")
        if not cursor:
            return out


@pytest.fixture(scope="module")
def ds():
    return gongdata.Dataset(seed=1, calls=300, start="2024-01-01", days=120, extra_users=230)


@pytest.fixture(scope="module")
def srv():
    s = Server("--calls", 300, "--rate", 0, "--extra-users", 230, "--bearer", "full",
               "--bearer", "nousers=api:calls:read:basic,api:calls:read:extensive",
               "--bearer", "media=api:calls:read:extensive,api:calls:read:media-url")
    yield s
    assert s.stop() == 0


@pytest.fixture
def fresh(srv):
    srv.control("POST", "/_fake/faults", [])
    srv.control("POST", "/_fake/reset")
    return srv


# ---------------------------------------------------------------------------------------
# Basics: URL line, clean exit, headers, keep-alive
# ---------------------------------------------------------------------------------------
def test_url_line_and_clean_exit_on_sigterm_and_sigint():
    for sig in (signal.SIGTERM, signal.SIGINT):
        s = Server("--calls", 10)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", s.url)
        s.proc.send_signal(sig)
        assert s.proc.wait(10) == 0
        s.stop()


def test_headers_request_id_and_keep_alive(fresh):
    host, port = urllib.parse.urlsplit(fresh.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    ids = []
    for path in ("/v2/users", "/v2/workspaces", "/v2/nope"):
        conn.request("GET", path, headers={"Authorization": BASIC})
        r = conn.getresponse()
        body = r.read()
        assert r.getheader("Content-Length") == str(len(body))
        assert r.getheader("Content-Type") == "application/json;charset=UTF-8"
        assert r.getheader("x-gong-service-version")
        rid = json.loads(body)["requestId"]
        assert re.fullmatch(r"[0-9a-z]{19}", rid) and r.getheader("x-traceid") == rid
        ids.append(rid)
    assert len(set(ids)) == 3
    conn.close()
    assert fresh.control("GET", "/_fake/stats")["requests"] == 3


# ---------------------------------------------------------------------------------------
# Auth and scopes
# ---------------------------------------------------------------------------------------
def test_auth_basic_bearer_401_403(fresh):
    for auth in (None, "Basic " + base64.b64encode(b"demo-key:wrong").decode(), "Bearer nope",
                 "Token x"):
        status, _, raw = fresh.call("GET", "/v2/users", auth=auth)
        body = json.loads(raw)
        assert status == 401 and body["requestId"] and "Access denied" in body["errors"][0]
    assert fresh.json("GET", "/v2/users")["users"]
    assert fresh.json("GET", "/v2/users", auth="Bearer full")["users"]
    assert fresh.json("GET", "/v2/calls?" + urllib.parse.urlencode(ALL_CALLS),
                      auth="Bearer nousers")["calls"]
    status, _, raw = fresh.call("GET", "/v2/users", auth="Bearer nousers")
    assert status == 403 and "api:users:read" in json.loads(raw)["errors"][0]
    status, _, raw = fresh.call("POST", "/v2/calls/transcript", {"filter": {}},
                                auth="Bearer nousers")
    assert status == 403 and "api:calls:read:transcript" in json.loads(raw)["errors"][0]
    media = {"filter": {}, "contentSelector": {"exposedFields": {"media": True}}}
    status, _, raw = fresh.call("POST", "/v2/calls/extensive", media, auth="Bearer full")
    assert status == 403 and "api:calls:read:media-url" in json.loads(raw)["errors"][0]
    got = fresh.json("POST", "/v2/calls/extensive", media, auth="Bearer media")
    assert got["calls"][0]["media"]["audioUrl"].startswith("https://")
    log = fresh.control("GET", "/_fake/log")
    assert [e["auth"] for e in log[:4]] == [None, "basic", "bearer", None]
    assert "demo-secret" not in json.dumps(log) and "nope" not in json.dumps(log)


# ---------------------------------------------------------------------------------------
# OAuth app endpoints
# ---------------------------------------------------------------------------------------
CLIENT_BASIC = "Basic " + base64.b64encode(b"demo-client-id:demo-client-secret").decode()
REDIRECT = "http://127.0.0.1:9/callback"


def authorize(srv, **params):
    """GET /oauth2/authorize without following the redirect: (status, Location query dict)."""
    q = {"client_id": "demo-client-id", "response_type": "code",
         "scope": " ".join(read_scopes()), "redirect_uri": REDIRECT, "state": "s1"}
    q.update(params)
    q = {k: v for k, v in q.items() if v is not None}
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(srv.url).netloc, timeout=10)
    conn.request("GET", "/oauth2/authorize?" + urllib.parse.urlencode(q))
    r = conn.getresponse()
    r.read()
    loc = r.getheader("Location") or ""
    conn.close()
    if loc:
        assert loc.startswith(q.get("redirect_uri", ""))
    return r.status, dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))


def read_scopes():
    return ["api:calls:read:basic", "api:calls:read:extensive", "api:calls:read:transcript",
            "api:users:read"]


def token(srv, params, auth=CLIENT_BASIC, in_query=False):
    """POST /oauth2/generate-customer-token: (status, JSON body)."""
    data = urllib.parse.urlencode(params)
    path = "/oauth2/generate-customer-token" + ("?" + data if in_query else "")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if auth:
        headers["Authorization"] = auth
    req = urllib.request.Request(srv.url + path, data=b"" if in_query else data.encode(),
                                 method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def osrv():
    s = Server("--calls", 20, "--rate", 0, "--token-ttl", 1)
    yield s
    assert s.stop() == 0


def test_oauth_authorize_auto_approves(osrv):
    status, q = authorize(osrv)
    assert status == 302 and q["state"] == "s1" and q["code"].startswith("code-")
    assert authorize(osrv, scope="api:calls:read:basic api:calls:write")[1] == {
        "error": "invalid_scope", "state": "s1"}
    assert authorize(osrv, response_type="token")[1]["error"] == "unsupported_response_type"
    assert authorize(osrv, client_id="someone-else") == (400, {})
    assert authorize(osrv, redirect_uri=None) == (400, {})


def test_oauth_code_is_single_use_and_bound_to_its_redirect(osrv):
    code = authorize(osrv)[1]["code"]
    status, body = token(osrv, {"grant_type": "authorization_code", "code": code,
                                "client_id": "demo-client-id", "redirect_uri": REDIRECT})
    assert status == 200
    assert body["access_token"].startswith("at-") and body["refresh_token"].startswith("rt-")
    assert body["expires_in"] == 1 and body["token_type"] == "bearer"
    assert body["scope"].split() == read_scopes()
    assert body["api_base_url_for_customer"] == osrv.url
    again = token(osrv, {"grant_type": "authorization_code", "code": code,
                         "redirect_uri": REDIRECT})
    assert again[0] == 400 and again[1]["error"] == "invalid_grant"
    code = authorize(osrv)[1]["code"]
    assert token(osrv, {"grant_type": "authorization_code", "code": code,
                        "redirect_uri": "http://127.0.0.1:10/callback"})[1]["error"] == \
        "invalid_grant"
    code = authorize(osrv)[1]["code"]
    bad = "Basic " + base64.b64encode(b"demo-client-id:wrong").decode()
    assert token(osrv, {"grant_type": "authorization_code", "code": code,
                        "redirect_uri": REDIRECT}, auth=bad) == (
        401, {"error": "invalid_client", "error_description": "Client authentication failed"})
    # Gong documents the parameters on the query string: accepted too
    assert token(osrv, {"grant_type": "authorization_code", "code": code,
                        "redirect_uri": REDIRECT}, in_query=True)[0] == 200
    assert token(osrv, {"grant_type": "password"})[1]["error"] == "unsupported_grant_type"


def test_oauth_refresh_rotates_and_access_tokens_expire(osrv):
    code = authorize(osrv)[1]["code"]
    first = token(osrv, {"grant_type": "authorization_code", "code": code,
                         "redirect_uri": REDIRECT})[1]
    bearer = "Bearer " + first["access_token"]
    assert osrv.json("GET", "/v2/users", auth=bearer)["users"]
    status, second = token(osrv, {"grant_type": "refresh_token",
                                  "refresh_token": first["refresh_token"]})
    assert status == 200 and second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    reused = token(osrv, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert reused[0] == 400 and reused[1]["error"] == "invalid_grant"
    time.sleep(1.1)
    status, _, raw = osrv.call("GET", "/v2/users", auth=bearer)
    assert status == 401 and "expired" in json.loads(raw)["errors"][0]
    third = token(osrv, {"grant_type": "refresh_token",
                         "refresh_token": second["refresh_token"]})[1]
    assert osrv.json("GET", "/v2/users", auth="Bearer " + third["access_token"])["users"]
    log = osrv.control("GET", "/_fake/log")
    text = json.dumps([{k: v for k, v in e.items() if k != "raw_query"} for e in log])
    for secret in (first["refresh_token"], second["access_token"], "demo-client-secret", code):
        assert secret not in text
    users = [e for e in log if e["path"] == "/v2/users"]
    assert users[-1]["token"] > users[0]["token"] and users[-2]["status"] == 401
    st = osrv.control("GET", "/_fake/stats")["oauth"]
    assert st["invalid_grant"] >= 2 and st["expired_401"] >= 1
    # revoke: refresh tokens spent, access tokens unknown
    assert osrv.control("POST", "/_fake/oauth/revoke")["revoked"] >= 1
    assert token(osrv, {"grant_type": "refresh_token",
                        "refresh_token": third["refresh_token"]})[1]["error"] == "invalid_grant"
    assert osrv.call("GET", "/v2/users", auth="Bearer " + third["access_token"])[0] == 401


def test_oauth_grant_subset_and_deny():
    s = Server("--calls", 20, "--rate", 0, "--oauth-grant", "api:calls:read:basic")
    try:
        code = authorize(s)[1]["code"]
        body = token(s, {"grant_type": "authorization_code", "code": code,
                         "redirect_uri": REDIRECT})[1]
        assert body["scope"] == "api:calls:read:basic"
        status, _, raw = s.call("GET", "/v2/users", auth="Bearer " + body["access_token"])
        assert status == 403 and "api:users:read" in json.loads(raw)["errors"][0]
    finally:
        s.stop()
    s = Server("--calls", 20, "--rate", 0, "--oauth-deny")
    try:
        assert authorize(s)[1] == {"error": "access_denied", "state": "s1"}
    finally:
        s.stop()


# ---------------------------------------------------------------------------------------
# Paging
# ---------------------------------------------------------------------------------------
def test_users_paging_with_query_cursor(fresh, ds):
    got = pages(fresh, "GET", "/v2/users")
    assert [p["records"]["currentPageSize"] for p in got] == [100, 100, 55]
    assert [p["records"]["currentPageNumber"] for p in got] == [0, 1, 2]
    assert all(p["records"]["totalRecords"] == 255 for p in got)
    assert "cursor" not in got[-1]["records"]
    assert [u for p in got for u in p["users"]] == ds.users()
    one = ds.users()[7]
    assert fresh.json("GET", "/v2/users/" + one["id"])["user"] == one
    assert fresh.json("GET", "/v2/users/1", expect=404)["errors"] == ["User not found"]
    status, _, raw = fresh.call("POST", "/v2/users/extensive", {"filter": {"userIds": ["1"]}})
    assert status == 404
    assert json.loads(raw)["errors"] == ["No users found corresponding to the provided filters"]


def test_calls_paging_get_oldest_first(fresh, ds):
    got = pages(fresh, "GET", "/v2/calls", query=ALL_CALLS)
    assert [p["records"]["currentPageSize"] for p in got] == [100, 100, 100]
    assert "cursor" not in got[-1]["records"] and "cursor" in got[0]["records"]
    calls = [c for p in got for c in p["calls"]]
    assert [c["id"] for c in calls] == ds.call_ids()
    times = [ds.window_time(c["id"]) for c in calls]
    assert times == sorted(times)
    assert calls[5] == ds.meta(calls[5]["id"])
    assert fresh.json("GET", "/v2/calls/" + calls[9]["id"])["call"] == calls[9]
    body = fresh.json("GET", "/v2/calls/123", expect=404)
    assert body["errors"] == ["Call ID 123 was not found"]


def test_window_filter_bounds_and_offsets(fresh, ds):
    cid = ds.call_ids()[150]
    t = ds.window_time(cid)
    z = gongdata.iso(t, 0).replace("+00:00", "Z")
    plus = gongdata.iso(t, 330)  # the same instant written as +05:30
    assert ds.in_window(cid, z, None) and not ds.in_window(cid, None, z)
    for frm in (z, plus):
        got = pages(fresh, "GET", "/v2/calls", query={"fromDateTime": frm,
                                                      "toDateTime": ALL_CALLS["toDateTime"]})
        ids = [c["id"] for p in got for c in p["calls"]]
        assert ids == ds.window_ids(z, ALL_CALLS["toDateTime"]) and ids[0] == cid
    got = fresh.json("GET", "/v2/calls?" + urllib.parse.urlencode(
        {"fromDateTime": ALL_CALLS["fromDateTime"], "toDateTime": plus}))
    assert cid not in [c["id"] for c in got["calls"]]
    web = [c for c in ds.call_ids() if ds.meta(c)["scheduled"]]
    phone = [c for c in ds.call_ids() if not ds.meta(c)["scheduled"]]
    assert ds.window_time(web[0]) == gongdata.parse_iso(ds.meta(web[0])["scheduled"])
    assert ds.window_time(phone[0]) == gongdata.parse_iso(ds.meta(phone[0])["started"])


def test_extensive_paging_body_cursor_and_ignored_query_cursor(fresh, ds):
    body = {"filter": dict(ALL_CALLS, workspaceId=None, callIds=None),
            "contentSelector": gongdata.FULL_SELECTOR_JSON, "cursor": None}
    got = pages(fresh, "POST", "/v2/calls/extensive", body)
    assert len(got) == 3 and "cursor" not in got[-1]["records"]
    calls = [c for p in got for c in p["calls"]]
    assert [c["metaData"]["id"] for c in calls] == ds.call_ids()
    for c in calls[::23]:
        assert c == ds.extensive(c["metaData"]["id"])
    cursor = got[0]["records"]["cursor"]
    again = fresh.json("POST", "/v2/calls/extensive?cursor=" + urllib.parse.quote(cursor), body)
    assert again["records"]["currentPageNumber"] == 0 and again["calls"] == got[0]["calls"]


def test_transcript_paging_and_call_ids(fresh, ds):
    got = pages(fresh, "POST", "/v2/calls/transcript", {"filter": ALL_CALLS})
    served = {t["callId"]: t["transcript"] for p in got for t in p["callTranscripts"]}
    expect = [c for c in ds.call_ids() if ds.has_transcript(c)]
    assert list(served) == expect and len(got) == (len(expect) + 99) // 100
    for cid in expect[::17]:
        assert served[cid] == ds.transcript(cid)
    none = ds.PLANTED["hard_cases"]["no_transcript"][:3]
    ids = none + expect[:2]
    res = fresh.json("POST", "/v2/calls/transcript", {"filter": {"callIds": ids}})
    assert [t["callId"] for t in res["callTranscripts"]] == expect[:2]
    status, _, raw = fresh.call("POST", "/v2/calls/transcript", {"filter": {"callIds": none}})
    assert status == 404 and json.loads(raw)["errors"] == [NO_CALLS]


def test_filters_call_ids_users_workspace(fresh, ds):
    ids = ds.call_ids()
    some = [ids[3], ids[200], "999"]
    res = fresh.json("POST", "/v2/calls/extensive", {"filter": {"callIds": some}})
    assert [c["metaData"]["id"] for c in res["calls"]] == some[:2]
    assert set(res["calls"][0]) == {"metaData"}  # no contentSelector: metadata only
    user = ds.meta(ids[0])["primaryUserId"]
    res = pages(fresh, "POST", "/v2/calls/extensive",
                {"filter": dict(ALL_CALLS, primaryUserIds=[user])})
    got = [c["metaData"]["id"] for p in res for c in p["calls"]]
    assert got == [c for c in ids if ds.meta(c)["primaryUserId"] == user]
    ws = ds.workspaces[1]["id"]
    res = fresh.json("GET", "/v2/calls?" + urllib.parse.urlencode(dict(ALL_CALLS, workspaceId=ws)))
    assert [c["id"] for c in res["calls"]] == [c for c in ids if ds.meta(c)["workspaceId"] == ws]


def test_content_selector(fresh, ds):
    cid = next(c for c in ds.PLANTED["hard_cases"]["amount_string"] if ds.has_transcript(c))
    def one(sel):
        res = fresh.json("POST", "/v2/calls/extensive",
                         {"filter": {"callIds": [cid]}, "contentSelector": sel})
        assert res["calls"][0] == ds.extensive(cid, sel)
        return res["calls"][0]
    basic = one({"context": "Basic", "exposedFields": {"parties": True}})
    assert basic["context"][0]["objects"][0]["fields"] == [] and "content" not in basic
    now = one({"context": "Extended", "exposedFields": {"content": {"trackers": True}}})
    assert {o["timing"] for o in now["context"][0]["objects"]} == {"Now"}
    assert "parties" not in now and "occurrences" not in now["content"]["trackers"][0]
    both = one({"context": "Extended", "contextTiming": ["TimeOfCall", "Now"],
                "exposedFields": {"content": {"trackers": True, "trackerOccurrences": True},
                                  "interaction": {"personInteractionStats": True}}})
    assert {o["timing"] for o in both["context"][0]["objects"]} == {"Now", "TimeOfCall"}
    assert "occurrences" in both["content"]["trackers"][0]
    assert set(both["interaction"]) == {"interactionStats"}
    status, _, raw = fresh.call("POST", "/v2/calls/extensive",
                                {"filter": {}, "contentSelector": {"context": "Everything"}})
    assert status == 400


def test_errors_404_400(fresh):
    empty = {"fromDateTime": "2030-01-01T00:00:00Z", "toDateTime": "2030-02-01T00:00:00Z"}
    for method, path, body in (("GET", "/v2/calls?" + urllib.parse.urlencode(empty), None),
                               ("POST", "/v2/calls/extensive", {"filter": empty}),
                               ("POST", "/v2/calls/transcript", {"filter": empty}),
                               ("POST", "/v2/calls/extensive", {"filter": {"callIds": ["1"]}})):
        status, _, raw = fresh.call(method, path, body)
        assert status == 404 and json.loads(raw)["errors"] == [NO_CALLS]
    status, _, raw = fresh.call("GET", "/v2/callz")
    assert status == 404 and json.loads(raw)["errors"] != [NO_CALLS]
    cases = [({"filter": {"callIds": []}}, "callIds"),
             ({"filter": {"fromDateTime": "2024-03-01T00:00:00Z",
                          "toDateTime": "2024-02-01T00:00:00+01:00"}},
              "filter.fromDateTime: must be before toDateTime"),
             ({"filter": {"fromDateTime": "yesterday"}}, "fromDateTime"),
             ({}, "filter")]
    for body, text in cases:
        for path in ("/v2/calls/extensive", "/v2/calls/transcript"):
            status, _, raw = fresh.call("POST", path, body)
            assert status == 400 and text in json.loads(raw)["errors"][0], raw
    status, _, raw = fresh.call("POST", "/v2/calls/extensive", raw=b'{"filter": {')
    assert status == 400 and json.loads(raw)["requestId"]
    status, _, _ = fresh.call("GET", "/v2/calls/extensive")
    assert status == 405


# ---------------------------------------------------------------------------------------
# Limits and cursor expiry
# ---------------------------------------------------------------------------------------
def test_rate_limit_and_daily_limit():
    s = Server("--calls", 20, "--rate", 3, "--daily-limit", 6)
    try:
        statuses = []
        for _ in range(6):
            status, headers, raw = s.call("GET", "/v2/workspaces")
            statuses.append(status)
            if status == 429:
                assert headers["Retry-After"] == "1" and json.loads(raw)["errors"]
        assert statuses[:3] == [200, 200, 200] and statuses.count(429) >= 2
        st = s.control("GET", "/_fake/stats")
        assert st["429"] == statuses.count(429) and st["max_in_1s"] >= 5
        assert s.control("GET", "/_fake/stats")["requests"] == 6  # control calls not counted
        time.sleep(1.05)
        for _ in range(3):
            assert s.call("GET", "/v2/workspaces")[0] == 200
        status, headers, _ = s.call("GET", "/v2/workspaces")
        time.sleep(1.05)
        status, headers, raw = s.call("GET", "/v2/workspaces")
        assert status == 429 and headers["Retry-After"] == "3600"
        assert "quota" in json.loads(raw)["errors"][0].lower()
    finally:
        s.stop()


def test_cursor_expires_after_ttl_from_first_request():
    s = Server("--calls", 250, "--rate", 0, "--cursor-ttl", 1)
    try:
        first = s.json("POST", "/v2/calls/extensive", {"filter": {}})
        second = s.json("POST", "/v2/calls/extensive",
                        {"filter": {}, "cursor": first["records"]["cursor"]})
        time.sleep(1.1)  # under a second after page 2, over a second after page 1
        status, _, raw = s.call("POST", "/v2/calls/extensive",
                                {"filter": {}, "cursor": second["records"]["cursor"]})
        assert status == 400 and "cursor has expired" in json.loads(raw)["errors"][0]
        q = urllib.parse.urlencode({"cursor": first["records"]["cursor"]})
        status, _, raw = s.call("GET", "/v2/calls?" + q)
        assert status == 400 and "cursor has expired" in json.loads(raw)["errors"][0]
        status, _, raw = s.call("GET", "/v2/calls?cursor=%25%25garbage")
        assert status == 400
    finally:
        s.stop()


# ---------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------
def test_fault_status_after_count_and_schedule(fresh):
    left = fresh.control("POST", "/_fake/faults", [
        {"path": "/v2/workspaces", "kind": "status", "status": 503, "after": 1, "count": 2},
        {"path": "*", "kind": "status", "status": 429, "retry_after": 7, "after": 4}])
    assert len(left) == 2
    got = [fresh.call("GET", "/v2/workspaces")[:2] for _ in range(6)]
    assert [g[0] for g in got] == [200, 503, 503, 200, 429, 200]
    assert got[4][1]["Retry-After"] == "7"
    assert fresh.control("GET", "/_fake/faults") == []
    st = fresh.control("GET", "/_fake/stats")
    assert st["by_status"] == {"200": 3, "503": 2, "429": 1} and st["requests"] == 6
    assert [e["fault"] for e in fresh.control("GET", "/_fake/log")][1:3] == ["status"] * 2


@pytest.mark.parametrize("kind", ["drop", "truncate", "malformed", "html"])
def test_fault_broken_responses(fresh, kind):
    fresh.control("POST", "/_fake/faults", [{"path": "/v2/calls/extensive", "kind": kind}])
    body = {"filter": {}, "contentSelector": gongdata.FULL_SELECTOR_JSON}
    if kind in ("drop", "truncate"):
        with pytest.raises((http.client.HTTPException, ConnectionError, urllib.error.URLError)):
            fresh.call("POST", "/v2/calls/extensive", body)
    else:
        status, headers, raw = fresh.call("POST", "/v2/calls/extensive", body)
        assert status == 200
        if kind == "html":
            assert headers["Content-Type"].startswith("text/html") and b"<html>" in raw
        else:
            assert headers["Content-Type"].startswith("application/json")
            with pytest.raises(ValueError):
                json.loads(raw)
    assert fresh.json("POST", "/v2/calls/extensive", body)["calls"]  # only once
    entry = fresh.control("GET", "/_fake/log")[0]
    assert entry["fault"] == kind
    assert entry["status"] == ("drop" if kind == "drop" else 200)
    assert fresh.control("GET", "/_fake/stats")["requests"] == 2


def test_fault_slow_and_latency():
    s = Server("--calls", 10, "--rate", 0, "--latency-ms", 150,
               "--fault", json.dumps({"path": "/v2/users", "kind": "slow", "seconds": 0.5}))
    try:
        t = time.monotonic()
        assert s.call("GET", "/v2/users")[0] == 200
        assert time.monotonic() - t >= 0.6
        t = time.monotonic()
        assert s.call("GET", "/v2/users")[0] == 200
        assert 0.15 <= time.monotonic() - t < 0.5
    finally:
        s.stop()


def test_fault_expire_cursor_only_hits_cursor_requests(fresh):
    fresh.control("POST", "/_fake/faults", [{"path": "/v2/calls", "kind": "expire_cursor"}])
    first = fresh.json("GET", "/v2/calls")
    q = urllib.parse.urlencode({"cursor": first["records"]["cursor"]})
    status, _, raw = fresh.call("GET", "/v2/calls?" + q)
    assert status == 400 and "cursor has expired" in json.loads(raw)["errors"][0]
    assert fresh.json("GET", "/v2/calls?" + q)["records"]["currentPageNumber"] == 1


def test_fault_vanish_and_duplicate(fresh, ds):
    ids = ds.call_ids()
    gone = ids[150]
    fresh.control("POST", "/_fake/faults", [
        {"path": "/v2/calls", "kind": "vanish", "call_id": gone, "after": 1},
        {"path": "/v2/calls/extensive", "kind": "duplicate", "after": 1}])
    got = pages(fresh, "GET", "/v2/calls")
    seen = [c["id"] for p in got for c in p["calls"]]
    assert gone not in seen and len(seen) == 299 and got[-1]["records"]["totalRecords"] == 299
    assert fresh.json("GET", "/v2/calls/" + gone, expect=404)
    got = pages(fresh, "POST", "/v2/calls/extensive", {"filter": {}})
    seen = [c["metaData"]["id"] for p in got for c in p["calls"]]
    assert len(seen) == 300 and len(set(seen)) == 299  # one record on two pages
    assert got[2]["calls"][0] == got[1]["calls"][-1]
    assert fresh.control("GET", "/_fake/faults") == []


# ---------------------------------------------------------------------------------------
# Processing lag (--late) and publish
# ---------------------------------------------------------------------------------------
def test_late_calls_transcripts_before_details_then_publish(ds):
    s = Server("--calls", 300, "--rate", 0, "--late", 8)
    try:
        late = set(ds.latest(8))
        listed = {c["id"] for p in pages(s, "GET", "/v2/calls") for c in p["calls"]}
        ext = {c["metaData"]["id"] for p in pages(s, "POST", "/v2/calls/extensive",
                                                    {"filter": {}}) for c in p["calls"]}
        assert not late & listed and not late & ext and len(listed) == 292
        tr = {t["callId"] for p in pages(s, "POST", "/v2/calls/transcript", {"filter": {}})
              for t in p["callTranscripts"]}
        assert {c for c in late if ds.has_transcript(c)} <= tr and late & tr
        assert s.json("GET", "/v2/calls/" + sorted(late)[0], expect=404)
        assert s.control("POST", "/_fake/publish") == {"published": 8}
        ext = [c for p in pages(s, "POST", "/v2/calls/extensive",
                                {"filter": {}, "contentSelector": gongdata.FULL_SELECTOR_JSON})
               for c in p["calls"]]
        assert len(ext) == 300
        assert [c for c in ext if c["metaData"]["id"] in late] == [ds.extensive(c)
                                                                   for c in ds.latest(8)]
    finally:
        s.stop()


def test_stats_log_and_reset(fresh):
    fresh.call("POST", "/v2/calls/extensive?x=1", {"filter": {"callIds": ["1"]}})
    entry = fresh.control("GET", "/_fake/log")[0]
    assert entry["method"] == "POST" and entry["path"] == "/v2/calls/extensive"
    assert entry["query"] == {"x": "1"} and entry["body"] == {"filter": {"callIds": ["1"]}}
    assert entry["status"] == 404 and entry["auth"] == "basic" and entry["bytes"] > 0
    assert isinstance(entry["t"], float)
    fresh.control("POST", "/_fake/reset")
    assert fresh.control("GET", "/_fake/log") == []
    assert fresh.control("GET", "/_fake/stats")["requests"] == 0


# ---------------------------------------------------------------------------------------
# The data: determinism, hard cases, planted signals, speed
# ---------------------------------------------------------------------------------------
def test_dataset_is_deterministic(ds):
    other = gongdata.Dataset(seed=1, calls=300, start="2024-01-01", days=120, extra_users=230)
    ids = ds.call_ids()
    assert other.call_ids() == ids and other.users() == ds.users()
    for cid in ids[::-37] + ids[:5]:  # in a different order than ds generated them
        assert other.extensive(cid) == ds.extensive(cid)
        assert other.transcript(cid) == ds.transcript(cid)
    assert other.PLANTED == ds.PLANTED
    assert gongdata.Dataset(seed=2, calls=300).call_ids() != ids


def _texts(ds, cid):
    return [s["text"] for m in ds.transcript(cid) for s in m["sentences"]]


def test_hard_cases_present_in_300_calls(fresh, ds):
    hard = ds.PLANTED["hard_cases"]
    for kind in ("accents", "cjk", "emoji", "rtl", "escapes", "json_unicode_escapes",
                 "empty_transcript", "no_transcript", "private", "no_parties", "silent_parties",
                 "null_speaker", "null_topic", "no_timeofcall", "big_ids", "ms_timestamps",
                 "unknown_fields", "amount_string", "amount_null", "crm_opportunity_spelling",
                 "crm_salesforce", "no_deal"):
        assert hard[kind], kind
    text = lambda kind: "\n".join(_texts(ds, hard[kind][0]))
    assert all(ch in text("accents") for ch in "éüñ")
    assert re.search("[\u3040-\u30ff\u4e00-\u9fff]", text("cjk"))
    emoji = text("emoji")
    assert any(ord(ch) > 0xFFFF for ch in emoji) and "\u200d" in emoji
    assert re.search("[\u0590-\u05ff]", text("rtl")) and re.search("[\u0600-\u06ff]", text("rtl"))
    esc = [t for t in _texts(ds, hard["escapes"][0]) if "\t" in t][0]
    assert '"' in esc and "\\" in esc and "\n" in esc
    assert ds.transcript(hard["empty_transcript"][0]) == []
    assert ds.transcript(hard["no_transcript"][0]) is None
    assert ds.meta(hard["private"][0])["isPrivate"] is True
    assert "parties" not in ds.extensive(hard["no_parties"][0])
    assert any(p["speakerId"] is None for p in ds.extensive(hard["silent_parties"][0])["parties"])
    assert any(m["speakerId"] is None and m["topic"] is None
               for m in ds.transcript(hard["null_speaker"][0]))
    assert int(hard["big_ids"][0]) > 2 ** 64 and len(hard["big_ids"][0]) == 20
    assert re.search(r"\.\d{3}[+-]\d\d:\d\d$", ds.meta(hard["ms_timestamps"][0])["started"])
    assert "unknownFutureField" in ds.meta(hard["unknown_fields"][0])
    starts = [ds.meta(c)["started"] for c in ds.call_ids()]
    assert not any(s.endswith(("Z", "+00:00")) for s in starts)
    raw = fresh.call("POST", "/v2/calls/transcript",
                     {"filter": {"callIds": hard["json_unicode_escapes"][:1]}})[2]
    assert b"\\u" in raw and json.loads(raw)["callTranscripts"][0]["transcript"] == \
        ds.transcript(hard["json_unicode_escapes"][0])
    res = fresh.json("POST", "/v2/calls/transcript",
                     {"filter": {"callIds": hard["empty_transcript"]}})
    assert res["callTranscripts"][0]["transcript"] == []
    deal = lambda cid: ds.extensive(cid)["context"][0]
    assert {o["objectType"] for o in deal(hard["crm_opportunity_spelling"][0])["objects"]} == \
        {"Opportunity", "Account"}
    sf = deal(hard["crm_salesforce"][0])
    assert sf["system"] == "Salesforce" and "StageName" in json.dumps(sf)
    assert ds.extensive(hard["no_deal"][0])["context"] == []
    assert {u.get("conferencingProviders", "x") for u in ds.users()} == {None}


def _outcome(ext):
    for sysobj in ext["context"]:
        for o in sysobj["objects"]:
            if o["objectType"] in ("Deal", "Opportunity") and o["timing"] == "Now":
                f = {x["name"]: x["value"] for x in o["fields"]}
                stage = str(f.get("dealstage") or f.get("StageName")).lower().replace(" ", "")
                return {"closedwon": "won", "closedlost": "lost"}.get(stage, "open")
    return None


def test_planted_talk_share_and_competitor_measurable(ds):
    talk, comp = {}, {}
    for cid in ds.call_ids():
        ext, tr = ds.extensive(cid), ds.transcript(cid)
        if not tr or ext["metaData"]["scope"] != "External" or ext["metaData"]["isPrivate"]:
            continue
        who = {p["speakerId"]: p for p in ext.get("parties", []) if p["speakerId"]}
        if not who:
            continue
        ms = {"Internal": 0, "External": 0}
        for m in tr:
            if m["speakerId"] in who:
                ms[who[m["speakerId"]]["affiliation"]] += sum(s["end"] - s["start"]
                                                              for s in m["sentences"])
        rep = next(p["userId"] for p in who.values() if p["affiliation"] == "Internal")
        acc = talk.setdefault(rep, [0, 0])
        acc[0] += ms["Internal"]
        acc[1] += ms["Internal"] + ms["External"]
        outcome = _outcome(ext)
        if outcome:
            said = any("Clarivox" in s["text"] for m in tr if m["speakerId"] in who
                       and who[m["speakerId"]]["affiliation"] == "External"
                       for s in m["sentences"])
            c = comp.setdefault(outcome, [0, 0])
            c[0] += said
            c[1] += 1
    share = {u: a / b for u, a, b in ((u, *v) for u, v in talk.items())}
    talker = ds.PLANTED["talker"]["user_id"]
    assert abs(share.pop(talker) - 0.70) < 0.03
    assert all(0.38 <= v <= 0.57 for v in share.values()), share
    rates = {o: a / b for o, (a, b) in comp.items()}
    assert rates["lost"] > 0.45 and rates["won"] < 0.2, rates
    real = ds.PLANTED["competitor"]["realized"]
    assert {o: tuple(v) for o, v in comp.items()} == \
        {o: (r["with_mention"], r["calls"]) for o, r in real.items()}


def test_other_planted_signals(ds):
    m = ds.measure()
    p = ds.PLANTED
    q = {u: r["questions_per_call"] for u, r in m["reps"].items()}
    assert 17 <= q.pop(p["questioner"]["user_id"]) <= 23
    assert all(7 <= v <= 13 for v in q.values()), q
    lm = {u: r["mean_longest_monologue_s"] for u, r in m["reps"].items()}
    assert lm.pop(p["monologuer"]["user_id"]) > 60 and max(lm.values()) < 45
    d = m["discount"]
    assert d["large"]["share"] > 2 * d["small"]["share"]
    assert set(m["handoff"]) <= set(p["handoff"]["call_ids"]) and m["handoff"]
    for cid in m["handoff"]:
        ext = ds.extensive(cid)
        top = max(ext["interaction"]["speakers"], key=lambda s: s["talkTime"] if s["userId"] else 0)
        assert top["userId"] != ext["metaData"]["primaryUserId"]


def test_generation_speed_100k():
    t = time.monotonic()
    big = gongdata.Dataset(seed=1, calls=100_000, start="2024-01-01", days=365)
    build = time.monotonic() - t
    ids = big.call_ids()
    t = time.monotonic()
    for cid in (ids[0], ids[50_000], ids[-1]):
        assert big.extensive(cid)["metaData"]["id"] == cid
        big.transcript(cid)
    per_call = time.monotonic() - t
    assert len(ids) == 100_000 and build < 20 and per_call < 5, (build, per_call)
