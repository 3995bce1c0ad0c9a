// Loads the review console's case view in headless Chromium for
// bench/console.sh, which starts kycmedia, seeds the attempt and adds the
// reviewer; see there for what is measured. Prints the Markdown block.
"use strict";

const { chromium } = require("playwright-core");

const BASE = process.env.BASE;
const ATTEMPT = process.env.ATTEMPT;
const LOADS = Number(process.env.LOADS || "20");
const CHOSEN = "bench passphrase, long enough";

// Logs in with the one-time password, replaces it, and returns the session cookie.
async function logIn() {
  const login = async (password) => {
    const answer = await fetch(`${BASE}/console/api/login`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "bench", password }),
    });
    if (answer.status !== 204) throw new Error(`login answered ${answer.status}`);
    return answer.headers.get("set-cookie").split(";")[0];
  };
  const cookie = await login(process.env.PASSWORD);
  const shell = await (await fetch(`${BASE}/console`, { headers: { cookie } })).text();
  const csrf = shell.match(/name="csrf-token" content="([0-9a-f]+)"/)[1];
  const changed = await fetch(`${BASE}/console/api/password`, {
    method: "POST", headers: { "content-type": "application/json", cookie, "x-csrf-token": csrf },
    body: JSON.stringify({ current: process.env.PASSWORD, new: CHOSEN }),
  });
  if (changed.status !== 204) throw new Error(`password answered ${changed.status}`);
  return changed.headers.get("set-cookie").split(";")[0];
}

// One load of `url` in a fresh page: the marks' times (ms from navigation)
// and the bytes moved, headers included.
async function load(context, url, marks) {
  const page = await context.newPage();
  await page.goto(url, { waitUntil: "load" });
  if (marks.length) {
    await page.waitForFunction((name) => performance.getEntriesByName(name).length > 0, marks[marks.length - 1],
      { timeout: 120000 });
  }
  const measured = await page.evaluate((names) => {
    const navigation = performance.getEntriesByType("navigation")[0];
    const resources = performance.getEntriesByType("resource");
    const bytes = navigation.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0);
    const times = names.map((name) => performance.getEntriesByName(name)[0].startTime);
    return { bytes, times, load: navigation.loadEventEnd, requests: resources.length + 1 };
  }, marks);
  await page.close();
  return measured;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function main() {
  const cookie = await logIn();
  const [name, value] = cookie.split("=");
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await context.addCookies([{ name, value, url: BASE }]);
  const caseUrl = `${BASE}/console/cases/${ATTEMPT}`;
  const marks = ["case-rendered", "thumbnails-loaded"];
  const first = await load(context, caseUrl, marks);
  const loads = [];
  for (let i = 0; i < LOADS; i++) loads.push(await load(context, caseUrl, marks));
  // The baseline: one original, alone, as a page.
  const data = await (await fetch(`${BASE}/console/api/cases/${ATTEMPT}`, { headers: { cookie } })).json();
  const original = `${BASE}${data.media[0].url}`;
  const originals = [];
  for (let i = 0; i < LOADS; i++) originals.push(await load(context, original, []));
  await browser.close();

  const rendered = median(loads.map((l) => l.times[0]));
  const thumbnails = median(loads.map((l) => l.times[1]));
  const one = median(originals.map((l) => l.load));
  const kib = (b) => (b / 1024).toFixed(0);
  console.log(`| case view of ${data.media.length} photos (${data.media[0].width}x${data.media[0].height}), ${LOADS} loads | ms or KiB |`);
  console.log("|---|---:|");
  console.log(`| first load (thumbnails made): to first render | ${first.times[0].toFixed(0)} |`);
  console.log(`| first load: to all thumbnails | ${first.times[1].toFixed(0)} |`);
  console.log(`| first load: bytes moved (${first.requests} requests) | ${kib(first.bytes)} KiB |`);
  console.log(`| p50: to first render | ${rendered.toFixed(0)} |`);
  console.log(`| p50: to all thumbnails | ${thumbnails.toFixed(0)} |`);
  console.log(`| p50: bytes moved (${loads[0].requests} requests; script and style cached) | ${kib(median(loads.map((l) => l.bytes)))} KiB |`);
  console.log(`| baseline p50: one original alone, loaded (${kib(originals[0].bytes)} KiB) | ${one.toFixed(0)} |`);
  console.log(`| ratio: all thumbnails / one original | ${(thumbnails / one).toFixed(2)} |`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
