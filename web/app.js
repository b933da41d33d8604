// fzip-import page: sign in, import (upload progress, live phases, summary, errors, preview with
// per-record decisions), jobs (cancel, undo, delete), export (progress, download). No framework:
// one small module served from the same origin as the API, under a CSP without inline script.

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'fzip.token';
const PKCE_KEY = 'fzip.pkce';
const KINDS = ['accounts', 'categories', 'fileMaps', 'transactionFiles', 'transactions'];
const STEPS = ['Upload', 'Validate package', 'Import accounts', 'Import categories', 'Import file maps', 'Import transaction files', 'Import transactions', 'Complete import'];
/** The job's currentPhase -> the state machine state it is in. */
const PHASE_STEP = {
  starting: 'Validate package',
  validating_package: 'Validate package',
  validating_accounts: 'Validate package',
  validating_fileMaps: 'Validate package',
  validating_categories: 'Validate package',
  validating_transactionFiles: 'Validate package',
  validating_transactions: 'Validate package',
  validation_passed: 'Validate package',
  awaiting_confirmation: 'Validate package',
  starting_import: 'Import accounts',
  importing_accounts: 'Import accounts',
  importing_categories: 'Import categories',
  importing_file_maps: 'Import file maps',
  importing_transaction_files: 'Import transaction files',
  importing_transactions: 'Import transactions',
  completed: 'Complete import',
};
const FINISHED = new Set(['completed', 'failed', 'validation_failed', 'canceled', 'undone', 'expired']);

let config = { auth: { mode: 'token' } };
let token;
let signOutTimer;

function announce(text) {
  $('announce').textContent = text;
}

function cell(tag, text, cls) {
  const el = document.createElement(tag);
  el.textContent = text == null ? '' : String(text);
  if (cls) el.className = cls;
  return el;
}

function fillTable(table, headers, rows) {
  const caption = table.querySelector('caption');
  table.replaceChildren(...(caption ? [caption] : []));
  const thead = document.createElement('thead');
  const hr = document.createElement('tr');
  for (const h of headers) {
    const th = cell('th', h.label, h.num ? 'num' : undefined);
    th.scope = 'col';
    hr.append(th);
  }
  thead.append(hr);
  const tbody = document.createElement('tbody');
  for (const r of rows) {
    const tr = document.createElement('tr');
    headers.forEach((h, i) => {
      const v = r[i];
      if (v instanceof Node) {
        const td = document.createElement('td');
        td.append(v);
        tr.append(td);
      } else tr.append(cell('td', v, h.num ? 'num' : undefined));
    });
    tbody.append(tr);
  }
  table.append(thead, tbody);
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
  $('who-name').textContent = `Signed in as ${info.sub}`;
  $('who').hidden = false;
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('sign-in-error').textContent = '';
  refreshJobs();
  refreshExports();
  return true;
}

function signOut() {
  token = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(signOutTimer);
  $('who').hidden = true;
  $('app').hidden = true;
  showSignIn();
}

function showSignIn() {
  $('sign-in').hidden = false;
  $('local-sign-in').hidden = config.auth.mode !== 'local';
  $('cognito-sign-in').hidden = config.auth.mode !== 'cognito';
  (config.auth.mode === 'local' ? $('local-user') : config.auth.mode === 'cognito' ? $('cognito-button') : $('token-input')).focus();
}

function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function cognitoSignIn() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
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
  history.replaceState(null, '', '/');
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

// ---- API -------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.details = body?.error?.details;
  }
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401) {
    signOut();
    throw new ApiError(401, { error: { message: 'Your session has ended; sign in again.' } });
  }
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
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
    xhr.addEventListener('load', () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`the upload was refused (HTTP ${xhr.status})`))));
    xhr.addEventListener('error', () => reject(new Error('the upload failed (network error)')));
    xhr.send(data);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- import ----------------------------------------------------------------------------

let current; // the import being followed
let decisions = new Map();
let conflictCursor = null;

/** The steps, those before `at` done, `at` current (or failed); rolling back adds its own step. */
function showPhases(at, failed = false, rollingBack = false) {
  const items = STEPS.map((s, i) => {
    const li = cell('li', s);
    if (i < at) li.className = 'done';
    if (i === at && !rollingBack) {
      li.className = failed ? 'failed' : 'current';
      li.setAttribute('aria-current', 'step');
    }
    return li;
  });
  if (rollingBack) {
    const li = cell('li', 'Roll back import', 'current');
    li.setAttribute('aria-current', 'step');
    items.push(li);
  }
  $('phases').replaceChildren(...items);
}

