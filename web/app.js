// fzip-import page. Sign in; import a package (checked before upload, upload progress, live steps
// with counts, Cancel at hand, honest end states, readable problems and conflicts, a preview to
// decide record by record, what the package holds with a chart to pick a selection); the list of
// your imports (paged, each opens its live view at #/imports/{id}, with Cancel, Undo, Delete that
// ask first); export. The words (kinds, statuses, steps) come from the generated vocabulary. No
// framework, no inline script (CSP). Network errors are retried with backoff and said so.

import { KINDS, KIND_WORDS, PHASE_STEPS, STATUS_WORDS, STEP, STEPS } from './vocabulary.generated.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'fzip.token';
const PKCE_KEY = 'fzip.pkce';
const STEP_KEY = 'fzip.steps';
const SVG = 'http://www.w3.org/2000/svg';
const LIST_PAGE = 20;

let config = { auth: { mode: 'token' } };
let token;
let signOutTimer;

// ---- small helpers ---------------------------------------------------------------------

function announce(text) {
  $('announce').textContent = text;
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = String(v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

const num = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : n == null ? '' : String(n));
const when = (ms) => (ms ? new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const plural = (n, one, many) => `${num(n)} ${n === 1 ? one : many}`;
const kindCount = (kind, n) => plural(n, KIND_WORDS[kind].one, KIND_WORDS[kind].many);
const capital = (s) => (s ? s[0].toUpperCase() + s.slice(1) : s);

/** A decimal string as money, exactly (no float): -1765.38, GBP -> "−1,765.38 GBP". */
function money(amount, currency) {
  const text = String(amount ?? '');
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  if (!m) return `${text}${currency ? ` ${currency}` : ''}`;
  const whole = m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${m[1] ? '−' : ''}${whole}${m[3] ?? ''}${currency ? ` ${currency}` : ''}`;
}

const bytes = (n) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} bytes`);

/** Runs an event handler, showing (never throwing) what went wrong: no unhandled rejection. */
function guard(fn, where = () => $('job-message')) {
  return async (...args) => {
    try {
      await fn(...args);
    } catch (err) {
      const target = where();
      if (target) target.textContent = plainError(err);
      announce(plainError(err));
    }
  };
}

function plainError(err) {
  if (err instanceof ApiError || err instanceof Unavailable) return err.message;
  return `Something went wrong: ${err?.message ?? err}`;
}

function fillTable(table, headers, rows) {
  const caption = table.querySelector('caption');
  table.replaceChildren(...(caption ? [caption] : []));
  const hr = el('tr', {}, headers.map((h) => el('th', { scope: 'col', class: h.num ? 'num' : undefined, text: h.label })));
  const tbody = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    headers.forEach((h, i) => {
      const v = r[i];
      const td = el('td', { 'data-label': h.label, class: h.num ? 'num' : h.cls });
      if (v instanceof Node) td.append(v);
      else td.textContent = v == null ? '' : String(v);
      tr.append(td);
    });
    tbody.append(tr);
  }
  table.append(el('thead', {}, hr), tbody);
}

// ---- sign-in ---------------------------------------------------------------------------

function tokenExpiry(t) {
  try {
    const payload = JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return { exp: payload.exp * 1000, sub: payload.username ?? payload['cognito:username'] ?? payload.sub };
  } catch {
    return undefined;
  }
}

function useToken(t) {
  const info = tokenExpiry(t);
  if (!info || !info.exp || info.exp <= Date.now()) {
    $('sign-in-error').textContent = 'That token is not valid or has expired.';
    return false;
  }
  token = t;
  // kept for this tab only, never past its expiry
  sessionStorage.setItem(TOKEN_KEY, t);
  clearTimeout(signOutTimer);
  signOutTimer = setTimeout(signOut, Math.min(info.exp - Date.now(), 2 ** 31 - 1));
  // at phone width only the name shows (the header stays one line)
  $('who-name').replaceChildren(el('span', { class: 'who-label', text: 'Signed in as ' }), info.sub);
  $('who').hidden = false;
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('sign-in-error').textContent = '';
  refreshJobs();
  refreshExports();
  refreshMoney();
  route();
  return true;
}

function signOut() {
  token = undefined;
  viewGeneration++;
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(signOutTimer);
  $('who').hidden = true;
  $('app').hidden = true;
  setOffline(false);
  showSignIn();
}

function showSignIn() {
  $('sign-in').hidden = false;
  $('local-sign-in').hidden = config.auth.mode !== 'local';
  $('cognito-sign-in').hidden = config.auth.mode !== 'cognito';
  (config.auth.mode === 'local' ? $('local-user') : config.auth.mode === 'cognito' ? $('cognito-button') : $('token-input')).focus();
}

function b64url(bytesIn) {
  return btoa(String.fromCharCode(...new Uint8Array(bytesIn))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function cognitoSignIn() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  // the job being looked at comes back with the sign-in
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, hash: location.hash }));
  const a = config.auth;
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: a.clientId,
    redirect_uri: `${location.origin}/`,
    scope: a.scopes ?? 'openid',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`${a.domain}/oauth2/authorize?${q}`);
}

