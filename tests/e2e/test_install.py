"""`make install` and `make uninstall` into a DESTDIR, the installed extension, the man pages
and the bash completion.

The install is checked file by file (programs, lib/callmine/callmine.so, both man pages, the
completion under both names), the installed programs and extension are run, and uninstall
must leave no file behind. The man pages must render with no warning from groff (-ww) and
through man -l; groff comes with man-db's groff-base, installed here only when missing.
"""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGES = ["callmine-ingest.1", "callmine-query.1"]


def make(*args):
    p = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    return p


def load_and_call(extension, sql):
    """Python's sqlite3 loads the extension and answers sql, in a child process: a build
    under SANITIZE=address needs the ASan runtime preloaded, which this process cannot do."""
    env = dict(os.environ)
    so = str(extension) + ".so"
    if "libasan" in subprocess.run(["ldd", so], capture_output=True, text=True).stdout:
        libasan = subprocess.run(["cc", "-print-file-name=libasan.so"], capture_output=True,
                                 text=True).stdout.strip()
        env.update(LD_PRELOAD=libasan, ASAN_OPTIONS="detect_leaks=0")
    code = ("import sqlite3, sys\n"
            "con = sqlite3.connect(':memory:')\n"
            "con.enable_load_extension(True)\n"
            "con.load_extension(sys.argv[1])\n"
            "print(con.execute(sys.argv[2]).fetchone()[0])\n")
    p = subprocess.run([sys.executable, "-c", code, str(extension), sql], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout.strip()


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() or p.is_symlink())


def test_install_then_uninstall_leaves_nothing(tmp_path):
    dest = tmp_path / "dest"
    make("install", f"DESTDIR={dest}", "PREFIX=/opt/cm")
    prefix = dest / "opt" / "cm"
    assert files_under(dest) == sorted([
        "opt/cm/bin/callmine-ingest", "opt/cm/bin/callmine-query",
        "opt/cm/lib/callmine/callmine.so",
        "opt/cm/share/bash-completion/completions/callmine-ingest",
        "opt/cm/share/bash-completion/completions/callmine-query",
        "opt/cm/share/man/man1/callmine-ingest.1", "opt/cm/share/man/man1/callmine-query.1"])
    assert os.access(prefix / "bin" / "callmine-query", os.X_OK)
    comp = prefix / "share" / "bash-completion" / "completions"
    assert os.readlink(comp / "callmine-ingest") == "callmine-query"
    # the installed programs run, and the extension loads as the README says
    p = subprocess.run([str(prefix / "bin" / "callmine-query"), "--help"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0 and "show CALL_ID" in p.stdout
    assert load_and_call(prefix / "lib" / "callmine" / "callmine",
                         "SELECT regexp('^Q[0-9]', 'Q3 plan')") == "1"
    make("uninstall", f"DESTDIR={dest}", "PREFIX=/opt/cm")
    assert files_under(dest) == []
    assert not (prefix / "lib" / "callmine").exists()


def test_completion_completes(tmp_path):
    script = f"""
source {ROOT}/completion/callmine.bash
PATH={os.environ.get('CALLMINE_BIN', ROOT / 'bin')}:$PATH
c() {{ COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
      case $1 in callmine-query) _callmine_query;; *) _callmine_ingest;; esac
      echo "${{COMPREPLY[*]}}"; }}
c callmine-query gr
c callmine-query --db x.db sh
c callmine-query analyze talk
c callmine-query calls --format j
c callmine-query grep x --max
c callmine-ingest --include
c callmine-ingest lo
"""
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["grep", "show", "talk-ratio", "json jsonl",
                                     "--max-amount --max-hits", "--include-private", "login"]


def groff():
    if not shutil.which("groff"):
        if os.geteuid() != 0:
            pytest.skip("groff is missing and this is not root")
        subprocess.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
                       "apt-get install -y -qq groff-base man-db >/dev/null",
                       shell=True, check=True, timeout=600)
    return shutil.which("groff")


@pytest.mark.parametrize("page", PAGES)
def test_man_page_renders_without_warnings(page):
    path = ROOT / "man" / page
    p = subprocess.run([groff(), "-ww", "-z", "-man", str(path)], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    p = subprocess.run(["man", "-l", str(path)], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat"))
    assert p.returncode == 0 and p.stderr == "", p.stderr
    text = p.stdout
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS",
                    "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"):
        assert f"\n{section}\n" in text, section


def test_man_pages_name_every_command_and_option():
    query = (ROOT / "man" / "callmine-query.1").read_text().replace("\\-", "-")
    for word in ("sql", "calls", "show", "grep", "search", "analyze", "report", "export", "mcp",
                 "--from", "--to", "--rep", "--participant", "--stage", "--min-amount",
                 "--max-amount", "--owner", "--company-size", "--outcome", "--deal-timing",
                 "--where", "--no-pager", "--max-hits", "PAGER", "LESS", "COLUMNS",
                 "CALLMINE_DB", "lib/callmine/callmine"):
        assert word in query, word
    ingest = (ROOT / "man" / "callmine-ingest.1").read_text().replace("\\-", "-")
    helptext = subprocess.run([str(pathlib.Path(os.environ.get("CALLMINE_BIN", ROOT / "bin")) /
                                   "callmine-ingest"), "--help"],
                              capture_output=True, text=True, timeout=30).stdout
    import re
    for opt in set(re.findall(r"--[a-z][a-z-]+", helptext)):
        assert opt in ingest, opt
    assert "login" in ingest and "GONG_ACCESS_KEY" in ingest
