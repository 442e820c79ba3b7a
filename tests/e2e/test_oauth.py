"""OAuth end to end: `callmine-ingest login` against the fake server's OAuth app endpoints
(the test plays the browser: it opens the printed authorize URL and follows the redirect to
the loopback callback), then runs that use, refresh and rotate the saved tokens.

What must hold: only the four read scopes are asked for; the state is checked; the token
file is 0600 and the only place the secrets live (never argv, stderr, URLs or the database);
a run crosses access-token expiries by refreshing; a 401 triggers one refresh; a refresh
token is spent once (the fake server refuses a reused one, and two processes sharing the
file never spend one twice); a spent or revoked login is one line and exit 3.
"""
import os
import pathlib
import re
import shutil
import stat
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import INGEST, connect, ingest_env

CLIENT_ID, CLIENT_SECRET = "demo-client-id", "demo-client-secret"
READ_SCOPES = ["api:calls:read:basic", "api:calls:read:extensive",
               "api:calls:read:transcript", "api:users:read"]
RELOGIN = ("callmine-ingest: the Gong login has expired or was revoked: "
           "run callmine-ingest login")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def oauth_env(tmp_path, srv=None, **extra):
    """An environment with no static credentials: HOME in tmp_path, the OAuth endpoints of
    srv, no GONG_BASE_URL (the login names the API base)."""
    env = ingest_env(None, GONG_ACCESS_KEY=None, GONG_ACCESS_KEY_SECRET=None,
                     HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=None, DISPLAY=None,
                     WAYLAND_DISPLAY=None, CALLMINE_TOKEN_FILE=None)
    if srv is not None:
        env["GONG_OAUTH_AUTHORIZE_URL"] = srv.url + "/oauth2/authorize"
        env["GONG_OAUTH_TOKEN_URL"] = srv.url + "/oauth2/generate-customer-token"
    env.update({k: v for k, v in extra.items() if v is not None})
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
    return env


def default_token_file(tmp_path):
    return tmp_path / "home" / ".config" / "callmine" / "token"


def login(srv, tmp_path, *args, tamper=None, env=None, client=True):
    """Run `callmine-ingest login`, play the browser, return (exit, stderr, callback status,
    authorize URL)."""
    env = env or oauth_env(tmp_path, srv)
    if client:
        env.setdefault("GONG_CLIENT_ID", CLIENT_ID)
        env.setdefault("GONG_CLIENT_SECRET", CLIENT_SECRET)
    env["CALLMINE_LOGIN_TIMEOUT"] = "30"
    p = subprocess.Popen([INGEST, "login", "--no-browser", *args], env=env,
                         stderr=subprocess.PIPE, text=True)
    lines, auth_url = [], None
    while True:
        line = p.stderr.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("http"):
            auth_url = line.strip()
            break
    status = None
    if auth_url:
        try:
            urllib.request.build_opener(NoRedirect).open(auth_url, timeout=10)
            raise AssertionError("authorize did not redirect")
        except urllib.error.HTTPError as e:
            assert e.code == 302, e.code
            location = e.headers["Location"]
        if tamper:
            location = tamper(location)
        try:
            with urllib.request.urlopen(location, timeout=30) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
    rest = p.stderr.read()
    code = p.wait(30)
    return code, "".join(lines) + rest, status, auth_url