/** Back from Cognito's hosted UI with ?code=: the code and the PKCE verifier for tokens. */
async function finishCognitoSignIn() {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (!code || config.auth.mode !== 'cognito') return false;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? '{}');
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, '', `/${saved.hash ?? ''}`);
  if (!saved.verifier || saved.state !== params.get('state')) {
    $('sign-in-error').textContent = 'The sign-in did not come back as expected; try again.';
    return false;
  }
  const res = await fetch(`${config.auth.domain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: config.auth.clientId, code, redirect_uri: `${location.origin}/`, code_verifier: saved.verifier }),
  });
  if (!res.ok) {
    $('sign-in-error').textContent = 'The sign-in failed; try again.';
    return false;
  }
  const tokens = await res.json();
  return useToken(config.auth.tokenUse === 'id' ? tokens.id_token : tokens.access_token);
}

// ---- API: JSON only, retried with backoff while the service cannot be reached ----------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `The service refused the request (HTTP ${status}).`);
    this.status = status;
    this.code = body?.error?.code;
    this.details = body?.error?.details;
  }
}

/** The service could not be reached, or answered with something that is not its JSON (a gateway's error page). */
class Unavailable extends Error {}

let offline = false;
function setOffline(on) {
  $('connection').hidden = !on;
  if (on !== offline) announce(on ? 'Connection lost, retrying…' : 'Connected again.');
  offline = on;
}

async function request(method, path, body) {
  let res;
  let text;
  try {
    res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    text = await res.text();
  } catch {
    throw new Unavailable('The service cannot be reached (network error). Check your connection.');
  }
  if (res.status === 401) {
    signOut();
    throw new ApiError(401, { error: { message: 'Your session has ended; sign in again.' } });
  }
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    throw new Unavailable(`The service is not answering properly just now (HTTP ${res.status}). Try again in a moment.`);
  }
  if ([502, 503, 504].includes(res.status)) throw new Unavailable(`The service is busy or restarting (HTTP ${res.status}).`);
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

/** GETs are retried until they succeed (or the user signs out); other calls are tried once. */
async function api(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      const out = await request(method, path, body);
      setOffline(false);
      return out;
    } catch (err) {
      if (!(err instanceof Unavailable) || method !== 'GET' || !token) throw err;
      setOffline(true);
      await sleep(Math.min(8000, 500 * 2 ** Math.min(attempt, 4)));
    }
  }
}

/** The presigned POST, with real upload progress. */
function upload(form, file, onProgress) {
  return new Promise((resolve, reject) => {
    const data = new FormData();
    for (const [k, v] of Object.entries(form.fields)) data.append(k, v);
    data.append('file', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.url);
    xhr.upload.addEventListener('progress', (e) => e.lengthComputable && onProgress(Math.round((100 * e.loaded) / e.total)));
    xhr.addEventListener('load', () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new ApiError(xhr.status, { error: { message: `The upload was refused (HTTP ${xhr.status}).` } }))));
    xhr.addEventListener('error', () => reject(new Unavailable('The upload failed (network error). Import the file again.')));
    xhr.send(data);
  });
}

// ---- the package file: checked before anything is uploaded ----------------------------

/** ZIP (PK\x03\x04, or an empty PK\x05\x06) or JSON (an object or array, after an optional BOM and spaces). */
async function checkFile(file) {
  if (!file) throw new Error('Choose a package file first.');
  const limit = config.maxPackageBytes;
  if (limit && file.size > limit) throw new Error(`${file.name} is ${bytes(file.size)}; the largest package accepted is ${bytes(limit)}.`);
  if (file.size === 0) throw new Error(`${file.name} is empty.`);
  const head = new Uint8Array(await file.slice(0, 64).arrayBuffer());
  if (head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) return 'fzip';
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && [0x20, 0x09, 0x0a, 0x0d].includes(head[i])) i++;
  if (head[i] === 0x7b || head[i] === 0x5b) return 'json';
  throw new Error(`${file.name} is not a backup package: an FZIP package is a ZIP file, and a JSON backup starts with “{”.`);
}

async function onFileChosen() {
  const file = $('package-file').files[0];
  $('file-problem').textContent = '';
  if (!file) return;
  // the account choices and a picked selection belong to the package they were taken from
  if (overviewFor !== undefined && file.name !== overviewFor) forgetSelection(`The selection from ${overviewFor} was cleared: it does not apply to ${file.name}.`);
  else if ($('selection-note').textContent) $('selection-note').textContent = $('selection-note').textContent.replace(' Choose the package file again, then Import.', ' Choose Import.');
  try {
    await checkFile(file);
    $('file-hint').textContent = `${file.name}, ${bytes(file.size)}`;
  } catch (err) {
    $('file-problem').textContent = err.message;
  }
}

// ---- import: create, upload, follow ----------------------------------------------------

let current; // the import whose view is open
let viewGeneration = 0; // a newer view stops the older one's polling
let uploading = false;

function filterFromForm(form) {
  const filter = {};
  const accounts = [...form.querySelectorAll('input[name=account]:checked')].map((i) => i.value);
  const all = form.querySelectorAll('input[name=account]').length;
  if (accounts.length && accounts.length < all) filter.accountIds = accounts;
  if (form.from.value) filter.dateFrom = form.from.value;
  if (form.to.value) filter.dateTo = form.to.value;
  const kinds = [...form.querySelectorAll('input[name=kinds]:checked')].map((i) => i.value);
  if (kinds.length !== KINDS.length) filter.kinds = kinds;
  return Object.keys(filter).length ? filter : undefined;
}

function resetPanel(title) {
  $('progress-panel').hidden = false;
  for (const id of ['summary', 'errors', 'preview-panel', 'overview', 'conflict-choice']) $(id).hidden = true;
  $('job-message').replaceChildren();
  $('job-records').textContent = '';
  $('upload-progress').value = 0;
  $('job-progress').value = 0;
  $('job-progress-row').hidden = false;
  $('job-status').textContent = 'Starting';
  $('cancel-running').hidden = true;
  $('progress-title').textContent = title;
  showSteps({ at: STEP.upload });
}

/** Starts an import of the chosen file with the form's choices (or, for a second try, another strategy). */
async function startImport({ validateOnly = false, strategy, preview } = {}) {
  const form = $('import-form');
  const file = form.file.files[0];
  let packageFormat;
  try {
    packageFormat = await checkFile(file);
  } catch (err) {
    $('file-problem').textContent = err.message;
    form.file.focus();
    return;
  }
  $('file-problem').textContent = '';
  const gen = ++viewGeneration;
  resetPanel(`${validateOnly ? 'Check' : 'Import'} of ${file.name}`);
  $('upload-row').hidden = false;
  $('progress-title').focus();
  $('import-button').disabled = true;
  $('check-button').disabled = true;
  try {
    const body = { mergeStrategy: strategy ?? form.strategy.value, packageFormat, packageName: file.name.slice(0, 255) };
    if (validateOnly) body.validateOnly = true;
    else if (preview ?? form.preview.checked) body.requireConfirmation = true;
    const filter = filterFromForm(form);
    if (filter) body.filter = filter;
    const created = await api('POST', '/import', body);
    current = created.importId;
    history.replaceState(null, '', `#/imports/${current}`);
    $('job-link').href = `#/imports/${current}`;
    uploading = true;
    await upload(created.uploadUrl, file, (p) => ($('upload-progress').value = p));
    uploading = false;
    $('upload-progress').value = 100;
    await startUnlessStarted(current);
    announce('Uploaded; the import runs.');
    refreshJobs(); // the running import shows in the list at once, with its Cancel
    await follow(current, gen);
  } catch (err) {
    $('job-message').replaceChildren(el('p', { class: 'bad', text: `${validateOnly ? 'The check' : 'The import'} could not start: ${plainError(err)}` }));
    announce(plainError(err));
  } finally {
    uploading = false;
    $('import-button').disabled = false;
    $('check-button').disabled = false;
    refreshJobs();
  }
}

/**
 * The upload's S3 event starts the import; the page asks the API to start it only when that has
 * not happened after a few seconds (an event lost or late), so the two never race (a 409).
 */
async function startUnlessStarted(importId) {
  for (let waited = 0; waited < 4000; waited += 250) {
    const job = await api('GET', `/import/${importId}/status`);
    if (job.status !== 'uploaded') return;
    await sleep(250);
  }
  try {
    await api('POST', `/import/${importId}/upload`);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409 && !/no package/.test(err.message))) throw err;
  }
}

// ---- the job's view (also reopened from #/imports/{id}) ---------------------------------

/** The last step each job was seen in, kept for the tab (a reload still marks where it stopped). */
function rememberStep(importId, step) {
  const seen = JSON.parse(sessionStorage.getItem(STEP_KEY) ?? '{}');
  if (step === undefined) return seen[importId];
  seen[importId] = step;
  sessionStorage.setItem(STEP_KEY, JSON.stringify(seen));
  return step;
}

/** The steps: before `at` done, `at` current or failed; `extra` adds a last line (rolling back, canceled …). */
function showSteps({ at, failed = false, extra, extraClass = 'current', allDone = false, only = STEPS.length }) {
  const items = STEPS.slice(0, only).map((s, i) => {
    const li = el('li', { text: s });
    if (allDone || i < at) li.className = 'done';
    else if (i === at && !extra) {
      li.className = failed ? 'failed' : 'current';
      li.setAttribute('aria-current', 'step');
    }
    return li;
  });
  if (extra) items.push(el('li', { class: extraClass, text: extra, 'aria-current': extraClass === 'done' ? undefined : 'step' }));
  $('phases').replaceChildren(...items);
}