function importBody(form) {
  const body = { mergeStrategy: form.strategy.value, packageFormat: form.file.files[0].name.endsWith('.json') ? 'json' : 'fzip' };
  if (form.preview.checked) body.requireConfirmation = true;
  const filter = {};
  const accounts = form.accounts.value.split(',').map((s) => s.trim()).filter(Boolean);
  if (accounts.length) filter.accountIds = accounts;
  if (form.from.value) filter.dateFrom = form.from.value;
  if (form.to.value) filter.dateTo = form.to.value;
  const kinds = [...form.querySelectorAll('input[name=kinds]:checked')].map((i) => i.value);
  if (kinds.length !== KINDS.length) filter.kinds = kinds;
  if (Object.keys(filter).length) body.filter = filter;
  return body;
}

function resetPanel() {
  $('progress-panel').hidden = false;
  for (const id of ['summary', 'errors', 'preview-panel']) $(id).hidden = true;
  $('job-message').textContent = '';
  $('upload-progress').value = 0;
  $('job-progress').value = 0;
  $('job-status').textContent = 'starting';
  showPhases(0);
}

async function startImport(event) {
  event.preventDefault();
  const form = event.target;
  const file = form.file.files[0];
  if (!file) return;
  resetPanel();
  $('progress-title').textContent = `Import of ${file.name}`;
  $('progress-title').focus();
  $('import-button').disabled = true;
  try {
    const created = await api('POST', '/import', importBody(form));
    current = created.importId;
    await upload(created.uploadUrl, file, (p) => ($('upload-progress').value = p));
    $('upload-progress').value = 100;
    await startUnlessStarted(current);
    announce('Uploaded; the import runs.');
    refreshJobs().catch(() => undefined); // the running import shows in the list at once, with its Cancel
    await follow(current);
  } catch (err) {
    $('job-message').textContent = err.details ? `${err.message}` : err.message;
    announce(`The import could not start: ${err.message}`);
  } finally {
    $('import-button').disabled = false;
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

/** Statuses in which Cancel does something (the API's lifecycle: nothing written yet, or a workflow that stops and rolls back). */
const CANCELABLE = new Set(['uploaded', 'queued', 'validating', 'validation_passed', 'processing', 'awaiting_confirmation']);

async function follow(importId) {
  let last = '';
  // the step it was in when it stopped (a canceled or failed job's phase names no step)
  let lastStep = 1;
  $('cancel-running').onclick = async () => {
    if (!window.confirm('Cancel this import? Whatever it has written so far is put back, and your data stays as it was.')) return;
    $('cancel-running').disabled = true;
    try {
      await api('POST', `/import/${importId}/cancel`);
      announce('Canceling: the import stops and puts back what it wrote.');
    } catch (err) {
      $('job-message').textContent = err.message;
    }
  };
  for (;;) {
    const job = await api('GET', `/import/${importId}/status`);
    $('job-status').textContent = job.status;
    $('job-progress').value = job.progress;
    // the transactions phase counts its records as it writes them
    $('job-records').textContent =
      job.recordsTotal && job.status === 'processing' ? `— ${job.recordsDone.toLocaleString()} of ${job.recordsTotal.toLocaleString()} transactions` : '';
    $('cancel-running').hidden = !(CANCELABLE.has(job.status) && !(job.status === 'validation_passed' && job.validateOnly));
    $('cancel-running').disabled = false;
    if (PHASE_STEP[job.currentPhase]) lastStep = STEPS.indexOf(PHASE_STEP[job.currentPhase]);
    const at = job.status === 'completed' ? STEPS.length : lastStep;
    showPhases(at, ['failed', 'validation_failed', 'canceled'].includes(job.status), ['rolling_back', 'canceling', 'undoing'].includes(job.status));
    if (job.status !== last) {
      announce(`Import ${job.status.replace(/_/g, ' ')}`);
      last = job.status;
    }
    if (job.status === 'awaiting_confirmation') return showPreview(job);
    if (FINISHED.has(job.status) || (job.status === 'validation_passed' && job.validateOnly)) return showEnd(job);
    await sleep(700);
  }
}

/** A replace import deleted records: the results and plans get a column for them. */
const deletes = (byKind, field) => KINDS.some((k) => (byKind?.[k]?.[field] ?? 0) > 0);

function resultsRows(results) {
  return KINDS.map((k) => {
    const r = results?.[k] ?? {};
    return [k, r.created ?? 0, r.updated ?? 0, r.skipped ?? 0, r.unchanged ?? 0, ...(deletes(results, 'deleted') ? [r.deleted ?? 0] : [])];
  });
}

function showEnd(job) {
  const done = job.status === 'completed';
  $('job-message').textContent = done ? '' : job.errorMessage ?? job.status;
  // the summary says what stayed written: only for a completed import (a rolled-back one kept nothing)
  $('summary').hidden = true;
  $('cancel-running').hidden = true;
  if (done) {
    $('summary').hidden = false;
    fillTable(
      $('summary-table'),
      [
        { label: 'Kind' }, { label: 'Created', num: true }, { label: 'Updated', num: true }, { label: 'Skipped', num: true }, { label: 'Unchanged', num: true },
        ...(deletes(job.importResults, 'deleted') ? [{ label: 'Deleted', num: true }] : []),
      ],
      resultsRows(job.importResults),
    );
  }
  if (job.rolledBack === true && job.status !== 'completed') {
    const r = job.rollbackResults;
    const put = r ? r.restored + r.deleted : 0;
    $('job-message').textContent += put
      ? ` — it had written ${put.toLocaleString()} record(s) and file(s); all were put back: your data is as it was.`
      : ' — nothing had been written: your data is as it was.';
  }
  if (job.rolledBack === false) $('job-message').textContent += ' — it could not be rolled back completely: use Undo in the list below.';
  if (job.status === 'validation_failed') showErrors(job.validationResults);
  if (done) {
    const p = cell('p', 'Import completed.', 'ok');
    $('job-message').replaceChildren(p);
  }
  $('progress-title').focus();
}

let errorRows = [];
function showErrors(v) {
  $('errors').hidden = false;
  const errors = v?.errors ?? [];
  $('errors-title').textContent = `Problems in the package: ${v?.errorCount ?? errors.length}${(v?.errorCount ?? 0) > errors.length ? ` (the first ${errors.length} listed)` : ''}`;
  errorRows = errors.map((e) => [e.code, e.file ?? '', e.index ?? '', e.id ?? '', e.field ?? '', e.message]);
  renderErrors();
}

function renderErrors() {
  const q = $('errors-filter').value.trim().toLowerCase();
  const rows = q ? errorRows.filter((r) => r.join(' ').toLowerCase().includes(q)) : errorRows;
  fillTable($('errors-table'), [{ label: 'Code' }, { label: 'File' }, { label: 'Record', num: true }, { label: 'Id' }, { label: 'Field' }, { label: 'Message' }], rows);
}

async function showPreview(job) {
  $('preview-panel').hidden = false;
  const plan = job.validationResults?.plan ?? {};
  const del = deletes(plan, 'delete');
  fillTable(
    $('plan-table'),
    [{ label: 'Kind' }, { label: 'New', num: true }, { label: 'Unchanged', num: true }, { label: 'Differ', num: true }, ...(del ? [{ label: 'Deleted (not in the backup)', num: true }] : [])],
    KINDS.map((k) => [k, plan[k]?.create ?? 0, plan[k]?.unchanged ?? 0, plan[k]?.conflicts ?? 0, ...(del ? [plan[k]?.delete ?? 0] : [])]),
  );
  // a replace import keeps its strategy at confirm (what it deletes was planned for it)
  const replace = job.mergeStrategy === 'replace';
  const choices = replace
    ? [['replace', "Take the package's; delete what it does not hold"]]
    : [['skip_existing', 'Keep mine'], ['overwrite', "Take the package's"]];
  $('confirm-strategy').replaceChildren(...choices.map(([value, text]) => Object.assign(document.createElement('option'), { value, textContent: text })));
  decisions = new Map();
  conflictCursor = null;
  $('conflicts-table').replaceChildren();
  await loadConflicts(true);
  $('confirm-button').focus();
}

function decisionControl(c, choices = [['skip', 'Keep mine'], ['overwrite', "Take the package's"]]) {
  const wrap = document.createElement('fieldset');
  const legend = cell('legend', `Decision for ${c.kind} ${c.id}`, 'visually-hidden');
  wrap.append(legend);
  for (const [value, text] of choices) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = `d-${c.kind}-${c.id}`;
    input.value = value;
    input.addEventListener('change', () => decisions.set(`${c.kind}#${c.id}`, { kind: c.kind, id: c.id, action: value }));
    label.append(input, ` ${text}`);
    wrap.append(label);
  }
  return wrap;
}

async function loadConflicts(first) {
  const q = new URLSearchParams({ limit: '20' });
  if (conflictCursor) q.set('cursor', conflictCursor);
  const page = await api('GET', `/import/${current}/conflicts?${q}`);
  $('conflicts-title').textContent = `Records that differ from yours, or that the backup does not hold: ${page.total}`;
  const rows = [];
  for (const c of page.conflicts) {
    if (c.action === 'delete') rows.push([c.kind, c.id, '(not in the backup)', 'kept until now', 'deleted', decisionControl(c, [['skip', 'Keep it'], ['overwrite', 'Delete it']])]);
    for (const [i, f] of c.fields.entries()) {
      rows.push([i === 0 ? c.kind : '', i === 0 ? c.id : '', f.field, JSON.stringify(f.current), JSON.stringify(f.incoming), i === 0 ? decisionControl(c) : '']);
    }
  }
  const headers = [{ label: 'Kind' }, { label: 'Id' }, { label: 'Field' }, { label: 'Yours' }, { label: "Package's" }, { label: 'Decision' }];
  if (first) fillTable($('conflicts-table'), headers, rows);
  else {
    const extra = document.createElement('table');
    fillTable(extra, headers, rows);
    $('conflicts-table').querySelector('tbody').append(...extra.querySelector('tbody').children);
  }
  conflictCursor = page.cursor;
  $('more-conflicts').hidden = !page.cursor;
}

async function confirmImport() {
  $('confirm-button').disabled = true;
  try {
    await api('POST', `/import/${current}/confirm`, { mergeStrategy: $('confirm-strategy').value, decisions: [...decisions.values()] });
    $('preview-panel').hidden = true;
    announce('Confirmed; the import runs.');
    await follow(current);
  } catch (err) {
    $('job-message').textContent = err.message;
  } finally {
    $('confirm-button').disabled = false;
    refreshJobs();
  }
}

// ---- jobs ------------------------------------------------------------------------------

function actionButton(text, cls, handler) {
  const b = cell('button', text, cls);
  b.type = 'button';
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      await handler();
    } catch (err) {
      announce(err.message);
      alertRow(err.message);
    } finally {
      refreshJobs();
    }
  });
  return b;
}

