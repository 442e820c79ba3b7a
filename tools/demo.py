#!/usr/bin/env python3
"""make demo: a fake Gong on loopback, a few hundred synthetic calls mirrored into demo.db
with the progress bar, then a few questions asked of the mirror. Under a minute."""
import os
import pathlib
import signal
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = ROOT / "bin"
DB = ROOT / "demo.db"


def say(title, cmd):
    print(f"\n$ {' '.join(str(c) for c in cmd)}", flush=True)
    subprocess.run([str(c) for c in cmd], check=True)


def main():
    for suffix in ("", "-wal", "-shm"):
        pathlib.Path(str(DB) + suffix).unlink(missing_ok=True)
    srv = subprocess.Popen([sys.executable, str(ROOT / "tools" / "fakegong.py"), "--port", "0",
                            "--calls", "400", "--seed", "42", "--start", "2024-01-01",
                            "--days", "120", "--rate", "20"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = srv.stdout.readline().split()[1]
        env = dict(os.environ, GONG_ACCESS_KEY="demo-key", GONG_ACCESS_KEY_SECRET="demo-secret",
                   GONG_BASE_URL=url)
        print(f"fake Gong listening on {url} (400 synthetic calls, limit 20 requests/s)")
        cmd = [BIN / "callmine-ingest", "--db", DB, "--from", "2024-01-01", "--to",
               "2024-06-01", "--rate", "15"]
        print(f"\n$ {' '.join(str(c) for c in cmd)}", flush=True)
        subprocess.run([str(c) for c in cmd], env=env, check=True)
    finally:
        srv.send_signal(signal.SIGTERM)
        srv.wait(10)

    q = [BIN / "callmine-query", "--db", DB]
    say("status", [BIN / "callmine-ingest", "--db", DB, "--status"])
    say("deals by stage", q + ["sql", "select stage, count(*) calls, round(avg(amount)) avg_amount "
                                     "from deals where timing = 'Now' group by stage order by 2 desc"])
    say("lost deals over $50k", q + ["calls", "--stage", "closedlost", "--min-amount", "50000",
                                     "--deal-timing", "now"])
    say("who mentions a competitor", q + ["grep", "-i", r"\bclarivox\b", "--speaker", "customer",
                                           "--max-hits", "5"])
    say("talk ratio per rep", q + ["analyze", "talk-ratio"])
    say("a competitor in won vs lost deals", q + ["analyze", "won-vs-lost", "clarivox", "-i"])
    report = ROOT / "demo-report.html"
    say("an HTML report", q + ["report", "--mention", "Clarivox", "-o", report])
    print(f"\nThe mirror is {DB.name}, the report {report.name}; "
          f"try: bin/callmine-query --db {DB.name} --help")


if __name__ == "__main__":
    main()
