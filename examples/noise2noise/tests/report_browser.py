#!/usr/bin/python3
"""The trainer's report.html and curves.svg as a browser renders them, in headless Chromium.

  report_browser.py TRAINER WORK_DIR     the ctest case: trains on a tiny data set, checks
                                         WORK_DIR/out/report.html and curves.svg, checks that the
                                         checker catches deliberate faults, and keeps a
                                         screenshot of the report in WORK_DIR/report.png
  report_browser.py --page FILE [--screenshot PNG] [--width CSS_PIXELS] [--scale FACTOR]
                                         checks one page (a report or an SVG), optionally with a
                                         screenshot of the whole page, FACTOR device pixels per
                                         CSS pixel (docs/images/report.png is made this way)

A copy of the page gets a checking script, run when the page has loaded (images decoded, fonts
ready). From the rendered page it asserts:
  - every <text> of every chart (an SVG <g class='chart'>) lies inside the chart's area (its
    <rect class='chart-area'>), every chart area inside its <svg>, and no two texts of an <svg>
    overlap (their boxes, rotated text included, intersect by less than 0.5 pixel);
  - every <img> loaded (complete, natural width > 0);
  - nothing went wrong: no uncaught error, no failed resource, no console.error.
Chromium writes the verdict into the DOM (--dump-dom), where it is read back as JSON.

Chromium is Debian's `chromium` (tools/install_deps.sh installs it). Where it is missing, the
case is skipped (exit 77, ctest's SKIP_RETURN_CODE) with a message, except in CI (CI=true),
where that is a failure. Python's standard library only.
"""

import concurrent.futures
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77

CHECK_SCRIPT = r"""
(function () {
  const problems = [];
  const say = (m) => problems.push(String(m).slice(0, 300));
  window.addEventListener('error', (e) => {
    const t = e.target;
    if (t && t !== window && (t.src || t.href)) say('resource failed to load: ' + (t.src || t.href).slice(0, 80));
    else say('uncaught error: ' + e.message);
  }, true);
  window.addEventListener('unhandledrejection', (e) => say('unhandled rejection: ' + e.reason));
  const consoleError = console.error.bind(console);
  console.error = function (...args) { say('console.error: ' + args.join(' ')); consoleError(...args); };
  const box = (el) => { const r = el.getBoundingClientRect(); return {l: r.left, t: r.top, r: r.right, b: r.bottom}; };
  const inside = (a, b) => a.l >= b.l - 0.5 && a.t >= b.t - 0.5 && a.r <= b.r + 0.5 && a.b <= b.b + 0.5;
  const overlap = (a, b) => Math.min(a.r, b.r) - Math.max(a.l, b.l) > 0.5 && Math.min(a.b, b.b) - Math.max(a.t, b.t) > 0.5;
  const fmt = (b) => '[' + [b.l, b.t, b.r, b.b].map((v) => v.toFixed(1)).join(', ') + ']';
  const label = (el) => JSON.stringify((el.textContent || '').trim().slice(0, 60));
  async function check() {
    if (document.fonts) await document.fonts.ready;
    let texts = 0, charts = 0, images = 0;
    const svgs = Array.from(document.querySelectorAll('svg')).filter((s) => !s.parentElement || !s.parentElement.closest('svg'));
    for (const svg of svgs) {
      const svgBox = box(svg);
      const all = Array.from(svg.querySelectorAll('text'));
      texts += all.length;
      for (const chart of svg.querySelectorAll('g.chart')) {
        charts += 1;
        const areaEl = chart.querySelector('rect.chart-area');
        if (!areaEl) { say('a chart without its rect.chart-area'); continue; }
        const area = box(areaEl);
        if (!inside(area, svgBox)) say('chart area ' + fmt(area) + ' leaves its svg ' + fmt(svgBox));
        for (const t of chart.querySelectorAll('text')) {
          const b = box(t);
          if (!inside(b, area)) say('text ' + label(t) + ' ' + fmt(b) + ' leaves its chart ' + fmt(area));
        }
      }
      for (const t of all)
        if (!t.closest('g.chart') && !inside(box(t), svgBox)) say('text ' + label(t) + ' leaves its svg');
      const boxes = all.map(box);
      for (let i = 0; i < all.length; ++i)
        for (let j = i + 1; j < all.length; ++j)
          if (overlap(boxes[i], boxes[j]))
            say('texts overlap: ' + label(all[i]) + ' ' + fmt(boxes[i]) + ' and ' + label(all[j]) + ' ' + fmt(boxes[j]));
    }
    for (const img of document.querySelectorAll('img')) {
      images += 1;
      if (!img.complete || img.naturalWidth === 0) say('image not loaded: ' + (img.alt || img.src.slice(0, 60)));
    }
    const root = document.documentElement;
    const verdict = {problems, svgs: svgs.length, charts, texts, images,
                     width: Math.ceil(root.scrollWidth), height: Math.ceil(root.scrollHeight)};
    const ns = root.namespaceURI || 'http://www.w3.org/1999/xhtml';
    const out = document.createElementNS(ns, ns.endsWith('svg') ? 'metadata' : 'pre');
    out.setAttribute('id', 'ctnn-verdict');
    out.textContent = JSON.stringify(verdict);
    root.appendChild(out);
  }
  window.addEventListener('load', () => { setTimeout(() => { check().catch((e) => say('checker: ' + e)); }, 50); });
})();
"""


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium_command(chromium, profile, *args):
    # --no-sandbox: Chromium's sandbox refuses to run as root (containers, CI). A profile
    # directory of its own per run: runs side by side, nothing left in ~/.config.
    return [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
            "--no-first-run", "--disable-extensions", "--mute-audio",
            "--user-data-dir=" + profile, *args]