function alertRow(text) {
  $('job-message').textContent = text;
}

async function refreshJobs() {
  if (!token) return;
  const page = await api('GET', '/import?limit=20');
  const rows = page.importJobs.map((j) => {
    const actions = document.createElement('span');
    const label = `import of ${new Date(j.uploadedAt).toLocaleString()}`;
    if (!FINISHED.has(j.status) && !(j.status === 'validation_passed' && j.validateOnly) && !['rolling_back', 'undoing'].includes(j.status)) {
      actions.append(actionButton('Cancel', 'secondary', () => api('POST', `/import/${j.importId}/cancel`)));
    }
    if (j.status === 'completed' || (j.status === 'failed' && j.rolledBack === false)) {
      const undo = actionButton('Undo', 'secondary', async () => {
        // destructive: say what it does, with the import's own counts, and ask first
        const full = await api('GET', `/import/${j.importId}/status`);
        const written = KINDS.reduce((n, k) => n + ['created', 'updated', 'deleted'].reduce((m, f) => m + (full.importResults?.[k]?.[f] ?? 0), 0), 0);
        if (!confirm(`Undo this import? The ${written.toLocaleString()} record(s) it created, changed or deleted are put back as they were before it.`)) return;
        try {
          await api('POST', `/import/${j.importId}/undo`);
        } catch (err) {
          if (err.code !== 'UNDO_CONFLICT') throw err;
          const changed = err.details?.[0]?.message ?? 'some records changed since';
          if (!confirm(`A later import changed some of this import's records since (${changed}). Undo the rest anyway, leaving those as they are now?`)) return;
          await api('POST', `/import/${j.importId}/undo`, { force: true });
        }
        announce('Undoing the import.');
      });
      undo.setAttribute('aria-label', `Undo ${label}`);
      actions.append(undo);
    }
    if (FINISHED.has(j.status) || (j.status === 'validation_passed' && j.validateOnly) || j.status === 'uploaded' || j.status === 'queued') {
      const del = actionButton('Delete', 'danger', async () => {
        const what =
          j.status === 'completed'
            ? 'Your data stays as it is, but this import can no longer be undone.'
            : 'Your data is not changed.';
        if (!confirm(`Delete this import from the list? ${what}`)) return;
        try {
          await api('DELETE', `/import/${j.importId}`);
        } catch (err) {
          // a failed import not rolled back: deleting it gives up its undo
          if (err.code !== 'UNDO_AVAILABLE' || !confirm(`${err.message}\n\nDelete it anyway?`)) throw err;
          await api('DELETE', `/import/${j.importId}?force=true`);
        }
      });
      del.setAttribute('aria-label', `Delete ${label}`);
      actions.append(del);
    }
    return [new Date(j.uploadedAt).toLocaleString(), j.status.replace(/_/g, ' '), `${j.progress}%`, j.completedAt ? new Date(j.completedAt).toLocaleString() : '', actions];
  });
  fillTable($('jobs-table'), [{ label: 'Started' }, { label: 'Status' }, { label: 'Progress', num: true }, { label: 'Ended' }, { label: 'Actions' }], rows);
  if (page.importJobs.some((j) => ['rolling_back', 'undoing', 'canceling', 'processing', 'validating', 'queued'].includes(j.status))) {
    setTimeout(refreshJobs, 1500);
  }
}

