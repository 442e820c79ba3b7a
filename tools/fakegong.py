#!/usr/bin/python3
"""fakegong: a fake Gong REST API v2 on loopback, for callmine's end-to-end tests and demo.

It serves the deterministic tenant of tools/gongdata.py the way /work/shared/gong-api.md
describes Gong: Basic and Bearer auth with scopes, 100-record pages with opaque cursors
(query for GET, body for POST, a POST's query cursor ignored), cursor expiry, 404 for empty
results, a sliding-window rate limit and a daily quota, processing lag (--late) and a
schedule of injected faults, and an OAuth app's endpoints (/oauth2/authorize auto-approves,
/oauth2/generate-customer-token issues expiring access tokens and single-use, rotating refresh
tokens). Control endpoints under /_fake/ expose counters and the request log. Python 3
standard library only; see tools/FAKEGONG.md.

    /usr/bin/python3 tools/fakegong.py --port 0 --calls 300 --rate 0
prints "URL http://127.0.0.1:PORT" once listening and serves until SIGTERM or SIGINT.
"""
import argparse
import base64
import binascii
import bisect
import collections
import hashlib
import json
import os
import secrets
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gongdata  # noqa: E402

READ_SCOPES = ["api:calls:read:basic", "api:calls:read:extensive",
               "api:calls:read:transcript", "api:users:read"]
MEDIA_SCOPE = "api:calls:read:media-url"
SERVICE_VERSION = "PublicApiServer:17.main.19292"
JSON_TYPE = "application/json;charset=UTF-8"
PAGE = 100
NO_CALLS = "No calls found corresponding to the provided filters"
NO_USERS = "No users found corresponding to the provided filters"
EXPIRED = "The cursor has expired, please restart the pagination"
FAULT_KINDS = ("status", "drop", "truncate", "malformed", "html", "slow", "expire_cursor",
               "vanish", "duplicate")
CURSOR_KINDS = ("expire_cursor", "duplicate")  # only match requests that carry a cursor
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
             b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>"
             b"</body></html>\n")


class ApiError(Exception):
    """An answer with Gong's standard error body {"requestId", "errors": [message]}."""

    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class Reply:
    """A prepared response: status, body bytes, content type and extra headers."""

    def __init__(self, status, body, ctype=JSON_TYPE, headers=None, rid=None):
        self.status, self.body, self.ctype = status, body, ctype
        self.headers, self.rid = headers or {}, rid


# ---------------------------------------------------------------------------------------
# Server state: counters, log, limits, faults, late and vanished calls
# ---------------------------------------------------------------------------------------
class State:
    def __init__(self, opts, ds):
        self.opts, self.ds = opts, ds
        self.lock = threading.Lock()
        self.faults = []
        self.set_faults(opts.fault_entries)
        self.late = max(0, min(opts.late, len(ds)))
        self.vanished = set()
        self.seq = 0
        self.logfile = open(opts.log, "a", encoding="utf-8") if opts.log else None
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = 0
            self.by_path = collections.Counter()
            self.by_status = collections.Counter()
            self.arrivals = collections.deque()   # all /v2 arrivals in the last second
            self.accepted = collections.deque()   # arrivals the rate limiter let through
            self.max_in_1s = 0
            self.daily_used = 0
            self.log = []

    # ---- limits --------------------------------------------------------------------
    def arrive(self, path, now):
        """Count a /v2 request; returns (request number, limit verdict or None), the
        verdict being ("rate", retry_after) or ("daily", retry_after)."""
        with self.lock:
            self.requests += 1
            n = self.requests
            self.by_path[path] += 1
            arr = self.arrivals
            arr.append(now)
            while arr and arr[0] <= now - 1.0:
                arr.popleft()
            self.max_in_1s = max(self.max_in_1s, len(arr))
            rate = self.opts.rate
            acc = self.accepted
            while acc and acc[0] <= now - 1.0:
                acc.popleft()
            if rate > 0 and len(acc) >= rate:
                return n, ("rate", 1)
            if self.opts.daily_limit and self.daily_used >= self.opts.daily_limit:
                return n, ("daily", 3600)
            acc.append(now)
            self.daily_used += 1
            return n, None

    # ---- faults --------------------------------------------------------------------
    @staticmethod
    def normalize_fault(f):
        if not isinstance(f, dict):
            raise ValueError("a fault must be a JSON object")
        kind = f.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError("fault kind must be one of " + ", ".join(FAULT_KINDS))
        out = dict(f)
        out["path"] = f.get("path", "*")
        out["after"] = int(f.get("after", 0))
        out["count"] = int(f.get("count", 1))
        if not isinstance(out["path"], str) or out["after"] < 0 or out["count"] < 0:
            raise ValueError("fault path must be a string, after and count >= 0")
        if kind == "status":
            out["status"] = int(f.get("status", 500))
        if kind == "slow":
            out["seconds"] = float(f.get("seconds", 1.0))
        return out

    def set_faults(self, entries):
        faults = [self.normalize_fault(f) for f in entries]
        with self.lock:
            self.faults = [f for f in faults if f["count"] > 0]
        return self.faults_left()

    def faults_left(self):
        with self.lock:
            return [dict(f) for f in self.faults]

    def take_fault(self, path, has_cursor):
        """The fault to apply to this request, if any (consumes one use of it). Every
        matching entry's `after` counts down, but at most one fault fires."""
        chosen = None
        with self.lock:
            for f in self.faults:
                if f["path"] not in ("*", path):
                    continue
                if f["kind"] in CURSOR_KINDS and not has_cursor:
                    continue
                if f["after"] > 0:
                    f["after"] -= 1
                elif chosen is None and f["count"] > 0:
                    f["count"] -= 1
                    chosen = dict(f)
            self.faults = [f for f in self.faults if f["count"] > 0]
        return chosen

    # ---- calls that are hidden ---------------------------------------------------------
    def hidden_tail(self):
        """How many of the newest calls are still "being processed" (--late)."""
        with self.lock:
            return self.late

    def publish(self):
        with self.lock:
            n, self.late = self.late, 0
        return n

    def vanish(self, i):
        with self.lock:
            self.vanished.add(i)

    def vanished_set(self):
        with self.lock:
            return frozenset(self.vanished)

    def next_seq(self):
        with self.lock:
            self.seq += 1
            return self.seq

    # ---- stats and log -------------------------------------------------------------------
    def record(self, entry):
        with self.lock:
            self.by_status[str(entry["status"])] += 1
            self.log.append(entry)
            if self.logfile:
                self.logfile.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self.logfile.flush()

    def stats(self):
        with self.lock:
            return {"requests": self.requests, "by_path": dict(self.by_path),
                    "by_status": dict(self.by_status), "429": self.by_status.get("429", 0),
                    "max_in_1s": self.max_in_1s}

    def log_copy(self):
        with self.lock:
            return list(self.log)