def with_check_script(text, is_svg):
    """The page's text with CHECK_SCRIPT as its first script."""
    if is_svg:
        m = re.search(r"<svg\b[^>]*>", text)
        if not m:
            raise ValueError("no <svg> element")
        script = "<script><![CDATA[" + CHECK_SCRIPT + "]]></script>"
    else:
        m = re.search(r"<head\b[^>]*>", text, re.I) or re.search(r"<html\b[^>]*>", text, re.I)
        if not m:
            raise ValueError("no <head> or <html> element")
        script = "<script>" + CHECK_SCRIPT + "</script>"
    return text[:m.end()] + script + text[m.end():]


def check_page(chromium, path, work):
    """Renders `path` with the checking script; returns the verdict (a dict)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    is_svg = path.endswith(".svg")
    copy = os.path.join(os.path.dirname(os.path.abspath(path)),
                        "checked-" + os.path.basename(path))
    with open(copy, "w", encoding="utf-8") as f:
        f.write(with_check_script(text, is_svg))
    with tempfile.TemporaryDirectory(dir=work) as profile:
        cmd = chromium_command(chromium, profile, "--virtual-time-budget=5000",
                               "--window-size=1280,1000", "--dump-dom",
                               "file://" + os.path.abspath(copy))
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    m = re.search(r"<(?:pre|metadata) id=\"ctnn-verdict\">(.*?)</(?:pre|metadata)>", run.stdout, re.S)
    if not m:
        return {"problems": ["no verdict in the rendered page (Chromium exit %d): %s" %
                             (run.returncode, run.stderr.strip()[-500:])]}
    return json.loads(html.unescape(m.group(1)))


def screenshot(chromium, path, png, width, height, work, scale=1.0):
    """A screenshot of the whole page (width x height CSS pixels, `scale` device pixels each)."""
    if os.path.exists(png):
        os.remove(png)
    with tempfile.TemporaryDirectory(dir=work) as profile:
        cmd = chromium_command(chromium, profile, "--virtual-time-budget=5000",
                               "--window-size=%d,%d" % (width, height), "--screenshot=" + png,
                               "--force-device-scale-factor=%g" % scale,
                               "file://" + os.path.abspath(path))
        subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return os.path.exists(png) and os.path.getsize(png) > 0


def page_mode(argv):
    chromium = find_chromium()
    if not chromium:
        print("report_browser: no chromium (apt-get install chromium)", file=sys.stderr)
        return 1
    page = argv[argv.index("--page") + 1]
    width = int(argv[argv.index("--width") + 1]) if "--width" in argv else 1280
    with tempfile.TemporaryDirectory() as work:
        verdict = check_page(chromium, page, work)
        os.remove(os.path.join(os.path.dirname(os.path.abspath(page)),
                               "checked-" + os.path.basename(page)))
        print(json.dumps(verdict, indent=1))
        if "--screenshot" in argv:
            png = argv[argv.index("--screenshot") + 1]
            scale = float(argv[argv.index("--scale") + 1]) if "--scale" in argv else 1.0
            if not screenshot(chromium, page, os.path.abspath(png), width,
                              verdict.get("height", 1000), work, scale):
                print("report_browser: no screenshot written", file=sys.stderr)
                return 1
            print("screenshot: %s (%d bytes)" % (png, os.path.getsize(png)))
    return 0 if not verdict["problems"] else 1


def test_mode(trainer, work):
    t_start = time.time()
    chromium = find_chromium()
    if not chromium:
        message = "report_browser: Chromium not found (apt-get install chromium; tools/install_deps.sh installs it)"
        if os.environ.get("CI") == "true":
            print(message + ": CI=true, so this is a failure", file=sys.stderr)
            return 1
        print("SKIPPED: " + message)
        return SKIP
    print("browser: " + subprocess.run([chromium, "--version"], capture_output=True,
                                       text=True).stdout.strip())
    shutil.rmtree(work, ignore_errors=True)
    data, out = os.path.join(work, "data"), os.path.join(work, "out")
    os.makedirs(data)
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run(["/usr/bin/python3", os.path.join(here, "make_tiny_data.py"), data, "100", "20"],
                   check=True)
    # README's main job in small: one epoch (10 batches: validations after 2, 4, 6, 8 and 10).
    log = subprocess.run([trainer, "--data", data, "--out", out, "--threads", "2", "--epochs", "1",
                          "--batch-size", "10", "--seed", "1"], capture_output=True, text=True)
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)
            print("FAIL: " + what)

    check(log.returncode == 0, "the trainer failed: " + log.stdout + log.stderr)
    report, svg = os.path.join(out, "report.html"), os.path.join(out, "curves.svg")
    check(log.stdout.rstrip().endswith("report     " + report),
          "the trainer's last line is not the report's path")
    if failures:
        return 1

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=3)  # Chromium mostly waits
    svg_verdict = pool.submit(check_page, chromium, svg, work)
    verdict = check_page(chromium, report, work)
    report_height = verdict.get("height", 1000)
    print("report.html: %s" % json.dumps(verdict))
    check(verdict["problems"] == [], "report.html: " + "; ".join(verdict["problems"]))
    check(verdict.get("charts") == 2 and verdict.get("texts", 0) >= 30,
          "report.html: not 2 charts with their texts")
    check(verdict.get("images") == 24, "report.html: not 24 sample images (8 rows of 3)")
    verdict = svg_verdict.result()
    print("curves.svg: %s" % json.dumps(verdict))
    check(verdict["problems"] == [], "curves.svg: " + "; ".join(verdict["problems"]))
    check(verdict.get("charts") == 2, "curves.svg: not 2 charts")
    png = os.path.join(work, "report.png")
    check(screenshot(chromium, report, png, 1280, report_height, work),
          "no screenshot of the report")
    if os.path.exists(png):
        print("screenshot: %s (%d bytes)" % (png, os.path.getsize(png)))

    # The checker must catch each of these faults, made on copies of the pages.
    with open(report, encoding="utf-8") as f:
        page = f.read()
    with open(svg, encoding="utf-8") as f:
        curves = f.read()
    title = re.search(r"<text x='([0-9.]+)' y='([0-9.]+)'([^>]*)>([^<]*)</text>", curves)
    mutations = {
        "a broken image": ("report.html", page.replace("base64,", "base64,AAAA", 1),
                           "image not loaded"),
        "a missing image file": ("report.html",
                                 page.replace("</body>", "<img src='missing.png' alt='x'></body>"),
                                 "resource failed to load"),
        "a console error": ("report.html",
                            page.replace("</body>", "<script>console.error('deliberate')</script></body>"),
                            "console.error: deliberate"),
        "an uncaught error": ("report.html",
                              page.replace("</body>", "<script>undefined_function()</script></body>"),
                              "uncaught error"),
        "a legend over the title": ("curves.svg", curves.replace(
            title.group(0), title.group(0) + "<text x='%s' y='%.1f'%s>%s</text>" % (
                title.group(1), float(title.group(2)) + 4, title.group(3), "overlapping legend")),
            "texts overlap"),
        "a label past the right edge": ("curves.svg", curves.replace(
            "</g>", "<text x='%d' y='60' font-size='12'>cut off at the edge</text></g>" %
            (int(re.search(r"width='([0-9]+)'", curves).group(1)) // 2 - 40), 1),
            "leaves its chart"),
    }
    verdicts = {}
    for k, (what, (name, text, expected)) in enumerate(mutations.items()):
        mutated = os.path.join(work, "mutated%d" % k, name)
        os.makedirs(os.path.dirname(mutated), exist_ok=True)
        with open(mutated, "w", encoding="utf-8") as f:
            f.write(text)
        verdicts[what] = pool.submit(check_page, chromium, mutated, work)
    for what, (name, text, expected) in mutations.items():
        v = verdicts[what].result()
        caught = any(expected in p for p in v["problems"])
        print("self-test, %s: %s" % (what, "caught (%s)" % v["problems"][0] if caught
                                     else "NOT caught: %s" % v["problems"]))
        check(caught, "the checker missed " + what)
    print("%d failed; %.1f s" % (len(failures), time.time() - t_start))
    return 1 if failures else 0


def main(argv):
    if "--page" in argv:
        return page_mode(argv)
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    return test_mode(argv[1], argv[2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