// ---- export ----------------------------------------------------------------------------

async function refreshExports() {
  if (!token) return;
  const page = await api('GET', '/export?limit=10');
  const rows = await Promise.all(
    page.exports.map(async (e) => {
      let link = '';
      if (e.status === 'completed') {
        const status = await api('GET', `/export/${e.exportId}/status`);
        if (status.downloadUrl) {
          link = document.createElement('a');
          link.href = status.downloadUrl;
          link.textContent = 'Download';
          link.setAttribute('aria-label', `Download the export of ${new Date(e.createdAt).toLocaleString()}`);
        }
      }
      return [new Date(e.createdAt).toLocaleString(), e.status, e.packageSize ? `${(e.packageSize / 1024).toFixed(1)} KiB` : '', e.counts?.transactions ?? '', link];
    }),
  );
  fillTable($('exports-table'), [{ label: 'Started' }, { label: 'Status' }, { label: 'Size', num: true }, { label: 'Transactions', num: true }, { label: 'Package' }], rows);
}

async function startExport() {
  $('export-button').disabled = true;
  $('export-progress').hidden = false;
  try {
    const { exportId } = await api('POST', '/export');
    for (;;) {
      const e = await api('GET', `/export/${exportId}/status`);
      $('export-progress').value = e.progress;
      $('export-status').textContent = `Export ${e.status}${e.currentPhase && e.status === 'processing' ? `: ${e.currentPhase.replace(/_/g, ' ')}` : ''}`;
      if (e.status !== 'processing') {
        if (e.status === 'failed') $('export-status').textContent = e.errorMessage;
        break;
      }
      await sleep(700);
    }
  } catch (err) {
    $('export-status').textContent = err.message;
  } finally {
    $('export-button').disabled = false;
    refreshExports();
  }
}