# ---------------------------------------------------------------------------------------
# OAuth: an app's authorization codes, access tokens and single-use refresh tokens
# ---------------------------------------------------------------------------------------
class OAuth:
    """The tokens one OAuth app has issued. Access tokens expire after opts.token_ttl
    seconds; a refresh token can be spent once (spending it again is invalid_grant), and
    every refresh returns a new one. Thread-safe. Tokens carry a serial number (1, 2, ...)
    that the request log shows instead of the token."""

    CODE_TTL = 600

    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.codes = {}      # code -> {redirect_uri, scopes, expires, used}
        self.access = {}     # token -> {scopes, expires, serial}
        self.refresh = {}    # token -> {scopes, spent, serial}
        self.serial = 0
        self.counts = collections.Counter()

    def count(self, what):
        with self.lock:
            self.counts[what] += 1

    def stats(self):
        with self.lock:
            c = dict(self.counts)
            c["live_refresh_tokens"] = sum(1 for r in self.refresh.values() if not r["spent"])
            return c

    def new_code(self, redirect_uri, scopes):
        code = "code-" + secrets.token_urlsafe(18)
        with self.lock:
            self.codes[code] = {"redirect_uri": redirect_uri, "scopes": scopes,
                                "expires": time.time() + self.CODE_TTL, "used": False}
        return code

    def _issue(self, scopes):
        """A new access and refresh token pair (call with the lock held)."""
        self.serial += 1
        access = "at-%d-%s" % (self.serial, secrets.token_urlsafe(24))
        refresh = "rt-%d-%s" % (self.serial, secrets.token_urlsafe(24))
        self.access[access] = {"scopes": scopes, "serial": self.serial,
                               "expires": time.time() + self.opts.token_ttl}
        self.refresh[refresh] = {"scopes": scopes, "spent": False, "serial": self.serial}
        return access, refresh

    def redeem_code(self, code, redirect_uri):
        """(access, refresh, scopes) or raises OAuthError invalid_grant."""
        with self.lock:
            c = self.codes.get(code)
            if c is None or c["used"] or c["expires"] < time.time():
                raise OAuthError(400, "invalid_grant", "Authorization code is invalid or expired")
            if c["redirect_uri"] != redirect_uri:
                raise OAuthError(400, "invalid_grant", "redirect_uri does not match")
            c["used"] = True
            return self._issue(c["scopes"]) + (c["scopes"],)

    def redeem_refresh(self, token):
        """Spend a refresh token: (access, refresh, scopes) or raises invalid_grant."""
        with self.lock:
            r = self.refresh.get(token)
            if r is None or r["spent"]:
                raise OAuthError(400, "invalid_grant", "Refresh token code is invalid")
            r["spent"] = True
            return self._issue(r["scopes"]) + (r["scopes"],)

    def check(self, token):
        """(scopes, serial, error) for a bearer token that may be ours; (None, None, None)
        when it is not one of ours."""
        with self.lock:
            a = self.access.get(token)
            if a is None:
                return None, None, None
            if a["expires"] <= time.time():
                self.counts["expired_401"] += 1
                return None, a["serial"], "Access denied: the access token has expired"
            return a["scopes"], a["serial"], None

    def revoke(self):
        """Revoke every token issued so far (a tenant admin removed the app)."""
        with self.lock:
            n = len(self.access)
            for r in self.refresh.values():
                r["spent"] = True
            self.access.clear()
            return n

    def expire(self):
        """Make every access token expire now (refresh tokens stay valid)."""
        with self.lock:
            for a in self.access.values():
                a["expires"] = 0
            return len(self.access)