/** A check (validate only) has two steps: the upload and the check. */
function renderSteps(job) {
  if (job.validateOnly) {
    const ended = STATUS_WORDS[job.status].class === 'finished' || job.status === 'validation_passed';
    if (job.status === 'validation_passed') return showSteps({ at: 2, only: 2, extra: 'Checked: nothing written', extraClass: 'done' });
    return showSteps({ at: job.status === 'uploaded' ? 0 : 1, only: 2, failed: ended });
  }
  const known = PHASE_STEPS[job.currentPhase];
  const step = known !== undefined ? rememberStep(job.importId, known) : rememberStep(job.importId);
  switch (job.status) {
    case 'uploaded':
      return showSteps({ at: STEP.upload, failed: !!job.reopened });
    case 'queued':
      return showSteps({ at: STEP.upload + 1 });
    case 'completed':
      return showSteps({ at: STEPS.length, allDone: true });
    case 'validation_passed':
      return showSteps({ at: step ?? STEP.check });
    case 'validation_failed':
      return onlyConflicts(job)
        ? showSteps({ at: STEP.check + 1, extra: 'Stopped: waiting for your choice', extraClass: 'failed' })
        : showSteps({ at: STEP.check, failed: true });
    case 'expired':
      return showSteps({ at: STEP.check, failed: true });
    case 'canceling':
    case 'rolling_back':
      return showSteps({ at: step ?? STEP.check, extra: 'Putting back what it wrote' });
    case 'undoing':
      return showSteps({ at: STEPS.length, allDone: true, extra: 'Undoing: putting back what it wrote' });
    case 'undone':
      return showSteps({ at: STEPS.length, allDone: true, extra: 'Undone', extraClass: 'done' });
    case 'canceled':
    case 'failed':
      // the step it stopped in, when this tab saw it; otherwise the end says it
      return step !== undefined && step < STEP.finish
        ? showSteps({ at: step, failed: true })
        : showSteps({ at: STEP.upload, extra: job.status === 'canceled' ? 'Canceled' : 'Failed', extraClass: 'failed' });
    default:
      return showSteps({ at: step ?? STEP.check });
  }
}

function recordsText(job) {
  if (job.status === 'processing' && job.recordsTotal) return `— ${num(job.recordsDone ?? 0)} of ${kindCount('transactions', job.recordsTotal)} written`;
  if (['rolling_back', 'canceling', 'undoing'].includes(job.status)) return `— ${job.progress}% put back`;
  if (job.status === 'validating' && job.currentPhase?.startsWith('validating_')) {
    const kind = job.currentPhase.slice('validating_'.length);
    if (KIND_WORDS[kind]) return `— checking ${KIND_WORDS[kind].many}`;
  }
  return '';
}

/** A check that failed only because you already hold some records with other content: not a broken package. */
const onlyConflicts = (job) => job.status === 'validation_failed' && (job.validationResults?.errors ?? []).length > 0 && job.validationResults.errors.every((e) => e.code === 'ID_CONFLICT');

function statusText(job) {
  if (job.status === 'validation_passed' && job.validateOnly) return 'Checked: the package can be imported (nothing was written)';
  if (onlyConflicts(job)) return 'Stopped before writing: you already have some of these records';
  if (job.status === 'uploaded' && job.reopened) return 'Upload not finished';
  return STATUS_WORDS[job.status]?.label ?? job.status;
}

async function openJob(importId) {
  const gen = ++viewGeneration;
  current = importId;
  resetPanel('Import');
  $('upload-row').hidden = true;
  $('job-link').href = `#/imports/${importId}`;
  try {
    await follow(importId, gen, true);
  } catch (err) {
    if (gen !== viewGeneration) return;
    if (err instanceof ApiError && err.status === 404) {
      $('progress-title').textContent = 'Import not found';
      $('job-message').replaceChildren(el('p', { text: 'There is no such import among yours (it may have been deleted or expired).' }));
      $('phases').replaceChildren();
      $('job-progress-row').hidden = true;
      $('job-status').textContent = '—';
    } else {
      $('job-message').replaceChildren(el('p', { text: plainError(err) }));
    }
  }
}

async function follow(importId, gen, reopened = false) {
  let last = '';
  $('cancel-running').onclick = guard(async () => {
    if (!window.confirm('Cancel this import? Whatever it has written so far is put back, and your data stays as it was.')) return;
    $('cancel-running').disabled = true;
    await api('POST', `/import/${importId}/cancel`);
    announce('Canceling: the import stops and puts back what it wrote.');
  });
  for (let first = true; ; first = false) {
    const job = await api('GET', `/import/${importId}/status`);
    if (gen !== viewGeneration) return;
    if (first) {
      const name = job.packageName ?? 'a package';
      $('progress-title').textContent = `${job.validateOnly ? 'Check' : 'Import'} of ${name}`;
      if (reopened) $('progress-title').textContent += `, started ${when(job.uploadedAt)}`;
    }
    $('job-status').textContent = statusText(job);
    $('job-progress').value = job.progress;
    $('job-records').textContent = recordsText(job);
    // a preview waiting for confirm has its own Cancel beside Confirm
    $('cancel-running').hidden = !job.actions.includes('cancel') || job.actions.includes('confirm');
    $('cancel-running').disabled = false;
    renderSteps(job);
    if (job.status !== last) {
      announce(`${statusText(job)}.`);
      last = job.status;
    }
    if (job.status === 'uploaded' && reopened && !uploading) {
      job.reopened = true;
      $('job-status').textContent = statusText(job);
      renderSteps(job);
      return showUnfinishedUpload(job);
    }
    if (job.actions.includes('confirm')) return showPreview(job);
    if (STATUS_WORDS[job.status].class === 'finished' || (job.status === 'validation_passed' && job.validateOnly)) return showEnd(job);
    if (job.status === 'queued') $('job-message').replaceChildren(el('p', { text: 'It waits for your other import to end, then starts by itself.' }));
    else $('job-message').replaceChildren();
    await sleep(700);
  }
}

function showUnfinishedUpload(job) {
  $('job-progress-row').hidden = true;
  $('job-message').replaceChildren(
    el('p', { text: 'The package never arrived: the page was left or the connection dropped during the upload. Nothing was imported.' }),
    el('p', { text: job.actions.includes('cancel') ? 'Cancel it, then import the file again.' : 'Import the file again.' }),
  );
  $('cancel-running').hidden = !job.actions.includes('cancel');
}

/** A replace import deleted records: the results and plans get a column for them. */
const deletes = (byKind, field) => KINDS.some((k) => (byKind?.[k]?.[field] ?? 0) > 0);
const kindLabel = (k) => capital(KIND_WORDS[k].many);

function showSummary(job) {
  const r = job.importResults ?? {};
  const del = deletes(r, 'deleted');
  $('summary').hidden = false;
  fillTable(
    $('summary-table'),
    [{ label: 'Kind' }, { label: 'Created', num: true }, { label: 'Updated', num: true }, { label: 'Kept yours', num: true }, { label: 'Unchanged', num: true }, ...(del ? [{ label: 'Deleted', num: true }] : [])],
    KINDS.map((k) => {
      const c = r[k] ?? {};
      return [kindLabel(k), num(c.created ?? 0), num(c.updated ?? 0), num(c.skipped ?? 0), num(c.unchanged ?? 0), ...(del ? [num(c.deleted ?? 0)] : [])];
    }),
  );
}

function written(results) {
  return KINDS.reduce((n, k) => n + ['created', 'updated', 'deleted'].reduce((m, f) => m + (results?.[k]?.[f] ?? 0), 0), 0);
}