def run(db, env, *args, timeout=120):
    return subprocess.run([INGEST, "--db", str(db), "--rate", "0", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout)


def token_fields(path):
    out = {}
    for line in pathlib.Path(path).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip()
    return out


def secrets_of(path):
    f = token_fields(path)
    return [f["access_token"], f["refresh_token"], CLIENT_SECRET]


def db_bytes(db):
    """Every byte SQLite keeps for db: the file, its WAL and journal."""
    data = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = pathlib.Path(str(db) + suffix)
        if p.exists():
            data += p.read_bytes()
    return data


def v2(log):
    return [e for e in log if e["path"].startswith("/v2")]


# ---------------------------------------------------------------------------------------
def test_login_end_to_end(fakegong, tmp_path):
    srv = fakegong(calls=200, seed=3)
    code, err, status, auth_url = login(srv, tmp_path)
    assert code == 0, err
    assert status == 200
    tok = default_token_file(tmp_path)
    # the token file: 0600 in a 0700 directory, with the tenant's API base URL
    assert stat.S_IMODE(tok.stat().st_mode) == 0o600
    assert stat.S_IMODE(tok.parent.stat().st_mode) == 0o700
    f = token_fields(tok)
    assert f["access_token"].startswith("at-") and f["refresh_token"].startswith("rt-")
    assert f["api_base_url"] == srv.url
    assert f["scope"].split() == READ_SCOPES
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", f["expires_at"])
    # the authorize request: the four read scopes and nothing else, a loopback redirect,
    # a random state
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(auth_url).query)
    assert q["scope"][0].split(" ") == READ_SCOPES
    assert q["response_type"] == ["code"] and q["client_id"] == [CLIENT_ID]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/callback", q["redirect_uri"][0])
    assert re.fullmatch(r"[0-9a-f]{32}", q["state"][0])
    log = srv.log()
    tokens = [e for e in log if e["path"] == "/oauth2/generate-customer-token"]
    assert len(tokens) == 1 and tokens[0]["auth"] == "basic"
    assert tokens[0]["grant_type"] == "authorization_code" and tokens[0]["status"] == 200
    assert tokens[0]["raw_query"] == ""  # code and secret travel in the body and header
    # no secret on stderr
    for s in secrets_of(tok):
        assert s not in err

    # a run with the login only: the stored base URL, Bearer, nothing secret in the DB
    db = tmp_path / "m.db"
    env = oauth_env(tmp_path)
    p = run(db, env, "--from", "2024-01-01", "--verbose")
    assert p.returncode == 0, p.stderr
    con = connect(db)
    assert con.execute("select count(*) from calls").fetchone()[0] == 200
    con.close()
    calls = v2(srv.log())
    assert calls and all(e["auth"] == "bearer" and e["token"] == 1 for e in calls)
    blob = db_bytes(db)
    for s in secrets_of(tok):
        assert s.encode() not in blob
        assert s not in p.stderr
    for e in srv.log():
        assert CLIENT_SECRET not in e.get("raw_query", "") and CLIENT_SECRET not in str(
            e.get("query"))


