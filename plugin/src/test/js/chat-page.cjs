// Opens the chat page in headless Chromium, sends a message, waits until both columns (host only, host + memory)
// have an answer, moves the λ slider, picks the logit mix and fills the sampling fields, sends another, and saves a screenshot. Prints one JSON line.
// Usage: MEMDEC_BASE_URL=... MEMDEC_NODE_MODULES=... node chat-page.cjs SCREENSHOT.png
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require(path.join(process.env.MEMDEC_NODE_MODULES, "playwright-core"));

// Flags known to work on these machines: no sandbox as root, and no background traffic (the network is closed).
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

async function answers(page, column) {
  return page.$$eval(`#${column}-log .msg.assistant`, (els) => els.map((e) => e.firstChild ? e.firstChild.textContent : ""));
}

async function waitForAnswers(page, count) {
  // An answer is complete when its usage line (the last SSE chunk) has been appended.
  await page.waitForFunction((n) => ["host", "memory"].every(
    (c) => document.querySelectorAll(`#${c}-log .msg.assistant .stats`).length >= n), count, { timeout: 90000 });
}

async function main() {
  const screenshot = process.argv[2];
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "memdec-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.MEMDEC_CHROMIUM || "/usr/bin/chromium", headless: true, args: FLAGS,
    viewport: { width: 1200, height: 700 },
  });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(process.env.MEMDEC_BASE_URL + "/");
    await page.waitForFunction(() => document.querySelectorAll("#memory-name option").length > 0);
    const initialLambda = await page.inputValue("#lambda");
    const initialMix = await page.inputValue("#mix");
    await page.fill("#max-tokens", process.env.MEMDEC_MAX_TOKENS || "32");

    await page.fill("#message", "Tell me about the law.");
    await page.press("#message", "Enter");
    await waitForAnswers(page, 1);
    const first = { host: (await answers(page, "host"))[0], memory: (await answers(page, "memory"))[0] };

    await page.fill("#lambda", "0.8");
    const lambdaLabel = await page.textContent("#lambda-value");
    await page.selectOption("#mix", "logit");
    for (const [field, value] of [["temperature", "0.7"], ["top-k", "12"], ["top-p", "0.9"], ["min-p", "0.1"],
      ["seed", "4242"]]) {
      await page.fill(`#${field}`, value);
    }
    await page.fill("#message", "And more?");
    await page.click("#send");
    await waitForAnswers(page, 2);
    const second = { host: (await answers(page, "host"))[1], memory: (await answers(page, "memory"))[1],
      stats: await page.$$eval("#memory-log .msg.assistant .stats", (els) => els[1].textContent) };

    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(JSON.stringify({ initialLambda, initialMix, lambdaLabel, first, second, errors,
      memoryLabel: await page.textContent("#memory-label") }));
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