function showEnd(job) {
  // an end that kept nothing is said in the colour of a problem; its details in plain text
  const bad = ['canceled', 'failed', 'expired'].includes(job.status);
  const say = (...lines) => $('job-message').replaceChildren(...lines.filter(Boolean).map((t, i) => (t instanceof Node ? t : el('p', { class: bad && i === 0 ? 'bad' : undefined, text: t }))));
  $('cancel-running').hidden = true;
  $('job-progress-row').hidden = job.status !== 'completed' && !(job.status === 'validation_passed' && job.validateOnly);
  const r = job.rollbackResults;
  const putBack = r ? r.restored + r.deleted : 0;
  switch (job.status) {
    case 'completed': {
      const n = written(job.importResults);
      say(el('p', { class: 'ok', text: n ? `Imported: ${num(n)} records and files created, changed or deleted.` : 'Imported: nothing needed to change; you already had all of it.' }));
      showSummary(job);
      break;
    }
    case 'validation_passed':
      say(el('p', { class: 'ok', text: 'The package is valid and can be imported. Nothing was written.' }));
      showOverview(job);
      break;
    case 'validation_failed':
      showProblems(job);
      break;
    case 'canceled':
      say(
        putBack
          ? `Canceled. It had written ${num(putBack)} records and files; all were put back: your data is as it was.`
          : 'Canceled before anything was written: your data is as it was.',
      );
      break;
    case 'expired':
      say('Not confirmed in time: nothing was written. Import the package again to continue.');
      break;
    case 'undone':
      say(
        `Undone: what the import wrote was put back (${num(r?.restored ?? 0)} restored, ${num(r?.deleted ?? 0)} removed, statement files included).`,
        r?.changedSince ? `${num(r.changedSince)} records changed by a later import were left as they are now.` : undefined,
      );
      break;
    case 'failed':
      say(
        `The import failed: ${job.errorMessage ?? 'no reason was given'}.`.replace(/\.\.$/, '.'),
        job.rolledBack === true ? (putBack ? `It had written ${num(putBack)} records and files; all were put back: your data is as it was.` : 'Nothing had been written: your data is as it was.') : undefined,
        job.rolledBack === false ? 'What it wrote could not all be put back yet: use Undo in the list below to finish putting it back.' : undefined,
      );
      break;
    default:
      say(statusText(job));
  }
  announce(`${statusText(job)}.`);
  $('progress-title').focus();
  // the figures are recomputed after an import that wrote (or put back) something
  if (['completed', 'undone', 'canceled', 'failed'].includes(job.status)) refreshMoney(job.completedAt ?? Date.now());
}

// ---- problems (a package that failed its check) ----------------------------------------

/** The kind a problem's file holds: data/{fileBase}.json(.gz), or the kind itself (conflicts name it). */
const kindOfFile = (file) => KINDS.find((k) => file === k || file === `data/${KIND_WORDS[k].file}.json` || file === `data/${KIND_WORDS[k].file}.json.gz`);

/** One problem as a sentence: which record (1-based), what is wrong, the value; the code and ids as details. */
function problemItem(e) {
  const kind = kindOfFile(e.file);
  const where = kind && e.index !== undefined ? `${capital(KIND_WORDS[kind].one)} ${num(e.index + 1)}` : kind && e.id ? capital(KIND_WORDS[kind].one) : e.file === 'filter' ? 'Your selection' : e.file ? e.file : 'The package';
  // a message that starts with its field's path names the field in words: "accountId refers…" -> "Account id refers…"
  const lead = /^([A-Za-z_][\w./]*) (.*)$/s.exec(e.message);
  const path = e.field?.replace(/^\//, '').replace(/\//g, '.');
  const named = lead && path && lead[1].replace(/\//g, '.') === path ? `${fieldLabel(path.split('.').pop())}${path.includes('.') ? ` (${path})` : ''} ${lead[2]}` : capital(e.message);
  const text = `${named}${e.value !== undefined ? ` (the value is ${e.value})` : ''}.`.replace(/\.\.$/, '.');
  const details = [e.code, e.file && kind ? `in ${e.file}` : undefined, e.field ? `field ${e.field}` : undefined, e.id ? `id ${e.id}` : undefined].filter(Boolean).join(' · ');
  const li = el('li', {}, el('span', { class: 'where', text: `${where}: ` }), text, ' ', el('span', { class: 'code', text: details }));
  li.dataset.search = [where, text, details].join(' ').toLowerCase();
  return li;
}

let problemItems = [];
function showProblems(job) {
  const v = job.validationResults ?? {};
  const errors = v.errors ?? [];
  const total = v.errorCount ?? errors.length;
  // "you already have these records": not a broken package; say so and offer the choices
  if (errors.length && errors.every((e) => e.code === 'ID_CONFLICT')) {
    $('conflict-choice').hidden = false;
    $('job-message').replaceChildren(el('p', { class: 'bad', text: `Nothing was imported: you already have ${plural(v.conflictCount ?? total, 'record', 'records')} of this package with other content.` }));
    $('conflict-choice-text').textContent = 'Choose what to do with them; the rest of the package is the same as your data or new.';
    return;
  }
  $('job-message').replaceChildren(el('p', { class: 'bad', text: `Nothing was imported: the package has ${plural(total, 'problem', 'problems')}. Fix the package (or export it again) and import it again.` }));
  $('errors').hidden = false;
  $('errors-title').textContent = `Problems in the package: ${num(total)}${total > errors.length ? ` (the first ${num(errors.length)} listed)` : ''}`;
  problemItems = errors.map(problemItem);
  renderProblems();
}

function renderProblems() {
  const typed = $('errors-filter').value.trim();
  const q = typed.toLowerCase();
  const shown = q ? problemItems.filter((li) => li.dataset.search.includes(q)) : problemItems;
  $('errors-list').replaceChildren(...shown);
  $('errors-shown').textContent = q ? `${plural(shown.length, 'problem matches', 'problems match')} “${typed}”.` : '';
}

/** After "you already have these records": the same file again, with the chosen way. */
async function importAgain(strategy, preview) {
  if (!$('package-file').files[0]) {
    $('strategy').value = strategy;
    $('preview').checked = preview;
    $('file-problem').textContent = 'Choose the package file again, then Import (your choice is set in the form).';
    $('package-file').focus();
    return;
  }
  await startImport({ strategy, preview });
}

// ---- what the package holds: accounts, and a chart to pick a selection -----------------

let picked = { from: undefined, to: undefined, accounts: new Set() };
let overviewFor; // the package the account choices and a picked selection belong to

/** What the package holds; after a check you can pick a selection from it, in a preview it only informs. */
function showOverview(job, { pick = true } = {}) {
  const o = job.validationResults?.overview;
  if (!o || !o.accounts) return;
  $('overview').hidden = false;
  overviewFor = job.packageName;
  for (const id of ['use-selection', 'clear-selection', 'overview-selection']) $(id).hidden = !pick;
  $('chart-caption').textContent = pick ? 'Transactions per month. Choose a month to start a date range, and another to end it.' : 'Transactions per month.';
  const span = o.firstDate ? `, from ${o.firstDate} to ${o.lastDate}` : '';
  $('overview-text').textContent = `${kindCount('transactions', o.transactions)} in ${plural(o.accounts.length + o.moreAccounts, 'account', 'accounts')}${span}.${o.earlierMonths ? ` The chart leaves out ${num(o.earlierMonths)} earlier months (${num(o.earlierTransactions)} transactions).` : ''}`;
  picked = { from: undefined, to: undefined, accounts: new Set() };
  const rows = o.accounts.map((a) => {
      const toggle = (e) => {
        if (e.target.checked) picked.accounts.add(a.accountId);
        else picked.accounts.delete(a.accountId);
        describePick();
      };
      const box = el('input', { type: 'checkbox', value: a.accountId, 'aria-label': `Import only ${a.name ?? a.accountId}`, onchange: toggle });
      return [...(pick ? [box] : []), a.name ?? a.accountId, a.currency ?? '', num(a.transactions), a.firstDate ?? '', a.lastDate ?? ''];
  });
  const headers = [{ label: 'Account' }, { label: 'Currency' }, { label: 'Transactions', num: true }, { label: 'First' }, { label: 'Last' }];
  fillTable($('overview-table'), pick ? [{ label: 'Import' }, ...headers] : headers, rows);
  drawChart(o, pick);
  fillAccountChoices(o);
  describePick();
}

/** The import form's account choices: the accounts of the package checked last. */
function fillAccountChoices(o) {
  $('filter-accounts-hint').textContent = 'Leave all unticked to import every account.';
  $('filter-account-list').replaceChildren(
    ...o.accounts.map((a) => el('label', {}, el('input', { type: 'checkbox', name: 'account', value: a.accountId }), ` ${a.name ?? a.accountId} (${kindCount('transactions', a.transactions)})`)),
  );
}

function seriesOf(o) {
  const keys = [];
  for (const m of o.months) for (const k of Object.keys(m.counts)) if (!keys.includes(k)) keys.push(k);
  const order = o.accounts.map((a) => a.accountId);
  keys.sort((a, b) => (a === 'other' ? 1 : b === 'other' ? -1 : order.indexOf(a) - order.indexOf(b)));
  const name = (k) => (k === 'other' ? 'Other accounts' : (o.accounts.find((a) => a.accountId === k)?.name ?? k));
  return keys.map((k, i) => ({ key: k, name: name(k), cls: `s${k === 'other' ? 8 : Math.min(i, 7)}` }));
}

function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, String(v));
  for (const c of children) e.append(c);
  return e;
}

