// The console in a real browser (Debian's chromium, driven by playwright-core) against a running stack.
// ConsoleIT starts the stack and two tenants' keys and runs this; by hand:
//   CONSOLE_URL=http://127.0.0.1:8080 CONSOLE_KEY_A=tt-... CONSOLE_KEY_B=tt-... node console.e2e.mjs
// Settings: CHROMIUM (default: chromium on PATH), CONSOLE_SAMPLE (samples/tool-calling-sample.jsonl),
// CONSOLE_SCREENSHOTS (a folder: each page at 1280 and 390 px wide), CONSOLE_EPOCHS (12).
// Each step prints what it checks; the first failing check ends the run with exit status 1.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const url = required('CONSOLE_URL');
const keyA = required('CONSOLE_KEY_A');
const keyB = required('CONSOLE_KEY_B');
const sample = resolve(process.env.CONSOLE_SAMPLE || '../../samples/tool-calling-sample.jsonl');
const shots = process.env.CONSOLE_SCREENSHOTS ? resolve(process.env.CONSOLE_SCREENSHOTS) : null;
const epochs = Number(process.env.CONSOLE_EPOCHS || 12);
const started = Date.now();

function required(name) {
  const value = process.env[name];
  if (!value) { console.error(`console.e2e: ${name} is not set`); process.exit(2); }
  return value;
}
function step(text) { console.log(`console.e2e: [${((Date.now() - started) / 1000).toFixed(1)}s] ${text}`); }
function check(condition, text) { if (!condition) throw new Error(`check failed: ${text}`); }
function executable() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser']) {
    try { return execFileSync('sh', ['-c', `command -v ${name}`]).toString().trim(); } catch { /* next */ }
  }
  throw new Error('no chromium: apt-get install chromium (Debian), or set CHROMIUM to a Chromium binary');
}

// Test files: the sample's lines 1 and 3 around a line 2 that is not JSON; and the shortest tool-calling
// conversation of the sample, a training file the tiny model learns in seconds.
const lines = readFileSync(sample, 'utf8').split('\n').filter((l) => l.trim());
const work = mkdtempSync(join(tmpdir(), 'console-e2e-'));
const badFile = join(work, 'support-with-a-bad-line.jsonl');
writeFileSync(badFile, [lines[0], '{"messages": [{"role": "user", "content": "unterminated', lines[2]].join('\n') + '\n');
const trainFile = join(work, 'console-train.jsonl');
writeFileSync(trainFile, lines.filter((l) => l.includes('"tool_calls"')).sort((a, b) => a.length - b.length)[0] + '\n');

