// Opens a page in Debian's chromium (playwright-core, headless) and prints, as JSON, what a
// reader sees of it: the requests it made, its headline figures, each chart's accessible name and
// description, its tables as shown, and its accessibility tree as playwright writes it.
//
//   node read_page.mjs URL [BEARER_KEY] [SCREENSHOT.png]
import { chromium } from 'playwright-core';

const [url, key, screenshot] = process.argv.slice(2);
if (!url) {
  console.error('usage: node read_page.mjs URL [BEARER_KEY] [SCREENSHOT.png]');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.B2H_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const context = await browser.newContext(
    key ? { extraHTTPHeaders: { authorization: `Bearer ${key}` } } : {},
  );
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  const response = await page.goto(url, { waitUntil: 'networkidle', timeout: 60000 });
  const seen = await page.evaluate(() => {
    const text = (el) => (el ? el.textContent.trim() : null);
    const byId = (ids) =>
      (ids || '').split(/\s+/).filter(Boolean).map((id) => text(document.getElementById(id))).join(' ');
    return {
      title: document.title,
      lang: document.documentElement.lang,
      headline: [...document.querySelectorAll('.stats > div')].map((d) => ({
        label: text(d.querySelector('dt')),
        value: d.querySelector('dd') ? d.querySelector('dd').firstChild.textContent.trim() : null,
      })),
      charts: [...document.querySelectorAll('svg')].map((s) => ({
        role: s.getAttribute('role'),
        name: byId(s.getAttribute('aria-labelledby')),
        description: byId(s.getAttribute('aria-describedby')),
        width: s.getBoundingClientRect().width,
        height: s.getBoundingClientRect().height,
        // The table that gives its data: in the same figure.
        table: Boolean(s.closest('figure') && s.closest('figure').querySelector('table')),
      })),
      tables: [...document.querySelectorAll('table')].map((t) => ({
        caption: text(t.caption),
        rows: [...t.rows].map((r) => [...r.cells].map((c) => c.innerText.trim())),
      })),
      headings: [...document.querySelectorAll('h1, h2, h3')].map((h) => [h.tagName, text(h)]),
    };
  });
  const aria = await page.locator('body').ariaSnapshot();
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ status: response.status(), requests, problems, aria, ...seen }));
} finally {
  await browser.close();
}