/** An SVG element that acts as a button: click, Enter or Space. */
function activate(g, action) {
  g.addEventListener('click', action);
  g.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      action();
    }
  });
}

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const monthName = (m) => `${MONTH_NAMES[Number(m.slice(5, 7)) - 1]} ${m.slice(0, 4)}`;

function drawChart(o, pick = true) {
  const series = seriesOf(o);
  const months = o.months;
  const W = 720;
  const H = 220;
  const left = 44;
  const bottom = 22;
  const top = 10;
  const plotW = W - left - 8;
  const plotH = H - top - bottom;
  const max = Math.max(1, ...months.map((m) => Object.values(m.counts).reduce((a, b) => a + b, 0)));
  const slot = plotW / Math.max(1, months.length);
  const bar = Math.max(1, slot * 0.8);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'group', 'aria-label': `Transactions per month, ${months.length ? `${monthName(months[0].month)} to ${monthName(months[months.length - 1].month)}` : 'none'}; the highest month has ${num(max)}` });
  root.append(
    svg('line', { class: 'grid', x1: left, y1: top, x2: W - 8, y2: top }),
    svg('line', { class: 'grid', x1: left, y1: top + plotH, x2: W - 8, y2: top + plotH }),
    svg('text', { class: 'axis', x: left - 4, y: top + 4, 'text-anchor': 'end' }, document.createTextNode(num(max))),
    svg('text', { class: 'axis', x: left - 4, y: top + plotH, 'text-anchor': 'end' }, document.createTextNode('0')),
  );
  months.forEach((m, i) => {
    const x = left + i * slot;
    const total = Object.values(m.counts).reduce((a, b) => a + b, 0);
    const parts = series.filter((s) => m.counts[s.key]).map((s) => `${s.name} ${num(m.counts[s.key])}`);
    const label = `${monthName(m.month)}: ${kindCount('transactions', total)} (${parts.join(', ')})`;
    const g = pick ? svg('g', { class: 'month', tabindex: 0, role: 'button', 'data-month': m.month, 'aria-label': label }) : svg('g', { class: 'month', 'data-month': m.month });
    g.append(svg('rect', { class: 'hit', x: x, y: top, width: slot, height: plotH }));
    let y = top + plotH;
    for (const s of series) {
      const n = m.counts[s.key] ?? 0;
      if (!n) continue;
      const h = (plotH * n) / max;
      y -= h;
      g.append(svg('rect', { class: `bar ${s.cls}`, x: x + (slot - bar) / 2, y, width: bar, height: Math.max(h, 0.5) }));
    }
    g.append(svg('title', {}, document.createTextNode(`${monthName(m.month)}: ${kindCount('transactions', total)}`)));
    if (pick) activate(g, () => pickMonth(m.month));
    root.append(g);
    // a year label under each January (and the first month)
    if (i === 0 || m.month.endsWith('-01')) root.append(svg('text', { class: 'axis', x: x + 1, y: H - 6 }, document.createTextNode(m.month.slice(0, 4))));
  });
  $('chart').replaceChildren(root);
  $('chart-legend').replaceChildren(...series.map((s) => el('li', {}, el('span', { class: `swatch ${s.cls}`, 'aria-hidden': 'true' }), s.name)));
}