class OAuthError(Exception):
    """An OAuth error answer: {"error": code, "error_description": text}."""

    def __init__(self, status, code, description):
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


def request_id(seed, n):
    """A random-looking 19-character id, deterministic per (seed, request number)."""
    v = int.from_bytes(hashlib.sha1(b"%d:%d" % (seed, n)).digest(), "big")
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(19):
        v, r = divmod(v, 36)
        out.append(chars[r])
    return "".join(out)


def error_body(rid, message):
    return json.dumps({"requestId": rid, "errors": [message]}, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------------------
# Cursors: base64url(JSON {s: sequence, o: next offset, p: page number, t: first request})
# ---------------------------------------------------------------------------------------
def encode_cursor(seq, offset, page, first_at):
    raw = json.dumps({"s": seq, "o": offset, "p": page, "t": round(first_at, 3)},
                     separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        c = json.loads(raw)
        return int(c["s"]), int(c["o"]), int(c["p"]), float(c["t"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ApiError(400, "cursor: invalid cursor") from None


# ---------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------
class Api:
    """Gong's /v2 endpoints over a Dataset; one call per request (thread-safe)."""

    def __init__(self, state, ds, opts):
        self.state, self.ds, self.opts = state, ds, opts
        self.users_json = [json.dumps(u, ensure_ascii=False, separators=(",", ":")).encode()
                           for u in ds.user_records()]
        self.ws_ids = {w["id"]: k for k, w in enumerate(ds.workspaces)}
        self.user_idx = {u["id"]: u["idx"] for u in ds._users}
        self.routes = {
            ("GET", "/v2/users"): (self.list_users, "api:users:read"),
            ("POST", "/v2/users/extensive"): (self.users_extensive, "api:users:read"),
            ("GET", "/v2/calls"): (self.list_calls, "api:calls:read:basic"),
            ("POST", "/v2/calls/extensive"): (self.calls_extensive, "api:calls:read:extensive"),
            ("POST", "/v2/calls/transcript"): (self.transcripts, "api:calls:read:transcript"),
            ("GET", "/v2/workspaces"): (self.workspaces, "api:workspaces:read"),
        }

    def route(self, method, path):
        """(handler, scope, path args) or raises ApiError 404/405."""
        hit = self.routes.get((method, path))
        if hit:
            return hit[0], hit[1], ()
        if any(p == path for _, p in self.routes):
            raise ApiError(405, "Method %s is not allowed for %s" % (method, path))
        parts = path.split("/")
        if len(parts) == 4 and parts[1] == "v2" and parts[3] and parts[2] in ("calls", "users"):
            if method != "GET":
                raise ApiError(405, "Method %s is not allowed for %s" % (method, path))
            if parts[2] == "calls":
                return self.get_call, "api:calls:read:basic", (parts[3],)
            return self.get_user, "api:users:read", (parts[3],)
        raise ApiError(404, "The requested resource %s does not exist" % path)

    # ---- request parsing helpers -------------------------------------------------------
    @staticmethod
    def _time(value, name):
        if value is None:
            return None
        try:
            return gongdata.parse_iso(value)
        except (ValueError, TypeError):
            raise ApiError(400, "%s: must be an ISO-8601 date-time, got %r"
                           % (name, value)) from None

    def _window(self, frm, to, prefix):
        f = self._time(frm, prefix + "fromDateTime")
        t = self._time(to, prefix + "toDateTime")
        if f is not None and t is not None and f > t:
            raise ApiError(400, "%sfromDateTime: must be before toDateTime" % prefix)
        return f, t

    @staticmethod
    def _id_list(value, name):
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ApiError(400, "%s: must be an array of strings" % name)
        if not value:
            raise ApiError(400, "%s: size must be between 1 and 10000" % name)
        return value

    @staticmethod
    def _body_filter(body, required=True):
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        flt = body.get("filter")
        if flt is None:
            if required:
                raise ApiError(400, "filter: must not be null")
            flt = {}
        if not isinstance(flt, dict):
            raise ApiError(400, "filter: must be an object")
        cursor = body.get("cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise ApiError(400, "cursor: must be a string")
        return flt, cursor

    # ---- selecting and paging ------------------------------------------------------------
    def _select(self, frm, to, ws=None, call_ids=None, users=None, transcripts=False):
        """Indices of the visible calls matching a filter, oldest first."""
        ds = self.ds
        lo, hi = ds.window_range(frm, to)
        if not transcripts:
            hi = min(hi, len(ds) - self.state.hidden_tail())
        if call_ids is not None:
            idx = sorted({ds._by_id[c] for c in call_ids if c in ds._by_id})
            items = [i for i in idx if lo <= i < hi]
            if transcripts:
                items = [i for i in items if ds.call_at(i).tr != gongdata.T_NONE]
        elif transcripts:
            pos = ds.transcript_positions()
            items = pos[bisect.bisect_left(pos, lo):bisect.bisect_left(pos, hi)]
        else:
            items = range(lo, hi)
        gone = self.state.vanished_set()
        if ws is not None or users is not None or gone:
            wsi = self.ws_ids.get(ws, -1) if ws is not None else None
            uset = {self.user_idx.get(u, -1) for u in users} if users is not None else None
            calls = ds._calls
            items = [i for i in items if i not in gone
                     and (wsi is None or calls[i].ws == wsi)
                     and (uset is None or calls[i].primary in uset)]
        return items

    def _page(self, items, cursor, fault, empty_msg):
        """(page items, records dict) for a cursor; raises 400 (bad or expired cursor)
        or 404 (empty result)."""
        now = time.time()
        if cursor:
            seq, off, page_no, first_at = decode_cursor(cursor)
            kind = fault and fault["kind"]
            if kind == "expire_cursor" or now - first_at > self.opts.cursor_ttl:
                raise ApiError(400, EXPIRED)
            if kind == "duplicate" and off > 0:
                off -= 1  # the last record of the previous page comes again
        else:
            seq, off, page_no, first_at = self.state.next_seq(), 0, 0, now
        total = len(items)
        chunk = items[off:off + PAGE]
        if not chunk:
            raise ApiError(404, empty_msg)
        records = {"totalRecords": total, "currentPageSize": len(chunk),
                   "currentPageNumber": page_no}
        if off + len(chunk) < total:
            records["cursor"] = encode_cursor(seq, off + len(chunk), page_no + 1, first_at)
        return chunk, records

    def _apply_vanish(self, fault, items, cursor):
        """A `vanish` fault: the given call (or the first one this page would hold)
        disappears from now on."""
        if not fault or fault["kind"] != "vanish":
            return
        cid = fault.get("call_id")
        if cid is not None:
            if cid in self.ds._by_id:
                self.state.vanish(self.ds._by_id[cid])
            return
        off = decode_cursor(cursor)[1] if cursor else 0
        if off < len(items):
            self.state.vanish(items[off])
        elif len(items):
            self.state.vanish(items[0])

    @staticmethod
    def _envelope(rid, records, key, parts):
        return b'{"requestId":"%s","records":%s,"%s":[%s]}' % (
            rid.encode(), json.dumps(records, separators=(",", ":")).encode(), key.encode(),
            b",".join(parts))

    def _paged_calls(self, rid, fault, cursor, select, key, render):
        items = select()
        if fault and fault["kind"] == "vanish":
            self._apply_vanish(fault, items, cursor)
            items = select()
        chunk, records = self._page(items, cursor, fault, NO_CALLS)
        return self._envelope(rid, records, key, [render(i) for i in chunk])

    # ---- endpoints -----------------------------------------------------------------------
    def list_users(self, rid, req, fault):
        items = range(len(self.users_json))
        chunk, records = self._page(items, req.query.get("cursor"), fault, NO_USERS)
        return self._envelope(rid, records, "users", [self.users_json[i] for i in chunk])

    def users_extensive(self, rid, req, fault):
        flt, cursor = self._body_filter(req.body)
        frm, to = self._window(flt.get("createdFromDateTime"), flt.get("createdToDateTime"),
                               "filter.created")
        ids = self._id_list(flt.get("userIds"), "filter.userIds")
        items = []
        for k, u in enumerate(self.ds.user_records()):
            created = gongdata.parse_iso(u["created"])
            if ((ids is None or u["id"] in ids) and (frm is None or created >= frm)
                    and (to is None or created < to)):
                items.append(k)
        chunk, records = self._page(items, cursor, fault, NO_USERS)
        return self._envelope(rid, records, "users", [self.users_json[i] for i in chunk])

    def get_user(self, rid, req, fault, user_id):
        for k, u in enumerate(self.ds.user_records()):
            if u["id"] == user_id:
                return b'{"requestId":"%s","user":%s}' % (rid.encode(), self.users_json[k])
        raise ApiError(404, "User not found")

    def workspaces(self, rid, req, fault):
        return json.dumps({"requestId": rid, "workspaces": self.ds.workspaces},
                          separators=(",", ":")).encode()

    def list_calls(self, rid, req, fault):
        q = req.query
        frm, to = self._window(q.get("fromDateTime"), q.get("toDateTime"), "")
        ws = q.get("workspaceId")
        return self._paged_calls(rid, fault, q.get("cursor"),
                                 lambda: self._select(frm, to, ws=ws), "calls",
                                 self.ds.meta_json)

    def get_call(self, rid, req, fault, call_id):
        i = self.ds._by_id.get(call_id)
        if (i is None or i >= len(self.ds) - self.state.hidden_tail()
                or i in self.state.vanished_set()):
            raise ApiError(404, "Call ID %s was not found" % call_id)
        return b'{"requestId":"%s","call":%s}' % (rid.encode(), self.ds.meta_json(i))

    def calls_extensive(self, rid, req, fault):
        flt, cursor = self._body_filter(req.body)
        frm, to = self._window(flt.get("fromDateTime"), flt.get("toDateTime"), "filter.")
        ids = self._id_list(flt.get("callIds"), "filter.callIds")
        users = self._id_list(flt.get("primaryUserIds"), "filter.primaryUserIds")
        try:
            sel = gongdata.normalize_selector(req.body.get("contentSelector"))
        except gongdata.SelectorError as e:
            raise ApiError(400, str(e)) from None
        if sel[7] and req.scopes is not None and MEDIA_SCOPE not in req.scopes:
            raise ApiError(403, "Access denied: exposedFields.media needs the scope %s"
                           % MEDIA_SCOPE)
        ws = flt.get("workspaceId")
        return self._paged_calls(
            rid, fault, cursor,
            lambda: self._select(frm, to, ws=ws, call_ids=ids, users=users), "calls",
            lambda i: self.ds.extensive_json(i, sel))

    def transcripts(self, rid, req, fault):
        flt, cursor = self._body_filter(req.body)
        frm, to = self._window(flt.get("fromDateTime"), flt.get("toDateTime"), "filter.")
        ids = self._id_list(flt.get("callIds"), "filter.callIds")
        ws = flt.get("workspaceId")
        return self._paged_calls(
            rid, fault, cursor,
            lambda: self._select(frm, to, ws=ws, call_ids=ids, transcripts=True),
            "callTranscripts", self.ds.transcript_json)


class Request:
    """What a handler needs from the HTTP request."""

    def __init__(self, method, path, query, body, scopes):
        self.method, self.path, self.query = method, path, query
        self.body, self.scopes = body, scopes


# ---------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakegong/1.0"
    sys_version = ""
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet: the request log is at /_fake/log
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    # ---- plumbing --------------------------------------------------------------------
    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, reply, body=None):
        """Write a full response (body may be a prefix of reply.body: truncation)."""
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.ctype)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.rid:
            self.send_header("x-gong-service-version", SERVICE_VERSION)
            self.send_header("x-traceid", reply.rid)
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(reply.body if body is None else body)

    def hang_up(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def auth(self):
        """(auth kind for the log, granted scopes or None for all, error or None, OAuth
        token serial or None)."""
        h = self.headers.get("Authorization") or ""
        opts = self.server.opts
        scheme, _, cred = h.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            try:
                plain = base64.b64decode(cred.strip(), validate=True).decode()
                key, _, secret = plain.partition(":")
            except (ValueError, UnicodeDecodeError):
                key = secret = None
            if key == opts.access_key and secret == opts.access_secret:
                return "basic", None, None, None
            return "basic", None, "Access denied: invalid access key or secret", None
        if scheme == "bearer":
            scopes = opts.bearers.get(cred.strip())
            if scopes is not None:
                return "bearer", scopes, None, None
            scopes, serial, error = self.server.oauth.check(cred.strip())
            if scopes is not None or error:
                return "bearer", scopes, error, serial
            return "bearer", None, "Access denied: the access token is invalid or expired", None
        return None, None, "Access denied: missing Authorization header", None

    # ---- dispatch --------------------------------------------------------------------
    def dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        try:
            raw = self.read_body()
            if path.startswith("/_fake/"):
                self.control(method, path, raw)
            elif path.startswith("/oauth2/"):
                self.oauth_request(method, path, url.query, raw)
            elif path == "/v2" or path.startswith("/v2/"):
                self.api_request(method, path, url.query, raw)
            else:
                rid = request_id(self.server.opts.seed, 0)
                self.send(Reply(404, error_body(rid, "Not found: " + path)))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def api_request(self, method, path, query_string, raw):
        st, opts = self.server.state, self.server.opts
        t_arrival = time.monotonic()
        n, limited = st.arrive(path, t_arrival)
        rid = request_id(opts.seed, n)
        query = {k: v[0] if len(v) == 1 else v
                 for k, v in urllib.parse.parse_qs(query_string, keep_blank_values=True).items()}
        body, bad_json = None, False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        cursor = query.get("cursor") if method == "GET" else (
            body.get("cursor") if isinstance(body, dict) else None)
        fault = st.take_fault(path, bool(cursor))
        entry = {"t": round(t_arrival, 6), "method": method, "path": path, "query": query,
                 "body": body, "auth": None, "status": None, "bytes": 0,
                 "fault": fault["kind"] if fault else None, "requestId": rid}
        kind, scopes, auth_error, serial = self.auth()
        entry["auth"] = kind
        if serial is not None:
            entry["token"] = serial
        if opts.latency_ms:
            time.sleep(opts.latency_ms / 1000)
        if fault and fault["kind"] == "drop":
            entry["status"] = "drop"
            st.record(entry)
            return self.hang_up()
        if fault and fault["kind"] == "slow":
            time.sleep(fault["seconds"])
        reply = self.answer(method, path, query, body, bad_json, rid, fault, limited,
                            scopes, auth_error)
        entry["status"] = reply.status
        if fault and fault["kind"] == "truncate":
            part = reply.body[:max(1, len(reply.body) // 2)]
            entry["bytes"] = len(part)
            st.record(entry)
            self.send(reply, part)
            return self.hang_up()
        entry["bytes"] = len(reply.body)
        st.record(entry)
        self.send(reply)

    def answer(self, method, path, query, body, bad_json, rid, fault, limited, scopes,
               auth_error):
        """The Reply for a /v2 request (faults that replace the answer included)."""
        kind = fault and fault["kind"]
        if kind == "status":
            headers = {}
            status = fault["status"]
            if "retry_after" in fault or status == 429:
                headers["Retry-After"] = str(fault.get("retry_after", 1))
            msg = fault.get("message") or "Injected failure: HTTP %d" % status
            return Reply(status, error_body(rid, msg), headers=headers, rid=rid)
        if kind == "html":
            return Reply(200, HTML_PAGE, "text/html; charset=utf-8", rid=rid)
        try:
            if auth_error:
                raise ApiError(401, auth_error)
            handler, scope, args = self.server.api.route(method, path)
            if scopes is not None and scope not in scopes:
                raise ApiError(403, "Access denied: %s %s needs the scope %s"
                               % (method, path, scope))
            if limited:
                which, wait = limited
                opts = self.server.opts
                msg = ("Too many requests: the limit is %g requests per second" % opts.rate
                       if which == "rate" else
                       "Daily API quota of %d requests exceeded" % opts.daily_limit)
                raise ApiError(429, msg, {"Retry-After": str(wait)})
            if bad_json:
                raise ApiError(400, "Malformed JSON in the request body")
            req = Request(method, path, query, body, scopes)
            out = handler(rid, req, fault, *args)
            reply = Reply(200, out, rid=rid)
        except ApiError as e:
            reply = Reply(e.status, error_body(rid, e.message), headers=e.headers, rid=rid)
        except Exception as e:  # a bug here must not look like a network failure
            sys.stderr.write("fakegong: internal error on %s %s: %r\n" % (method, path, e))
            reply = Reply(500, error_body(rid, "Internal server error"), rid=rid)
        if kind == "malformed":
            cut = reply.body[:max(10, len(reply.body) // 3)]
            reply = Reply(200, cut + b',"calls":[{"id":"12', rid=rid)
        return reply

    # ---- OAuth -----------------------------------------------------------------------------
    def oauth_request(self, method, path, query_string, raw):
        """/oauth2/authorize (auto-approve) and /oauth2/generate-customer-token. Logged like
        /v2 requests, but the log holds no code, token or secret: `query` and `body` list
        the parameters with those values replaced by "<redacted>"."""
        st = self.server.state
        query = dict(urllib.parse.parse_qsl(query_string, keep_blank_values=True))
        form = {}
        if raw and "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            form = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace"),
                                               keep_blank_values=True))
        hidden = ("code", "refresh_token", "client_secret", "access_token")
        entry = {"t": round(time.monotonic(), 6), "method": method, "path": path,
                 "query": {k: "<redacted>" if k in hidden else v for k, v in query.items()},
                 "body": {k: "<redacted>" if k in hidden else v for k, v in form.items()},
                 "auth": None, "status": None, "bytes": 0, "fault": None, "requestId": None,
                 "raw_query": query_string}
        if (method, path) == ("GET", "/oauth2/authorize"):
            status, headers, body = self.oauth_authorize(query)
        elif (method, path) == ("POST", "/oauth2/generate-customer-token"):
            entry["auth"] = "basic" if self.headers.get("Authorization", "").lower() \
                .startswith("basic ") else None
            params = dict(query)
            params.update(form)
            entry["grant_type"] = params.get("grant_type")
            status, headers, body = self.oauth_token(params)
        else:
            status, headers, body = 404, {}, {"error": "not_found"}
        entry["status"] = status
        if isinstance(body, dict):
            entry["error"] = body.get("error")
            data = json.dumps(body).encode()
            ctype = "application/json;charset=UTF-8"
        else:
            data, ctype = body, "text/plain; charset=utf-8"
        entry["bytes"] = len(data)
        st.record(entry)
        headers = dict(headers)
        headers["Cache-Control"] = "no-store"
        self.send(Reply(status, data, ctype, headers=headers))

    def oauth_authorize(self, q):
        """Approve at once (the test plays the user): 302 to redirect_uri with code and
        state, or with error=... (access_denied under --oauth-deny, invalid_scope,
        unsupported_response_type). A bad client_id or redirect_uri is not redirected."""
        oa, opts = self.server.oauth, self.server.opts
        oa.count("authorize")
        redirect = q.get("redirect_uri") or ""
        if q.get("client_id") != opts.client_id:
            return 400, {}, b"unknown client_id\n"
        parts = urllib.parse.urlsplit(redirect)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return 400, {}, b"missing or bad redirect_uri\n"
        params = {}
        scopes = [s for s in (q.get("scope") or "").split(" ") if s]
        known = set(READ_SCOPES) | {MEDIA_SCOPE, "api:workspaces:read"}
        if q.get("response_type") != "code":
            params["error"] = "unsupported_response_type"
        elif not scopes or any(s not in known for s in scopes):
            params["error"] = "invalid_scope"
        elif opts.oauth_deny:
            params["error"] = "access_denied"
        else:
            granted = [s for s in scopes if opts.oauth_grant is None or s in opts.oauth_grant]
            params["code"] = oa.new_code(redirect, set(granted))
        if "state" in q:
            params["state"] = q["state"]
        sep = "&" if parts.query else "?"
        location = redirect + sep + urllib.parse.urlencode(params)
        return 302, {"Location": location}, b""

    def oauth_token(self, p):
        """Exchange a code or spend a refresh token; HTTP Basic client authentication."""
        oa, opts = self.server.oauth, self.server.opts
        h = self.headers.get("Authorization") or ""
        scheme, _, cred = h.strip().partition(" ")
        try:
            plain = base64.b64decode(cred.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            plain = ""
        cid, _, secret = plain.partition(":")
        grant = p.get("grant_type")
        oa.count("token_" + (grant or "none"))
        if scheme.lower() != "basic" or cid != opts.client_id or secret != opts.client_secret:
            oa.count("invalid_client")
            return 401, {}, {"error": "invalid_client",
                             "error_description": "Client authentication failed"}
        try:
            if grant == "authorization_code":
                if p.get("client_id") not in (None, opts.client_id):
                    raise OAuthError(400, "invalid_grant", "client_id does not match")
                access, refresh, scopes = oa.redeem_code(p.get("code") or "",
                                                         p.get("redirect_uri") or "")
            elif grant == "refresh_token":
                access, refresh, scopes = oa.redeem_refresh(p.get("refresh_token") or "")
            else:
                raise OAuthError(400, "unsupported_grant_type", "grant_type %r" % grant)
        except OAuthError as e:
            oa.count(e.code)
            return e.status, {}, {"error": e.code, "error_description": e.description}
        oa.count("issued_" + grant)
        ttl = opts.token_ttl
        ttl = int(ttl) if ttl == int(ttl) else ttl
        base = opts.api_base_url or "http://127.0.0.1:%d" % self.server.server_address[1]
        return 200, {}, {"access_token": access, "refresh_token": refresh,
                         "scope": " ".join(s for s in READ_SCOPES + [MEDIA_SCOPE,
                                                                     "api:workspaces:read"]
                                           if s in scopes),
                         "expires_in": ttl, "token_type": "bearer",
                         "api_base_url_for_customer": base}

    # ---- control endpoints ---------------------------------------------------------------
    def control(self, method, path, raw):
        st = self.server.state
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self.control_reply(400, {"error": "malformed JSON"})
        if (method, path) == ("GET", "/_fake/stats"):
            out = st.stats()
            out["oauth"] = self.server.oauth.stats()
            return self.control_reply(200, out)
        if (method, path) == ("POST", "/_fake/oauth/revoke"):
            return self.control_reply(200, {"revoked": self.server.oauth.revoke()})
        if (method, path) == ("POST", "/_fake/oauth/expire"):
            return self.control_reply(200, {"expired": self.server.oauth.expire()})
        if (method, path) == ("GET", "/_fake/log"):
            return self.control_reply(200, st.log_copy())
        if (method, path) == ("POST", "/_fake/reset"):
            st.reset()
            return self.control_reply(200, {"reset": True})
        if (method, path) == ("POST", "/_fake/publish"):
            return self.control_reply(200, {"published": st.publish()})
        if (method, path) == ("GET", "/_fake/faults"):
            return self.control_reply(200, st.faults_left())
        if (method, path) == ("POST", "/_fake/faults"):
            entries = body if isinstance(body, list) else [body] if isinstance(body, dict) else None
            if entries is None:
                return self.control_reply(400, {"error": "expected a JSON list of faults"})
            try:
                return self.control_reply(200, st.set_faults(entries))
            except (ValueError, TypeError) as e:
                return self.control_reply(400, {"error": str(e)})
        if (method, path) == ("GET", "/_fake/config"):
            o = self.server.opts
            return self.control_reply(200, {
                "seed": o.seed, "calls": o.calls, "start": o.start, "days": o.days,
                "extra_users": o.extra_users, "rate": o.rate, "daily_limit": o.daily_limit,
                "cursor_ttl": o.cursor_ttl, "late": st.hidden_tail(),
                "late_ids": self.server.ds.latest(st.hidden_tail())})
        return self.control_reply(404, {"error": "unknown control endpoint " + path})

    def control_reply(self, status, obj):
        self.send(Reply(status, json.dumps(obj, ensure_ascii=False).encode("utf-8")))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True


# ---------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------
def parse_bearer(spec):
    token, _, scopes = spec.partition("=")
    if not token:
        raise argparse.ArgumentTypeError("empty bearer token")
    return token, (set(READ_SCOPES) if not scopes else
                   {s.strip() for s in scopes.split(",") if s.strip()})


def parse_fault(spec):
    try:
        v = json.loads(spec)
        entries = v if isinstance(v, list) else [v]
        return [State.normalize_fault(f) for f in entries]
    except (ValueError, TypeError) as e:
        raise argparse.ArgumentTypeError("bad --fault %r: %s" % (spec, e))


def parse_args(argv):
    p = argparse.ArgumentParser(description="Fake Gong API v2 server on 127.0.0.1.")
    p.add_argument("--port", type=int, default=0, help="0 = any free port")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--start", default="2024-01-01", help="first day (UTC)")
    p.add_argument("--days", type=int, default=120)
    p.add_argument("--extra-users", type=int, default=0,
                   help="Gong users beyond the ~25-person sales team (to page /v2/users)")
    p.add_argument("--rate", type=float, default=3,
                   help="max /v2 requests in any sliding 1 s window; 0 = unlimited")
    p.add_argument("--daily-limit", type=int, default=0, help="/v2 requests per run; 0 = none")
    p.add_argument("--latency-ms", type=float, default=0)
    p.add_argument("--access-key", default="demo-key")
    p.add_argument("--access-secret", default="demo-secret")
    p.add_argument("--bearer", action="append", type=parse_bearer, default=[],
                   metavar="TOKEN[=SCOPE,...]")
    p.add_argument("--cursor-ttl", type=float, default=3600, help="seconds")
    p.add_argument("--client-id", default="demo-client-id", help="the OAuth app's client id")
    p.add_argument("--client-secret", default="demo-client-secret",
                   help="the OAuth app's client secret")
    p.add_argument("--token-ttl", type=float, default=3600,
                   help="seconds an OAuth access token lives")
    p.add_argument("--api-base-url", default=None,
                   help="api_base_url_for_customer in token answers (default: this server)")
    p.add_argument("--oauth-deny", action="store_true",
                   help="/oauth2/authorize redirects with error=access_denied")
    p.add_argument("--oauth-grant", default=None, metavar="SCOPE,...",
                   help="grant only these of the requested scopes (default: all requested)")
    p.add_argument("--fault", action="append", type=parse_fault, default=[], metavar="JSON")
    p.add_argument("--late", type=int, default=0,
                   help="hold back the N newest calls until POST /_fake/publish")
    p.add_argument("--log", help="append every /v2 request as a JSON line to this file")
    p.add_argument("--prewarm", action="store_true",
                   help="generate every page fragment before serving (~60 KB of RAM a call)")
    opts = p.parse_args(argv)
    opts.bearers = dict(opts.bearer)
    if opts.oauth_grant is not None:
        opts.oauth_grant = {s.strip() for s in opts.oauth_grant.split(",") if s.strip()}
    opts.fault_entries = [f for group in opts.fault for f in group]
    return opts


def prewarm(ds):
    ds._frags.cap = max(ds._frags.cap, 2 * len(ds) + 16)
    for i in range(len(ds)):
        ds.transcript_json(i)
        ds.extensive_json(i)


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    ds = gongdata.Dataset(seed=opts.seed, calls=opts.calls, start=opts.start, days=opts.days,
                          extra_users=opts.extra_users)
    gongdata.warm_library()
    if opts.prewarm:
        prewarm(ds)
    server = Server(("127.0.0.1", opts.port), Handler)
    server.opts, server.ds = opts, ds
    server.state = State(opts, ds)
    server.api = Api(server.state, ds, opts)
    server.oauth = OAuth(opts)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              daemon=True)
    thread.start()
    print("URL http://127.0.0.1:%d" % server.server_address[1], flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