// ---- wiring ----------------------------------------------------------------------------

function wire() {
  $('import-form').addEventListener('submit', startImport);
  $('errors-filter').addEventListener('input', renderErrors);
  $('confirm-button').addEventListener('click', confirmImport);
  $('more-conflicts').addEventListener('click', () => loadConflicts(false));
  $('cancel-preview').addEventListener('click', async () => {
    await api('POST', `/import/${current}/cancel`);
    $('preview-panel').hidden = true;
    await follow(current);
    refreshJobs();
  });
  $('refresh-jobs').addEventListener('click', refreshJobs);
  $('export-button').addEventListener('click', startExport);
  $('sign-out').addEventListener('click', signOut);
  $('cognito-button').addEventListener('click', cognitoSignIn);
  $('local-sign-in').addEventListener('submit', async (e) => {
    e.preventDefault();
    const res = await fetch('/local/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: $('local-user').value }) });
    if (!res.ok) {
      $('sign-in-error').textContent = 'The local sign-in failed.';
      return;
    }
    useToken((await res.json()).token);
  });
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    useToken($('token-input').value.trim());
  });
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
    }
  });
}

async function main() {
  wire();
  try {
    config = await (await fetch('/config.json')).json();
  } catch {
    config = { auth: { mode: 'token' } };
  }
  if (await finishCognitoSignIn()) return;
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved && useToken(saved)) return;
  sessionStorage.removeItem(TOKEN_KEY);
  $('sign-in-error').textContent = '';
  showSignIn();
}

main();
