// Opens a report.html in Debian's headless Chromium (playwright-core drives it; no browser download)
// and prints JSON: page errors, console errors, failed requests, any request that left the file,
// every SVG chart with its rendered size, and the tables' ids. Writes a screenshot when asked.
//   node report_render.mjs REPORT.html [SCREENSHOT.png] [--full | --height=PX]
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [html, shot] = process.argv.slice(2).filter(a => !a.startsWith('--'));
const full = process.argv.includes('--full');
const height = Number((process.argv.find(a => a.startsWith('--height=')) ?? '--height=900').slice(9));
const profile = mkdtempSync(join(tmpdir(), 'llamaspark-chromium-'));
// A fresh profile directory (Chromium's --user-data-dir) for every run.
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1060, height },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const out = { pageErrors: [], consoleErrors: [], failedRequests: [], externalRequests: [], svgs: [], tables: [] };
try {
  const page = await browser.newPage();
  page.on('pageerror', e => out.pageErrors.push(String(e)));
  page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') out.consoleErrors.push(m.text()); });
  page.on('requestfailed', r => out.failedRequests.push(r.url() + ' ' + (r.failure()?.errorText ?? '')));
  page.on('request', r => { if (!/^(file|data|about):/.test(r.url())) out.externalRequests.push(r.url()); });
  const url = pathToFileURL(resolve(html)).href;
  const response = await page.goto(url, { waitUntil: 'load' });
  out.ok = response === null || response.ok();
  out.title = await page.title();
  out.svgs = await page.$$eval('svg.chart', svgs => svgs.map(s => {
    const r = s.getBoundingClientRect();
    return { id: s.id, width: r.width, height: r.height, shapes: s.querySelectorAll('rect').length };
  }));
  out.tables = await page.$$eval('table[id]', ts => ts.map(t => ({ id: t.id, rows: t.tBodies[0]?.rows.length ?? 0 })));
  out.scripts = await page.$$eval('script', s => s.length);
  if (shot) {
    await page.screenshot({ path: shot, fullPage: full });
  }
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
