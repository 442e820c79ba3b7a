"""`callmine-query report`: one self-contained HTML file that shows the filters and counts,
the analyses as inline SVG charts and tables, and a link to every call in Gong.

The page is checked as text (escaping, no script, no fetch, every call linked, the planted
signals shown) and rendered in headless Chromium (Debian's chromium package, installed with
apt-get when /usr/bin/chromium is missing): the screenshot is not blank, the page logs no
console error, and the rendered DOM holds the charts.
"""
import html
import html.parser
import json
import os
import re
import pathlib
import shutil
import struct
import subprocess
import zlib

import pytest

import minimirror
import planted
from planted import q, query_env

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def pm(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    db, ds = planted.build(tmp, 300)
    out = tmp / "report.html"
    p = q(db, "report", "--mention", "Clarivox", "-i", "-o", out)
    return dict(db=db, ds=ds, P=ds.PLANTED, out=out, html=out.read_text("utf-8"), run=p,
                tmp=tmp)


class Page(html.parser.HTMLParser):
    """Collects tags, links (href and text) and section ids of a report."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.links, self.ids, self._a = [], [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "a":
            self._a = [a.get("href"), ""]

    def handle_data(self, data):
        if self._a is not None:
            self._a[1] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._a is not None:
            self.links.append(tuple(self._a))
            self._a = None


def section(text, sid):
    start = text.index(f'<h2 id="{sid}"')
    end = text.find("<h2", start + 4)
    return text[start:end]


def test_self_contained_no_script_no_fetch(pm):
    text = pm["html"]
    assert pm["run"].stdout == "" and text.startswith("<!DOCTYPE html>")
    low = text.lower()
    assert "<script" not in low and "javascript:" not in low and " on" + "load=" not in low
    assert "default-src 'none'" in text  # the CSP forbids every fetch
    page = Page(text)
    for tag, a in page.tags:
        assert "src" not in a, (tag, a)
        if tag == "link":
            assert a.get("href") == "data:,"
    assert text.count('<svg class="chart"') >= 6
    assert not [f for f in os.listdir(pm["tmp"]) if ".tmp-" in f]


def test_newest_calls_link_to_gong_with_the_total(pm):
    # bounded: the newest 50 calls (not every call), with the count of all
    page = Page(pm["html"])
    rows = q(pm["db"], "sql", "--format", "jsonl",
             "SELECT id, title, url FROM calls ORDER BY started DESC, id LIMIT 50").stdout
    calls = [json.loads(x) for x in rows.splitlines()]
    assert len(calls) == 50
    calls_section = pm["html"][pm["html"].index('<h2 id="calls"'):]
    assert "The 50 newest of 300 calls" in calls_section
    assert "50 of 300 calls shown." in calls_section
    assert calls_section.count('<tr><td class="d">') == 50
    links = {href: txt for href, txt in page.links}
    for c in calls:
        assert c["url"] in links, c
        want = c["title"] or "(untitled)"
        # the page shows the title as text; control characters (not tab or newline) as U+FFFD
        shown = "".join(ch if ch in "\t\n" or ord(ch) >= 0x20 else "\ufffd" for ch in want)
        assert links[c["url"]] == shown, c


def test_each_reps_latest_calls_are_their_newest_ten(pm):
    # per rep: their newest 10 calls (ORDER BY started DESC, id), in that order, and the
    # number of all their calls; a rep is one person (call_facts.rep_id)
    rows = q(pm["db"], "sql", "--format", "jsonl",
             "SELECT call_id, started, url, rep_id FROM call_facts").stdout
    calls = {c["url"]: c for c in map(json.loads, rows.splitlines())}
    text = section(pm["html"], "reps")
    blocks = re.findall(r'<h3 id="rep-(\d+)">.*?</h3>\n<p class="meta">([\d,]+) calls?'
                        r'(?:; the newest 10 below)?</p>\n(.*?)</table>', text, re.S)
    assert len(blocks) >= 5
    for _, count, table in blocks:
        listed = [calls[u] for u in re.findall(r'<a href="([^"]+)"', table)]
        rep = {c["rep_id"] for c in listed}
        assert len(rep) == 1, rep
        rep_id = rep.pop()
        mine = [c for c in calls.values() if c["rep_id"] == rep_id]
        mine.sort(key=lambda c: c["call_id"])
        mine.sort(key=lambda c: c["started"], reverse=True)
        assert int(count.replace(",", "")) == len(mine)
        assert listed == mine[:10]


def test_filters_and_counts_are_shown(pm, tmp_path):
    out = tmp_path / "f.html"
    q(pm["db"], "report", "--from", "2024-02-01", "--rep", "a'b", "-o", out)
    text = out.read_text("utf-8")
    assert "--from 2024-02-01 --rep &#39;a&#39;\\&#39;&#39;b&#39;" in text
    q(pm["db"], "report", "--from", "2024-02-01", "-o", out)
    text = out.read_text("utf-8")
    n = int(q(pm["db"], "calls", "--from", "2024-02-01").stderr.split()[0])
    assert f"<b>{n}</b><span>calls (of 300 in the mirror)</span>" in text


def test_an_empty_filter_says_no_calls_matched(pm, tmp_path):
    # a user asked for a report: they get one (exit 0) that says in words why it is empty
    out = tmp_path / "e.html"
    p = q(pm["db"], "report", "--rep", "nobody-by-this-name", "-o", out)
    text = out.read_text("utf-8")
    assert "No calls matched these filters" in text and "the mirror holds 300 calls" in text
    assert "no calls match the filters" in p.stderr
    assert "<table" not in text and "<svg" not in text and "<h2" not in text
    assert text.rstrip().endswith("</html>")


def coaching_row(text, name):
    """The numeric cells of a rep's row in the coaching table: (class, text) pairs."""
    sec = section(text, "coaching")
    row = sec[sec.index(f">{name}</a>"):]
    row = row[:row.index("</tr>")]
    return re.findall(r'<td class="(n[^"]*)">([^<]*)</td>', row)


def test_planted_signals_are_in_the_report(pm):
    P, text = pm["P"], pm["html"]
    cells = coaching_row(text, P["talker"]["name"])
    cls, ratio = cells[1]  # calls, then the talk ratio
    assert "out" in cls and abs(int(ratio.rstrip("%")) - 70) <= 2, cells
    cls, asked = coaching_row(text, P["questioner"]["name"])[2]
    assert "out" in cls and float(asked) > 14
    assert "Mentions of <code>Clarivox</code>" in text
    assert P["monologuer"]["name"] in section(text, "coaching")
    # every rep's name leads to the list of their calls
    links = set(re.findall(r'href="#(rep-\d+)"', text))
    ids = set(re.findall(r'<h3 id="(rep-\d+)"', text))
    assert links and links <= ids


def test_mentions_show_quotes_linked_to_their_calls(pm):
    text = pm["html"]
    sec = text[text.index('<h3 id="mention-1"'):text.index('<h3 id="topics"')]
    quotes = re.findall(r"<blockquote>(.*?)</blockquote>", sec, re.S)
    assert 1 <= len(quotes) <= 4
    urls = {r["url"] for r in map(json.loads, q(pm["db"], "sql", "--format", "jsonl",
                                                 "SELECT url FROM calls").stdout.splitlines())}
    for b in quotes:
        assert re.search(r"<mark>clarivox</mark>", b, re.I), b
        assert re.search(r"at \d+:\d\d in <a href=", b), b
        assert re.search(r'href="([^"]+)"', b).group(1).replace("&amp;", "&") in urls
        assert "(rep)" in b or "(customer)" in b or "(side unknown)" in b


def test_headers_and_units_are_for_people(pm):
    text = pm["html"]
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", text)
    assert heads and not [h for h in heads if "_" in h], heads
    visible = re.sub(r"<style>.*?</style>|<[^>]+>", " ", text, flags=re.S)
    for bad in ("NaN", "-0%", "-0.0", "undefined", "inf%"):
        assert bad not in visible, bad


def test_hostile_text_is_escaped(tmp_path):
    db = tmp_path / "evil.db"
    m = minimirror.Mirror(db)
    m.user("u1", "<b>Eve</b>", "\u05e9\u05dc\u05d5\u05dd 👩‍💻", "eve@x.com")
    m.call("1", "</title><script>alert(1)</script> & \"q\" 'a'", "2024-03-01T10:00:00Z",
           primary_user_id="u1", url="javascript:alert(1)", scope="External")
    m.party("1", "s1", "<b>Eve</b>", "Internal", user_id="u1")
    m.party("1", "s2", "Bob \x1b[31m", "External")
    m.deal("1", "Now", "d1", stage="<i>won</i>", amount=1)
    m.transcript("1", [(0, 1000, "s1", "Hello?"), (1500, 3000, "s2", "Hi")])
    m.close()
    out = tmp_path / "evil.html"
    q(db, "report", "-o", out, "--title", "Q1 <&> \"report\"", "--mention", "<x>")
    text = out.read_text("utf-8")
    assert "<script" not in text and "<b>Eve" not in text and "<i>won" not in text
    assert "&lt;b&gt;Eve&lt;/b&gt;" in text and "&lt;i&gt;won&lt;/i&gt;" in text
    assert 'href="javascript' not in text and "javascript:alert" not in text
    assert "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;a&#39;" \
        in text
    assert "<title>Q1 &lt;&amp;&gt; &quot;report&quot;</title>" in text
    assert "\x1b" not in text and "\u05e9\u05dc\u05d5\u05dd 👩‍💻" in text


def test_output_is_atomic_and_usage_errors(pm, tmp_path):
    out = tmp_path / "r.html"
    out.write_text("old")
    p = q(pm["db"], "report", "-o", out, "--where", "nosuchcolumn = 1", check=2)
    assert "--where" in p.stderr and out.read_text() == "old"
    assert "-o FILE.html" in q(pm["db"], "report", check=2).stderr
    assert "--mention" in q(pm["db"], "report", "--mention", "(", "-o", out, check=2).stderr
    p = q(pm["db"], "report", "-o", tmp_path / "missing" / "r.html", check=1)
    assert p.stderr.startswith("callmine-query: report: create")
    assert os.listdir(tmp_path) == ["r.html"]
    p = q(pm["db"], "report", "--to", "2024-01-15", "-o", "-")
    assert p.stdout.startswith("<!DOCTYPE html>") and p.stdout.endswith("</html>\n")


# ---- rendering in headless Chromium --------------------------------------------------------

def without_time(text):
    """The page without the minute it was generated."""
    return re.sub(r'generated <span class="d">[^<]*</span> [0-9:]+ UTC', "generated", text)


FILTER_SETS = {
    "none": (),
    "dates": ("--from", "2024-02-01", "--to", "2024-05-01"),
    "lost": ("--outcome", "lost"),
    "at-call": ("--deal-timing", "call", "--stage", "qualifiedtobuy"),
    "mention": ("--mention", "Clarivox", "-i"),
}


@pytest.mark.parametrize("name", FILTER_SETS)
def test_the_second_thread_changes_nothing(pm, tmp_path, name):
    # topics and trackers run ahead on a second thread and connection (report_pre.h): the
    # page is the one a single thread writes, byte for byte but the minute
    one, two = tmp_path / "one.html", tmp_path / "two.html"
    args = FILTER_SETS[name]
    q(pm["db"], "report", *args, "-o", one, env=query_env(CALLMINE_REPORT_THREADS="1"))
    p = q(pm["db"], "report", *args, "-o", two,
          env=query_env(CALLMINE_REPORT_TIMES="1", CALLMINE_REPORT_THREADS="2"))
    assert "analyze topics --by outcome (ahead)" in p.stderr  # from the second thread
    assert "analyze trackers --by outcome (ahead)" in p.stderr
    a, b = one.read_text("utf-8"), two.read_text("utf-8")
    assert '<h3 id="trackers">' in a
    assert without_time(a) == without_time(b)


def test_a_failure_on_the_second_thread_is_the_pages(pm, tmp_path):
    # a user's topics analysis that does not compile fails the report as it would without
    # the thread: the same one-line message, exit status 1, no page
    (tmp_path / "an").mkdir()
    (tmp_path / "an" / "topics.sql").write_text(
        "-- topics: broken on purpose\n-- @by: outcome\n"
        "SELECT grp AS \"group\", no_such_column FROM scope GROUP BY grp;\n")
    runs = [q(pm["db"], "report", "--analyses", tmp_path / "an", "-o", tmp_path / f"{i}.html",
              check=1, env=query_env(**env))
            for i, env in enumerate(({"CALLMINE_REPORT_THREADS": "2"},
                                     {"CALLMINE_REPORT_THREADS": "1"}))]
    assert runs[0].stderr == runs[1].stderr
    assert runs[0].stderr.strip().splitlines() == [
        "callmine-query: analysis 'topics': no such column: no_such_column"]
    assert not (tmp_path / "0.html").exists()


def percent(v):
    """html_fmt_percent (query/html.c)."""
    if v is None:
        return ""
    p = v * 100
    return "0%" if abs(p) < 0.05 else f"{p:.1f}%" if abs(p) < 9.95 else f"{p:.0f}%"


def outcome_table(text, h3):
    """The rows of the won/lost/open table under <h3 id=h3>: name -> (won, lost, open)."""
    sec = text[text.index(f'<h3 id="{h3}"'):]
    sec = sec[:sec.index("</table>")]
    cell = r'<td class="n">([^<]*)</td>'
    rows = re.findall(r"<tr><td><bdi>([^<]*)</bdi></td>" + cell * 3 + "</tr>", sec)
    return {html.unescape(n): (w, lo, o) for n, w, lo, o in rows}


@pytest.mark.parametrize("name", ["none", "dates", "at-call"])
def test_topics_and_trackers_are_what_analyze_prints(pm, tmp_path, name):
    # the second thread's results, as the page shows them, against `analyze` on its own
    out = tmp_path / "r.html"
    args = FILTER_SETS[name]
    q(pm["db"], "report", *args, "-o", out, env=query_env(CALLMINE_REPORT_THREADS="2"))
    text = out.read_text("utf-8")
    for analysis, h3, col, value in (("topics", "topics", "topic", "share_of_time"),
                                     ("trackers", "trackers", "tracker", "share")):
        rows = planted.analyze(pm["db"], analysis, "--by", "outcome", *args)
        shares = {(r["group"], r[col]): r[value] for r in rows}
        page = outcome_table(text, h3)
        assert page, (analysis, name)
        for label, cells in page.items():
            want = tuple(percent(shares.get((o, label))) for o in ("won", "lost", "open"))
            assert cells == want, (analysis, label)


def ensure_chromium():
    if os.path.exists(CHROMIUM):
        return
    if os.geteuid() != 0:
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (as root: "
                    "apt-get install chromium)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
        if p.returncode != 0:
            pytest.fail(f"installing chromium failed ({' '.join(cmd)}, exit {p.returncode}):\n"
                        f"{p.stderr[-2000:]}")
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"apt-get installed chromium but {CHROMIUM} is still missing")


def chromium(profile, *args, timeout=180):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def png_pixels(data):
    """(width, height, rows of RGB(A) tuples) of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows, bpp


def test_chromium_renders_the_report(pm, tmp_path):
    ensure_chromium()
    png = tmp_path / "shot.png"
    url = pathlib.Path(pm["out"]).resolve().as_uri()
    p = chromium(tmp_path / "profile", f"--screenshot={png}", "--window-size=1200,2000",
                 "--enable-logging=stderr", "--v=0", url)
    assert png.exists(), p.stderr[-3000:]
    bad = [ln for ln in p.stderr.splitlines()
           if any(k in ln for k in ("CONSOLE", "Uncaught", "Refused to", "net::ERR_",
                                    "Content Security Policy"))]
    assert not bad, bad
    w, h, rows, bpp = png_pixels(png.read_bytes())
    assert (w, h) == (1200, 2000)
    colours, background = {}, rows[0][:3]
    for y in range(0, h, 4):
        row = rows[y]
        for x in range(0, w * bpp, bpp * 4):
            px = row[x:x + 3]
            colours[px] = colours.get(px, 0) + 1
    assert len(colours) > 20, "the screenshot is (nearly) one colour"
    assert 1 - colours.get(background, 0) / sum(colours.values()) > 0.03
    # the bar colour of the charts (#3b6ea8) is on screen
    assert any(abs(c[0] - 0x3b) < 8 and abs(c[1] - 0x6e) < 8 and abs(c[2] - 0xa8) < 8
               for c in colours), "no chart bars in the screenshot"
    dom = chromium(tmp_path / "profile2", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") >= 6 and dom.stdout.count("<rect") > 100
    assert pm["P"]["talker"]["name"] in dom.stdout
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