const browser = await chromium.launch({ executablePath: executable(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(30_000);
const consoleErrors = [];
page.on('pageerror', (e) => consoleErrors.push(String(e)));

async function screenshot(name) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(shots, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);   // the chart redraws at the new width
  await page.screenshot({ path: join(shots, `${name}-390.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.waitForTimeout(150);
}

/** Selects the option whose text contains `text` (selectOption matches labels exactly). */
async function selectContaining(select, text) {
  await select.locator('option', { hasText: text }).first().waitFor({ state: 'attached' });
  const value = await select.locator('option', { hasText: text }).first().getAttribute('value');
  await select.selectOption(value);
}

async function signIn(key) {
  await page.goto(url + '/');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
}

let exitCode = 0;
try {
  step('the login page is served at / and refuses a wrong key with the API\'s own message');
  await page.goto(url + '/');
  await page.getByLabel('API key').fill('tt-not-a-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Incorrect API key' }).waitFor();
  check(!(await page.evaluate(() => location.href)).includes('tt-'), 'no key in the URL');
  await screenshot('login');

  step('tenant A signs in; the key is in sessionStorage only');
  await signIn(keyA);
  check(await page.evaluate((k) => sessionStorage.getItem('tooltune.apiKey') === k && localStorage.length === 0, keyA),
    'the key is kept in sessionStorage, not localStorage');
  await page.getByText('No datasets yet').waitFor();

  step('upload a file whose line 2 is not JSON: the progress ends in a report that names line 2');
  await page.getByLabel('JSON Lines file').setInputFiles(badFile);
  await page.getByRole('button', { name: 'Upload' }).click();
  const problem = page.locator('.problems-table tbody tr').filter({ hasText: 'not valid JSON' });
  await problem.waitFor();
  check((await problem.locator('td').first().innerText()).trim() === '2', 'the problem is on line 2');
  await page.getByText('2 examples stored, 1 invalid lines left out').waitFor();
  await page.getByLabel('Filter problems').fill('no such words');
  check(await page.locator('.problems-table tbody tr').count() === 0, 'the filter hides problems that do not match');
  await page.getByLabel('Filter problems').fill('JSON');
  await problem.waitFor();
  await screenshot('datasets-upload');

  step('the dataset: its version, statistics and examples drawn as a chat with tool-call cards; freeze it');
  await page.locator('.ok a').first().click();
  await page.getByRole('heading', { name: 'Statistics of v1' }).waitFor();
  await page.getByText('Calls per tool').waitFor();
  await page.locator('.example .tool-call').first().waitFor();
  await page.getByRole('button', { name: 'Freeze v1' }).click();
  await page.getByText(/^frozen /).waitFor();
  await screenshot('dataset');

  step('upload a training file (strict) and create a job from the form');
  await page.goto(url + '/#/datasets');
  await page.getByLabel('JSON Lines file').setInputFiles(trainFile);
  await page.locator('select[name=kind]').selectOption('file');
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.getByText(/Training file file-.*every line valid/).waitFor();
  await page.getByRole('link', { name: 'Jobs', exact: true }).click();
  const form = page.getByRole('form', { name: 'New fine-tuning job' });
  await selectContaining(form.locator('select[name=training_file]'), 'console-train.jsonl');
  check(await form.locator('select[name=method]').inputValue() === 'lora', 'LoRA by default');
  check(await form.getByLabel('LoRA rank').inputValue() === '16', 'rank 16 by default');
  // the same conversation as validation file: the trainer then evaluates before and after training
  await selectContaining(form.locator('select[name=validation_file]'), 'console-train.jsonl');
  await form.getByLabel('Name (suffix)').fill('console-e2e');
  await form.getByLabel('Epochs').fill(String(epochs));
  await form.getByLabel('Learning rate').fill('0.02');
  await form.getByLabel('Batch size').fill('1');
  await form.getByRole('button', { name: 'Create job' }).click();
  await page.waitForURL(/#\/jobs\/ftjob-/);
  const jobA = decodeURIComponent(page.url().split('/').pop());

  step(`job ${jobA}: the curve gains points from the live event stream`);
  const canvas = page.locator('.chart-canvas');
  const points = async () => Number(await canvas.getAttribute('data-points'));
  await page.waitForFunction(() => Number(document.querySelector('.chart-canvas')?.dataset.points) >= 2, null, { timeout: 180_000 });
  const first = await points();
  await page.waitForFunction((n) => Number(document.querySelector('.chart-canvas')?.dataset.points) > n
    || document.querySelector('.status.succeeded'), first, { timeout: 120_000 });
  const later = await points();
  check(later > first || await page.locator('h2 .status.succeeded').count() > 0, `more points (${first} then ${later})`);
  step(`  ${first} then ${later} points; a reload draws the curve again from the stream`);
  await page.reload();
  await page.waitForFunction((n) => Number(document.querySelector('.chart-canvas')?.dataset.points) >= n, later, { timeout: 60_000 });

  step('another job, cancelled from its page');
  await page.goto(url + '/#/jobs');
  await selectContaining(form.locator('select[name=training_file]'), 'console-train.jsonl');
  await form.getByLabel('Name (suffix)').fill('to-cancel');
  await form.getByLabel('Epochs').fill('200');
  await form.getByRole('button', { name: 'Create job' }).click();
  await page.waitForURL((u) => /#\/jobs\/ftjob-/.test(u.href) && !u.href.endsWith(jobA));
  const jobB = decodeURIComponent(page.url().split('/').pop());
  await page.getByRole('button', { name: 'Cancel job' }).click();
  await page.locator('h2 .status.cancelled').waitFor();
  check(await page.getByRole('button', { name: 'Cancel job' }).count() === 0, 'no cancel button on a cancelled job');

  step(`job ${jobA} succeeds: fine-tuned model, checkpoint, before/after evaluation`);
  await page.goto(url + `/#/jobs/${jobA}`);
  await page.locator('h2 .status.succeeded').waitFor({ timeout: 300_000 });
  await page.getByRole('heading', { name: 'Checkpoints' }).waitFor();
  await page.getByRole('heading', { name: 'Before and after training' }).waitFor();
  await screenshot('job');

  step('models: the fine-tuned model is listed, with where inference holds it');
  await page.getByRole('link', { name: 'Models', exact: true }).click();
  await page.locator('td code').filter({ hasText: /^ft:.*console-e2e/ }).waitFor();
  // nothing has called the adapter yet: inference has not fetched it (a broken pass-through would say "unknown")
  const tunedRow = page.locator('tr').filter({ has: page.locator('td code', { hasText: /^ft:.*console-e2e/ }) });
  check((await tunedRow.locator('.loaded').innerText()).trim() === 'not loaded', 'the adapter is not loaded before its first request');
  check(await page.locator('li .loaded.device').count() > 0, 'the base model is loaded on the device');
  await screenshot('models');

  step('playground: required mode on the base model streams a tool-call card');
  await page.getByRole('link', { name: 'Playground', exact: true }).click();
  await page.locator('select[name=model]').selectOption('tooltune/gemma-3-tiny-random');
  await page.locator('select[name=tool_choice]').selectOption('required');
  await page.getByLabel('max_tokens').fill('48');   // a random model's arguments are long strings: keep the CPU short
  await page.getByLabel('Message').fill('What is the weather in Paris?');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const card = page.locator('.turn.assistant .tool-call');
  await card.first().locator('.name').filter({ hasText: /\w/ }).waitFor({ timeout: 120_000 });
  step('  the card is there while the answer streams; waiting for its end');
  await page.getByRole('button', { name: 'Send', exact: true }).waitFor({ timeout: 180_000 });   // the stream has ended
  const name = (await card.first().locator('.name').innerText()).trim();
  check(['get_weather', 'lookup_crm_contact'].includes(name), `the call names a tool of the request (${name})`);
  check((await card.first().locator('pre').innerText()).trim().startsWith('{'), 'the arguments are a JSON object');
  await page.getByText('Raw request and response').click();
  check((await page.locator('.raw pre').first().innerText()).includes('"tool_choice": "required"'), 'the raw request shows tool_choice');
  await screenshot('playground');
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.locator('select[name=tool_choice]').selectOption('function:lookup_crm_contact');
  await page.getByLabel('Message').fill('Who is our contact at ACME?');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.locator('.turn.assistant .tool-call .name').filter({ hasText: 'lookup_crm_contact' }).waitFor({ timeout: 120_000 });
  await page.getByRole('button', { name: 'Send', exact: true }).waitFor({ timeout: 180_000 });

  step('tenant B sees none of it');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(keyB);
  await page.getByText('No datasets yet').waitFor();
  check(!(await page.content()).includes('support-with-a-bad-line'), 'no dataset of tenant A');
  await page.getByRole('link', { name: 'Jobs', exact: true }).click();
  await page.getByText('No jobs yet').waitFor();
  check(!(await page.content()).includes(jobA), 'no job of tenant A');
  await page.goto(url + `/#/jobs/${jobA}`);
  await page.getByRole('alert').filter({ hasText: 'No such fine-tuning job' }).first().waitFor();
  await page.goto(url + '/#/models');
  await page.getByText('No fine-tuned models yet').waitFor();
  check(!(await page.content()).includes('console-e2e'), 'no model of tenant A');
  await page.goto(url + `/#/datasets`);
  await screenshot('datasets-empty');
  check(consoleErrors.length === 0, `no script errors in the page: ${consoleErrors.join('; ')}`);
  step(`passed (jobs ${jobA}, ${jobB})`);
} catch (e) {
  exitCode = 1;
  console.error(`console.e2e: FAILED: ${e.message}`);
  try {
    const failure = join(shots || work, 'failure.png');
    await page.screenshot({ path: failure, fullPage: true });
    console.error(`console.e2e: the page at the failure: ${failure} (${page.url()})`);
  } catch { /* the browser is gone */ }
} finally {
  await browser.close();
}
process.exit(exitCode);