function lastDay(month) {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

/** The first choice starts a range (one month), the second ends it (either order), a third starts again. */
function pickMonth(month) {
  if (!picked.from || picked.ended) picked = { ...picked, from: month, to: month, ended: false };
  else picked = { ...picked, from: month < picked.from ? month : picked.from, to: month < picked.from ? picked.to : month, ended: true };
  describePick();
}

function describePick() {
  for (const g of $('chart').querySelectorAll('.month')) {
    const m = g.dataset.month;
    const inside = !!picked.from && m >= picked.from && m <= picked.to;
    g.classList.toggle('picked', inside);
    g.classList.toggle('dim', !!picked.from && !inside);
    g.setAttribute('aria-pressed', String(inside));
  }
  const parts = [];
  if (picked.accounts.size) parts.push(plural(picked.accounts.size, 'account', 'accounts'));
  if (picked.from) parts.push(`transactions from ${picked.from}-01 to ${lastDay(picked.to)}`);
  $('overview-selection').textContent = parts.length ? `Selected: ${parts.join(', ')}.` : 'Nothing selected: the whole package would be imported.';
  $('use-selection').disabled = !parts.length;
}

/** The selection goes to the import form; the next Import imports only it. */
function useSelection() {
  const form = $('import-form');
  for (const box of form.querySelectorAll('input[name=account]')) box.checked = picked.accounts.has(box.value);
  form.from.value = picked.from ? `${picked.from}-01` : '';
  form.to.value = picked.to ? lastDay(picked.to) : '';
  $('partial').open = true;
  const what = $('overview-selection').textContent.replace(/^Selected: /, '');
  $('selection-note').textContent = `The next import takes only: ${what}${$('package-file').files[0] ? ' Choose Import.' : ' Choose the package file again, then Import.'}`;
  $('import-button').scrollIntoView({ block: 'center' });
  $('import-button').focus();
}

/** The import form back to "the whole package", saying why. */
function forgetSelection(why) {
  $('filter-account-list').replaceChildren();
  $('filter-accounts-hint').textContent = 'All accounts. Choose “Check the package” to pick some of them.';
  $('filter-from').value = '';
  $('filter-to').value = '';
  overviewFor = undefined;
  $('selection-note').textContent = why;
}

function clearSelection() {
  picked = { from: undefined, to: undefined, accounts: new Set() };
  for (const box of $('overview-table').querySelectorAll('input[type=checkbox]')) box.checked = false;
  const form = $('import-form');
  for (const box of form.querySelectorAll('input[name=account]')) box.checked = false;
  form.from.value = '';
  form.to.value = '';
  $('selection-note').textContent = '';
  describePick();
}

// ---- the preview: plan, conflicts named as you know them, decisions --------------------

let decisions = new Map();
let conflictCursor = null;
let previewReplace = false;

async function showPreview(job) {
  $('preview-panel').hidden = false;
  $('job-message').replaceChildren(el('p', { text: 'Nothing has been written yet. Look at what would change, decide, then confirm (or cancel).' }));
  showOverview(job, { pick: false });
  const plan = job.validationResults?.plan ?? {};
  const del = deletes(plan, 'delete');
  fillTable(
    $('plan-table'),
    [{ label: 'Kind' }, { label: 'New', num: true }, { label: 'Unchanged', num: true }, { label: 'Differ', num: true }, ...(del ? [{ label: 'Deleted (not in the backup)', num: true }] : [])],
    KINDS.map((k) => [kindLabel(k), num(plan[k]?.create ?? 0), num(plan[k]?.unchanged ?? 0), num(plan[k]?.conflicts ?? 0), ...(del ? [num(plan[k]?.delete ?? 0)] : [])]),
  );
  // a replace import keeps its strategy at confirm (what it deletes was planned for it)
  const replace = job.mergeStrategy === 'replace';
  previewReplace = replace;
  const choices = replace ? [['replace', "Take the package's; delete what it does not hold"]] : [['skip_existing', 'Keep mine'], ['overwrite', "Take the package's"]];
  $('confirm-strategy').replaceChildren(...choices.map(([value, text]) => el('option', { value, text })));
  if (!replace && job.mergeStrategy === 'overwrite') $('confirm-strategy').value = 'overwrite';
  decisions = new Map();
  conflictCursor = null;
  $('conflicts-list').replaceChildren();
  await loadConflicts();
}

const MONEY_FIELDS = new Set(['amount', 'balance', 'amountMin', 'amountMax', 'openingBalance', 'currentBalance']);
const DATE_FIELDS = new Set(['date', 'uploadDate', 'createdAt', 'updatedAt', 'lastTransactionDate', 'firstTransactionDate']);

function fieldLabel(field) {
  if (field.startsWith('(')) return capital(field.slice(1, -1));
  return capital(field.replace(/^\//, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase());
}

function shownValue(field, v, currency) {
  if (v === undefined || v === null) return '(none)';
  if (typeof v === 'object' && v.truncated) return v.json;
  if (MONEY_FIELDS.has(field) && /^-?\d+(\.\d+)?$/.test(String(v))) return money(v, currency);
  if (DATE_FIELDS.has(field) && /^\d{10,}$/.test(String(v))) return new Date(Number(v)).toISOString().slice(0, 10);
  if (field === '(statement file bytes)' && typeof v === 'object') return `${bytes(v.size ?? 0)}${v.sha256 ? `, sha256 ${String(v.sha256).slice(0, 12)}…` : ''}`;
  if (typeof v === 'string') return v === '' ? '(empty)' : v;
  return JSON.stringify(v);
}

function conflictTitle(c) {
  const s = c.summary ?? {};
  const what = capital(KIND_WORDS[c.kind]?.one ?? c.kind);
  if (c.kind === 'transactions') return [what, s.date, s.title || '(no description)'].filter(Boolean).join(' · ');
  return `${what} · ${s.title ?? c.id}`;
}

function conflictDetail(c) {
  const s = c.summary ?? {};
  if (c.kind === 'transactions') return [s.account, s.amount !== undefined ? money(s.amount, s.currency) : undefined].filter(Boolean).join(' · ');
  if (c.kind === 'categories' && s.parent) return `in ${s.parent}`;
  if (c.kind === 'accounts') return [s.detail, s.currency].filter(Boolean).join(' · ');
  if (s.currency) return s.currency;
  return '';
}

function decisionControl(c, choices) {
  const legend = el('legend', { class: 'visually-hidden', text: `Decision for ${conflictTitle(c)}` });
  const wrap = el('fieldset', {}, legend);
  for (const [value, text] of choices) {
    const input = el('input', { type: 'radio', name: `d-${c.kind}-${c.id}`, value, onchange: () => decisions.set(`${c.kind}#${c.id}`, { kind: c.kind, id: c.id, action: value }) });
    wrap.append(el('label', {}, input, text));
  }
  return wrap;
}

function conflictCard(c) {
  const detail = conflictDetail(c);
  const card = el('article', { class: 'conflict', 'data-id': c.id }, el('h5', { text: conflictTitle(c) }), detail ? el('p', { class: 'detail', text: detail }) : undefined);
  if (c.action === 'delete') {
    card.append(el('p', { text: 'Not in the backup: this import deletes it, unless you keep it.' }));
    // keeping a record keeps that record only: what refers to it is decided on its own cards
    if (c.kind === 'accounts') card.append(el('p', { class: 'hint', text: 'Keeping the account keeps the account only: its transactions that the backup lacks are listed as their own deletions.' }));
    card.append(decisionControl(c, [['skip', 'Keep it'], ['overwrite', 'Delete it']]));
  } else {
    const table = el('table', {}, el('caption', { class: 'visually-hidden', text: `What differs in ${conflictTitle(c)}` }));
    fillTable(table, [{ label: 'Field' }, { label: 'Yours' }, { label: "Package's" }], c.fields.map((f) => [fieldLabel(f.field), shownValue(f.field, f.current, c.summary?.currency), shownValue(f.field, f.incoming, c.summary?.currency)]));
    card.append(table, decisionControl(c, [['skip', 'Keep mine'], ['overwrite', "Take the package's"]]));
  }
  card.append(el('p', { class: 'ids', text: `id ${c.id}` }));
  return card;
}

async function loadConflicts() {
  const q = new URLSearchParams({ limit: '20' });
  if (conflictCursor) q.set('cursor', conflictCursor);
  const page = await api('GET', `/import/${current}/conflicts?${q}`);
  $('conflicts-title').textContent = page.total === 0
    ? 'No record differs from yours: nothing to decide.'
    : previewReplace ? `Records that differ from yours, or that the backup does not hold: ${num(page.total)}` : `Records that differ from yours: ${num(page.total)}`;
  $('conflicts-help').hidden = page.total === 0;
  $('conflicts-list').append(...page.conflicts.map(conflictCard));
  conflictCursor = page.cursor;
  $('more-conflicts').hidden = !page.cursor;
}

async function confirmImport() {
  $('confirm-button').disabled = true;
  try {
    await api('POST', `/import/${current}/confirm`, { mergeStrategy: $('confirm-strategy').value, decisions: [...decisions.values()] });
    $('preview-panel').hidden = true;
    $('overview').hidden = true;
    announce('Confirmed; the import runs.');
    await follow(current, viewGeneration);
  } finally {
    $('confirm-button').disabled = false;
    refreshJobs();
  }
}

async function cancelPreview() {
  await api('POST', `/import/${current}/cancel`);
  $('preview-panel').hidden = true;
  $('overview').hidden = true;
  await follow(current, viewGeneration);
  refreshJobs();
}

// ---- your imports: paged, each opens its view ------------------------------------------

let jobPages = 1;
let jobsTimer;

/** A workflow works on it now (a check that passed has finished). */
const isRunning = (j) => STATUS_WORDS[j.status].class === 'running' && !(j.status === 'validation_passed' && j.validateOnly);

function jobName(j) {
  return j.packageName ?? `Import of ${when(j.uploadedAt)}`;
}

function actionButton(text, cls, label, handler) {
  const b = el('button', { type: 'button', class: cls, text, 'aria-label': label });
  b.addEventListener(
    'click',
    guard(
      async () => {
        b.disabled = true;
        try {
          $('jobs-message').textContent = '';
          await handler();
        } finally {
          b.disabled = false;
          refreshJobs();
        }
      },
      () => $('jobs-message'),
    ),
  );
  return b;
}

async function undoJob(j) {
  // destructive: say what it does, with the import's own counts, and ask first
  const full = await api('GET', `/import/${j.importId}/status`);
  const n = written(full.importResults);
  const what = n === 1 ? 'The record it created, changed or deleted is put back as it was' : `The ${num(n)} records it created, changed or deleted are put back as they were`;
  if (!confirm(`Undo the import of ${jobName(j)}? ${what} before it, statement files included.`)) return;
  try {
    await api('POST', `/import/${j.importId}/undo`);
  } catch (err) {
    if (err.code !== 'UNDO_CONFLICT') throw err;
    const changed = Number(/^(\d+)/.exec(err.details?.[0]?.message ?? '')?.[1] ?? 0);
    if (!confirm(`A later import changed ${changed ? plural(changed, 'record', 'records') : 'some records'} of this import since. Undo the rest anyway, leaving those as they are now?`)) return;
    await api('POST', `/import/${j.importId}/undo`, { force: true });
  }
  announce('Undoing the import.');
  location.hash = `#/imports/${j.importId}`;
}

async function deleteJob(j) {
  const what = j.status === 'completed' ? 'Your data stays as it is, but this import can no longer be undone.' : 'Your data is not changed.';
  if (!confirm(`Delete ${jobName(j)} from the list? ${what}`)) return;
  try {
    await api('DELETE', `/import/${j.importId}`);
  } catch (err) {
    // a failed import not rolled back: deleting it gives up its undo
    if (err.code !== 'UNDO_AVAILABLE' || !confirm(`${err.message}\n\nDelete it anyway?`)) throw err;
    await api('DELETE', `/import/${j.importId}?force=true`);
  }
  announce(`Deleted ${jobName(j)} from the list.`);
}

function jobRow(j) {
  const name = jobName(j);
  const actions = el('span');
  const open = j.actions.includes('confirm') ? 'Review' : 'Open';
  actions.append(el('a', { class: 'button secondary', href: `#/imports/${j.importId}`, text: open, 'aria-label': `${open} ${name}` }));
  if (j.actions.includes('cancel')) actions.append(actionButton('Cancel', 'secondary', `Cancel ${name}`, async () => {
    if (!confirm(`Cancel ${name}? Whatever it has written so far is put back, and your data stays as it was.`)) return;
    await api('POST', `/import/${j.importId}/cancel`);
  }));
  if (j.actions.includes('undo')) actions.append(actionButton('Undo', 'secondary', `Undo ${name}`, () => undoJob(j)));
  if (j.actions.includes('delete')) actions.append(actionButton('Delete', 'danger', `Delete ${name}`, () => deleteJob(j)));
  const running = isRunning(j);
  const checked = j.status === 'validation_passed' && j.validateOnly;
  // a partial import says so: its results are not the whole package
  const part = j.filter && j.status === 'completed' ? ' (part of the package)' : '';
  const status = checked ? 'Checked: can be imported' : `${STATUS_WORDS[j.status].label}${part}`;
  return [name, when(j.uploadedAt), status, running ? `${j.progress}%` : j.status === 'completed' ? '100%' : '', actions];
}

async function refreshJobs() {
  if (!token) return;
  clearTimeout(jobsTimer);
  try {
    const jobs = [];
    let cursor;
    for (let p = 0; p < jobPages; p++) {
      const q = new URLSearchParams({ limit: String(LIST_PAGE) });
      if (cursor) q.set('lastEvaluatedKey', cursor);
      const page = await api('GET', `/import?${q}`);
      jobs.push(...page.importJobs);
      cursor = page.nextEvaluatedKey;
      if (!cursor) break;
    }
    fillTable(
      $('jobs-table'),
      [{ label: 'Package' }, { label: 'Started' }, { label: 'Status' }, { label: 'Progress', num: true }, { label: 'Actions', cls: 'actions' }],
      jobs.map(jobRow),
    );
    $('jobs-title').textContent = `Your imports (${num(jobs.length)}${cursor ? '+' : ''})`;
    $('more-jobs').hidden = !cursor;
    if (!jobs.length) $('jobs-message').textContent = '';
    if (jobs.some((j) => isRunning(j) || j.status === 'queued')) jobsTimer = setTimeout(refreshJobs, 1500);
  } catch (err) {
    $('jobs-message').textContent = `The list could not be loaded: ${plainError(err)}`;
  }
}

// ---- your money by month (analytics) ---------------------------------------------------

let monthly; // the last GET /analytics answer
let moneyTimer;

/** Cents-exact text to a number for drawing only (the figures shown are the API's own text). */
const drawable = (text) => Number(text);

/** `after`: an import ended then; its recompute may not have started yet, so wait (a while) for figures built after it. */
async function refreshMoney(after) {
  if (!token) return;
  clearTimeout(moneyTimer);
  try {
    monthly = await api('GET', '/analytics');
  } catch (err) {
    $('money-state').textContent = `The figures could not be loaded: ${plainError(err)}`;
    return;
  }
  const words = { current: '', stale: 'Being recomputed after your last change…', building: 'Being computed for the first time…', none: 'No figures yet: they appear after your first import.' };
  $('money-state').textContent = words[monthly.state] ?? '';
  const behind = after !== undefined && (monthly.builtAt ?? 0) < after && Date.now() - after < 60_000;
  if (monthly.state === 'stale' || monthly.state === 'building' || behind) {
    if (behind) $('money-state').textContent = words.stale;
    moneyTimer = setTimeout(() => refreshMoney(after), 2000);
  }
  const currencies = [...new Set(monthly.months.map((m) => m.currency))].sort();
  const pick = $('money-currency').value;
  $('money-currency').replaceChildren(...currencies.map((c) => el('option', { value: c, text: c })));
  if (currencies.includes(pick)) $('money-currency').value = pick;
  const account = $('money-account').value;
  const accounts = [...new Set(monthly.months.flatMap((m) => Object.keys(m.accounts)))];
  $('money-account').replaceChildren(el('option', { value: '', text: 'All accounts' }), ...accounts.map((id) => el('option', { value: id, text: monthly.names?.accounts?.[id] ?? id })));
  if (accounts.includes(account)) $('money-account').value = account;
  drawMoney();
}

function drawMoney() {
  const currency = $('money-currency').value;
  const account = $('money-account').value;
  const months = (monthly?.months ?? []).filter((m) => m.currency === currency).slice(-24);
  const rows = months.map((m) => {
    const list = account ? (m.accounts[account] ? [m.accounts[account]] : []) : Object.values(m.accounts);
    const sum = (f) => list.reduce((a, x) => a + drawable(x[f]), 0);
    return { month: m.month, inflow: sum('inflow'), outflow: sum('outflow'), count: list.reduce((a, x) => a + x.count, 0), m };
  });
  const W = 720;
  const H = 220;
  const left = 64;
  const top = 10;
  const plotH = H - top - 24;
  const max = Math.max(1, ...rows.flatMap((r) => [r.inflow, r.outflow]));
  const slot = (W - left - 8) / Math.max(1, rows.length);
  const bar = Math.max(1, slot * 0.38);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'group', 'aria-label': `Money in and out per month in ${currency || 'no currency'}` });
  root.append(
    svg('line', { class: 'grid', x1: left, y1: top + plotH, x2: W - 8, y2: top + plotH }),
    svg('text', { class: 'axis', x: left - 4, y: top + 4, 'text-anchor': 'end' }, document.createTextNode(Math.round(max).toLocaleString('en-US'))),
    svg('text', { class: 'axis', x: left - 4, y: top + plotH, 'text-anchor': 'end' }, document.createTextNode('0')),
  );
  rows.forEach((r, i) => {
    const x = left + i * slot;
    const label = `${monthName(r.month)}: in ${figureText(r.m, account, 'inflow', currency)}, out ${figureText(r.m, account, 'outflow', currency)} (${kindCount('transactions', r.count)})`;
    const g = svg('g', { class: 'month', tabindex: 0, role: 'button', 'data-month': r.month, 'aria-label': label });
    g.append(svg('rect', { class: 'hit', x, y: top, width: slot, height: plotH }));
    const hIn = (plotH * r.inflow) / max;
    const hOut = (plotH * r.outflow) / max;
    g.append(svg('rect', { class: 'bar s2', x: x + slot * 0.1, y: top + plotH - hIn, width: bar, height: Math.max(hIn, 0.5) }));
    g.append(svg('rect', { class: 'bar s1', x: x + slot * 0.1 + bar, y: top + plotH - hOut, width: bar, height: Math.max(hOut, 0.5) }));
    g.append(svg('title', {}, document.createTextNode(label)));
    activate(g, () => showMoneyMonth(r.m));
    root.append(g);
    if (i === 0 || r.month.endsWith('-01')) root.append(svg('text', { class: 'axis', x: x + 1, y: H - 6 }, document.createTextNode(r.month.slice(0, 4))));
  });
  $('money-chart').replaceChildren(root);
}

/** A month's figure as exact text (summed exactly over the accounts when all are shown). */
function figureText(m, account, field, currency) {
  if (account) return money(m.accounts[account]?.[field] ?? '0', currency);
  // sum of decimal strings, exact: integer units of the longest fraction
  const texts = Object.values(m.accounts).map((a) => String(a[field]));
  const decimals = Math.max(2, ...texts.map((t) => (t.split('.')[1] ?? '').length));
  const total = texts.reduce((a, t) => {
    const [i, f = ''] = t.replace('-', '').split('.');
    const units = BigInt(i) * 10n ** BigInt(decimals) + BigInt(f.padEnd(decimals, '0') || '0');
    return a + (t.startsWith('-') ? -units : units);
  }, 0n);
  const neg = total < 0n;
  const digits = (neg ? -total : total).toString().padStart(decimals + 1, '0');
  return money(`${neg ? '-' : ''}${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`, currency);
}

function showMoneyMonth(m) {
  $('money-month').hidden = false;
  $('money-month-title').textContent = `${monthName(m.month)} by category (${m.currency})`;
  const rows = Object.entries(m.categories ?? {})
    .sort(([, a], [, b]) => drawable(a.total) - drawable(b.total))
    .map(([id, c]) => [id === 'uncategorized' ? 'Uncategorized' : (monthly?.names?.categories?.[id] ?? id), money(c.total, m.currency), num(c.count)]);
  fillTable($('money-categories'), [{ label: 'Category' }, { label: 'Total', num: true }, { label: 'Transactions', num: true }], rows);
}

// ---- export ----------------------------------------------------------------------------

const EXPORT_WORDS = { processing: 'Preparing', completed: 'Ready', failed: 'Failed' };

async function refreshExports() {
  if (!token) return;
  try {
    const page = await api('GET', '/export?limit=10');
    const rows = await Promise.all(
      page.exports.map(async (e) => {
        let link = '';
        if (e.status === 'completed') {
          const status = await api('GET', `/export/${e.exportId}/status`);
          if (status.downloadUrl) link = el('a', { href: status.downloadUrl, text: 'Download', 'aria-label': `Download the export of ${when(e.createdAt)}` });
        }
        const what = e.backupType === 'selective' ? `Part: ${[e.selection?.dateRangeStart ?? '…', e.selection?.dateRangeEnd ?? '…'].join(' to ')}` : e.includeAnalytics ? 'Everything, with monthly figures' : 'Everything';
        return [when(e.createdAt), e.description ? `${what} (${e.description})` : what, EXPORT_WORDS[e.status] ?? e.status, e.packageSize ? bytes(e.packageSize) : '', num(e.counts?.transactions ?? ''), link];
      }),
    );
    fillTable($('exports-table'), [{ label: 'Started' }, { label: 'Holds' }, { label: 'Status' }, { label: 'Size', num: true }, { label: 'Transactions', num: true }, { label: 'Package' }], rows);
  } catch (err) {
    $('export-status').textContent = `The exports could not be listed: ${plainError(err)}`;
  }
}

async function startExport() {
  $('export-button').disabled = true;
  $('export-progress').hidden = false;
  try {
    // a selective backup when dates are given; the API names a wrong field
    const body = {};
    if ($('export-from').value) body.dateRangeStart = $('export-from').value;
    if ($('export-to').value) body.dateRangeEnd = $('export-to').value;
    if ($('export-description').value.trim()) body.description = $('export-description').value.trim();
    if ($('export-analytics').checked) body.includeAnalytics = true;
    const { exportId } = await api('POST', '/export', Object.keys(body).length ? body : undefined);
    for (;;) {
      const e = await api('GET', `/export/${exportId}/status`);
      $('export-progress').value = e.progress;
      $('export-status').textContent = e.status === 'completed' ? 'Export completed: download it below.' : `Export: ${EXPORT_WORDS[e.status] ?? e.status}${e.currentPhase && e.status === 'processing' ? ` (${e.currentPhase.replace(/_/g, ' ')})` : ''}`;
      if (e.status !== 'processing') {
        if (e.status === 'failed') $('export-status').textContent = `The export failed: ${e.errorMessage}`;
        break;
      }
      await sleep(700);
    }
  } catch (err) {
    $('export-status').textContent = plainError(err);
  } finally {
    $('export-button').disabled = false;
    refreshExports();
  }
}

// ---- routing and wiring ----------------------------------------------------------------

const JOB_ROUTE = /^#\/imports\/([0-9a-f-]{36})$/i;

/** #/imports/{id} opens that import's live view (a reload, a second tab or a link). */
function route() {
  if (!token) return;
  const m = JOB_ROUTE.exec(location.hash);
  if (m && m[1] !== current) openJob(m[1]);
}

function wire() {
  $('import-form').addEventListener('submit', (e) => {
    e.preventDefault();
    startImport();
  });
  $('check-button').addEventListener('click', () => startImport({ validateOnly: true }));
  $('package-file').addEventListener('change', guard(onFileChosen, () => $('file-problem')));
  $('errors-filter').addEventListener('input', renderProblems);
  $('confirm-button').addEventListener('click', guard(confirmImport));
  $('more-conflicts').addEventListener('click', guard(loadConflicts));
  $('cancel-preview').addEventListener('click', guard(cancelPreview));
  $('choice-preview').addEventListener('click', guard(() => importAgain('fail_on_conflict', true)));
  $('choice-skip').addEventListener('click', guard(() => importAgain('skip_existing', false)));
  $('choice-overwrite').addEventListener('click', guard(() => importAgain('overwrite', false)));
  $('use-selection').addEventListener('click', useSelection);
  $('clear-selection').addEventListener('click', clearSelection);
  $('refresh-jobs').addEventListener('click', refreshJobs);
  $('more-jobs').addEventListener('click', () => {
    jobPages++;
    refreshJobs();
  });
  $('export-button').addEventListener('click', startExport);
  $('money-currency').addEventListener('change', drawMoney);
  $('money-account').addEventListener('change', drawMoney);
  $('money-rebuild').addEventListener(
    'click',
    guard(async () => {
      await api('POST', '/analytics/rebuild');
      await refreshMoney();
    }, () => $('money-state')),
  );
  $('sign-out').addEventListener('click', signOut);
  $('cognito-button').addEventListener('click', guard(cognitoSignIn, () => $('sign-in-error')));
  $('local-sign-in').addEventListener(
    'submit',
    guard(
      async (e) => {
        e.preventDefault();
        const res = await fetch('/local/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: $('local-user').value }) });
        if (!res.ok) {
          $('sign-in-error').textContent = 'The local sign-in failed.';
          return;
        }
        useToken((await res.json()).token);
      },
      () => $('sign-in-error'),
    ),
  );
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    useToken($('token-input').value.trim());
  });
  const kinds = $('filter-kind-list');
  kinds.replaceChildren(...KINDS.map((k) => el('label', {}, el('input', { type: 'checkbox', name: 'kinds', value: k, checked: true }), ` ${KIND_WORDS[k].many}`)));
  const zone = $('drop-zone');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer?.files?.length) {
      $('package-file').files = e.dataTransfer.files;
      announce(`Selected ${e.dataTransfer.files[0].name}`);
      onFileChosen();
    }
  });
  window.addEventListener('hashchange', route);
  // leaving during an upload loses it: the browser asks first
  window.addEventListener('beforeunload', (e) => {
    if (!uploading) return;
    e.preventDefault();
    e.returnValue = '';
  });
}

async function main() {
  wire();
  try {
    const res = await fetch('/config.json');
    config = await res.json();
  } catch {
    config = { auth: { mode: 'token' } };
  }
  if (config.maxPackageBytes) $('file-hint').textContent = `or drop the file here (at most ${bytes(config.maxPackageBytes)})`;
  if (await finishCognitoSignIn()) return;
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved && useToken(saved)) return;
  sessionStorage.removeItem(TOKEN_KEY);
  $('sign-in-error').textContent = '';
  showSignIn();
}

main().catch((err) => {
  $('sign-in-error').textContent = plainError(err);
});
