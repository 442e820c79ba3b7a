// report.mjs: measures a callmine report page in Debian's chromium through puppeteer-core.
//
//   node report.mjs FILE.html [SHOT_PREFIX]
//
// At 1280 and 390 CSS pixels wide it checks what a reader would see go wrong: the document
// scrolling sideways, overlapping text in any SVG chart (the bounding boxes of its <text>
// elements), a date (YYYY-MM-DD) broken over two lines, "NaN", "-0", "undefined" or
// "Infinity" in the visible text, any request other than the file itself, any console error.
// With SHOT_PREFIX it saves full-page screenshots SHOT_PREFIX-1280.png and -390.png.
// Prints one JSON object with the findings per width; exits 1 when any check failed.
import puppeteer from "puppeteer-core";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [file, shots] = process.argv.slice(2);
if (!file) {
  console.error("usage: node report.mjs FILE.html [SHOT_PREFIX]");
  process.exit(2);
}
const url = pathToFileURL(path.resolve(file)).href;
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// Runs in the page: what is wrong with it at the current width.
function inspect() {
  const out = { overflow: null, overlaps: [], wrappedDates: [], badText: [], texts: 0 };
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1)
    out.overflow = { scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth };
  for (const svg of document.querySelectorAll("svg")) {
    const boxes = [...svg.querySelectorAll("text")]
      .map((t) => ({ t: t.textContent, r: t.getBoundingClientRect() }))
      .filter((b) => b.r.width > 0 && b.r.height > 0);
    out.texts += boxes.length;
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i].r, b = boxes[j].r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 0.5 && h > 0.5)
          out.overlaps.push([boxes[i].t, boxes[j].t, svg.getAttribute("aria-label")]);
      }
  }
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const re = /\d{4}-\d{2}-\d{2}/g;
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    for (const m of n.data.matchAll(re)) {
      const range = document.createRange();
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (tops.size > 1) out.wrappedDates.push(m[0]);
    }
  }
  const visible = document.body.innerText;
  for (const bad of [/\bNaN\b/, /(^|[^\w.-])-0(\.0+)?(?![\d.])/m, /\bundefined\b/, /\bInfinity\b/]) {
    const m = visible.match(bad);
    if (m) out.badText.push(visible.slice(Math.max(0, m.index - 40), m.index + 40));
  }
  return out;
}

const report = {};
let failed = false;
for (const width of [1280, 390]) {
  const page = await browser.newPage();
  const requests = [], errors = [];
  page.on("request", (r) => { if (r.url() !== url) requests.push(r.url()); });
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (err) => errors.push(String(err)));
  await page.setViewport({ width, height: 900 });
  await page.goto(url, { waitUntil: "load" });
  const found = await page.evaluate(inspect);
  found.requests = requests;
  found.consoleErrors = errors;
  if (shots) await page.screenshot({ path: `${shots}-${width}.png`, fullPage: true });
  if (found.overflow || found.overlaps.length || found.wrappedDates.length ||
      found.badText.length || requests.length || errors.length)
    failed = true;
  report[width] = found;
  await page.close();
}
await browser.close();
console.log(JSON.stringify(report));
process.exit(failed ? 1 : 0);