def test_run_across_expiry_refreshes_and_rotates(fakegong, tmp_path):
    srv = fakegong(calls=300, seed=4, token_ttl=2)
    code, err, _, _ = login(srv, tmp_path)
    assert code == 0, err
    tok = default_token_file(tmp_path)
    first = token_fields(tok)
    db = tmp_path / "m.db"
    env = oauth_env(tmp_path)
    # throttled to about 2 requests/s: the run outlives several 2 s access tokens
    p = subprocess.run([INGEST, "--db", str(db), "--rate", "2", "--from", "2024-01-01",
                        "--verbose"], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    st = srv.stats()["oauth"]
    assert st.get("issued_refresh_token", 0) >= 1
    assert st.get("invalid_grant", 0) == 0
    calls = v2(srv.log())
    assert len({e["token"] for e in calls}) >= 2, [e["token"] for e in calls]
    assert all(e["status"] == 200 for e in calls)  # refreshed before expiry: no 401
    assert "refreshed the Gong access token" in p.stderr
    # rotated: the file holds a new refresh token; the login's one is spent
    now = token_fields(tok)
    assert now["refresh_token"] != first["refresh_token"]
    assert st["live_refresh_tokens"] == 1
    assert stat.S_IMODE(tok.stat().st_mode) == 0o600
    assert not [x for x in tok.parent.iterdir() if ".tmp." in x.name]
    con = connect(db)
    assert con.execute("select count(*) from calls").fetchone()[0] == 300
    con.close()
    for s in secrets_of(tok) + [first["access_token"], first["refresh_token"]]:
        assert s not in p.stderr
        assert s.encode() not in db_bytes(db)


def test_401_refreshes_once_and_retries(fakegong, tmp_path):
    srv = fakegong(calls=200, seed=5)
    assert login(srv, tmp_path)[0] == 0
    srv._call("POST", "/_fake/oauth/expire", {})  # the server ends the token early
    db = tmp_path / "m.db"
    p = run(db, oauth_env(tmp_path), "--from", "2024-01-01")
    assert p.returncode == 0, p.stderr
    calls = v2(srv.log())
    assert calls[0]["status"] == 401 and calls[0]["token"] == 1
    assert calls[1]["path"] == calls[0]["path"] and calls[1]["token"] == 2
    assert all(e["status"] == 200 for e in calls[1:])
    assert srv.stats()["oauth"]["issued_refresh_token"] == 1


def test_reused_refresh_token_is_refused(fakegong, tmp_path):
    srv = fakegong(calls=100, seed=6)
    assert login(srv, tmp_path)[0] == 0
    tok = default_token_file(tmp_path)
    old = token_fields(tok)["refresh_token"]
    srv._call("POST", "/_fake/oauth/expire", {})
    assert run(tmp_path / "m.db", oauth_env(tmp_path), "--from", "2024-01-01").returncode == 0
    assert token_fields(tok)["refresh_token"] != old
    # the fake server refuses the spent token
    data = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": old}).encode()
    req = urllib.request.Request(srv.url + "/oauth2/generate-customer-token", data=data,
                                 method="POST")
    import base64
    req.add_header("Authorization", "Basic " + base64.b64encode(
        (CLIENT_ID + ":" + CLIENT_SECRET).encode()).decode())
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 400
    assert b'"invalid_grant"' in e.value.read()


def test_spent_login_is_one_line_exit_3(fakegong, tmp_path):
    """A token file restored from a backup holds a spent refresh token: one line, exit 3,
    no API request."""
    srv = fakegong(calls=100, seed=7)
    assert login(srv, tmp_path)[0] == 0
    tok = default_token_file(tmp_path)
    backup = tmp_path / "token.bak"
    shutil.copy2(tok, backup)
    srv._call("POST", "/_fake/oauth/expire", {})
    assert run(tmp_path / "a.db", oauth_env(tmp_path), "--from", "2024-01-01").returncode == 0
    # restore the backup with its access token marked expired
    text = backup.read_text()
    text = re.sub(r"expires_at=.*", "expires_at=2020-01-01T00:00:00.000Z", text)
    tok.write_text(text)
    os.chmod(tok, 0o600)
    srv.reset()
    p = run(tmp_path / "b.db", oauth_env(tmp_path), "--from", "2024-01-01")
    assert p.returncode == 3
    assert p.stderr.strip() == RELOGIN
    assert v2(srv.log()) == []
    assert srv.stats()["oauth"]["invalid_grant"] == 1


def test_revoked_login_mid_run_exit_3(fakegong, tmp_path):
    """Revoked by the tenant: the API says 401, the refresh says invalid_grant."""
    srv = fakegong(calls=100, seed=8)
    assert login(srv, tmp_path)[0] == 0
    srv._call("POST", "/_fake/oauth/revoke", {})
    p = run(tmp_path / "m.db", oauth_env(tmp_path), "--from", "2024-01-01")
    assert p.returncode == 3, p.stderr
    assert RELOGIN in p.stderr.splitlines()
    calls = v2(srv.log())
    assert len(calls) == 1 and calls[0]["status"] == 401


def test_state_mismatch_refused(fakegong, tmp_path):
    srv = fakegong(calls=50)

    def forge(location):
        return re.sub(r"state=[0-9a-f]+", "state=" + "0" * 32, location)

    code, err, status, _ = login(srv, tmp_path, tamper=forge)
    assert code == 3
    assert status == 400
    lines = [l for l in err.splitlines() if "state" in l and "refused" in l]
    assert len(lines) == 1, err
    assert not default_token_file(tmp_path).exists()
    assert "token_authorization_code" not in srv.stats()["oauth"]  # the code was not spent


def test_missing_state_and_denied_login(fakegong, tmp_path):
    srv = fakegong(calls=50)

    def drop_state(location):
        return re.sub(r"&?state=[0-9a-f]+", "", location)

    code, err, status, _ = login(srv, tmp_path, tamper=drop_state)
    assert code == 3 and status == 400 and "state" in err
    deny = fakegong(calls=50, oauth_deny=True)
    code, err, status, _ = login(deny, tmp_path)
    assert code == 3, err
    assert "login refused by Gong: access_denied" in err
    assert not default_token_file(tmp_path).exists()


def test_login_configuration_errors(fakegong, tmp_path):
    srv = fakegong(calls=50)
    env = oauth_env(tmp_path, srv)
    p = subprocess.run([INGEST, "login", "--no-browser"], env=env, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2
    assert p.stderr.strip().startswith("callmine-ingest: no OAuth app credentials")
    assert len(p.stderr.strip().splitlines()) == 1
    p = subprocess.run([INGEST, "login", CLIENT_SECRET], env=env, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2 and CLIENT_SECRET not in p.stderr
    env2 = dict(env, GONG_CLIENT_ID=CLIENT_ID, GONG_CLIENT_SECRET=CLIENT_SECRET,
                GONG_OAUTH_TOKEN_URL="http://gong.example.com/token")
    p = subprocess.run([INGEST, "login", "--no-browser"], env=env2, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2 and "refusing plain http" in p.stderr
    assert not default_token_file(tmp_path).exists()
    assert srv.stats()["oauth"].get("authorize", 0) == 0


def test_login_with_credentials_file_and_token_file_option(fakegong, tmp_path):
    srv = fakegong(calls=100, seed=9)
    creds = tmp_path / "creds"
    creds.write_text(f"client_id={CLIENT_ID}\nclient_secret={CLIENT_SECRET}\n")
    os.chmod(creds, 0o600)
    tok = tmp_path / "elsewhere" / "tok"
    code, err, _, _ = login(srv, tmp_path, "--credentials", str(creds), "--token-file", str(tok),
                            client=False)
    assert code == 0, err
    assert stat.S_IMODE(tok.stat().st_mode) == 0o600
    assert not default_token_file(tmp_path).exists()
    # later runs: --token-file; a credentials file readable by others is refused
    p = run(tmp_path / "m.db", oauth_env(tmp_path), "--from", "2024-01-01", "--token-file", tok)
    assert p.returncode == 0, p.stderr
    os.chmod(tok, 0o644)
    srv.reset()
    p = run(tmp_path / "n.db", oauth_env(tmp_path), "--from", "2024-01-01", "--token-file", tok)
    assert p.returncode == 2 and "readable by others" in p.stderr
    assert not (tmp_path / "n.db").exists()
    assert srv.stats()["requests"] == 0


def test_base_url_flag_wins_over_the_login(fakegong, tmp_path):
    srv = fakegong(calls=100, seed=10, api_base_url="http://127.0.0.1:9")
    assert login(srv, tmp_path)[0] == 0
    assert token_fields(default_token_file(tmp_path))["api_base_url"] == "http://127.0.0.1:9"
    p = run(tmp_path / "m.db", oauth_env(tmp_path), "--from", "2024-01-01", "--base-url",
            srv.url)
    assert p.returncode == 0, p.stderr
    assert len(v2(srv.log())) > 0


def test_two_processes_never_spend_one_refresh_token(fakegong, tmp_path):
    """Both start with an expired access token and the same file: the lock makes one
    refresh, the other re-reads the file and uses its result."""
    srv = fakegong(calls=100, seed=11)
    assert login(srv, tmp_path)[0] == 0
    tok = default_token_file(tmp_path)
    tok.write_text(re.sub(r"expires_at=.*", "expires_at=2020-01-01T00:00:00.000Z",
                          tok.read_text()))
    os.chmod(tok, 0o600)
    env = oauth_env(tmp_path)
    procs = [subprocess.Popen([INGEST, "--db", str(tmp_path / f"p{i}.db"), "--rate", "0",
                               "--from", "2024-01-01"], env=env, stderr=subprocess.PIPE,
                              text=True) for i in range(4)]
    outs = [(p.wait(120), p.stderr.read()) for p in procs]
    for code, err in outs:
        assert code == 0, err
    st = srv.stats()["oauth"]
    assert st.get("invalid_grant", 0) == 0
    assert st["issued_refresh_token"] == 1
    assert st["live_refresh_tokens"] == 1
