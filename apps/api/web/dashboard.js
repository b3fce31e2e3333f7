// dashboard.js - the drover dashboard: an overview of every queue, a queue's jobs by state,
// one job, charts and workers, kept live by the server-sent event stream /api/admin/events.
// No framework and no build step: the DOM is built with el(), never from HTML strings, so
// job data (which anyone who can add a job controls) is always shown as text.
'use strict';
(() => {
  const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed', 'paused', 'waiting-children'];
  const SAMPLE_KEEP_MS = 15 * 60 * 1000;
  const view = document.getElementById('view');

  // ---------------------------------------------------------------------------------------
  // DOM helpers
  // ---------------------------------------------------------------------------------------
  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else if (k === 'style') e.style.cssText = v;  // through the CSSOM: the page's CSP refuses style attributes
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  // Replaces a node's children, skipping the null/false of conditional parts.
  function put(node, ...kids) {
    node.replaceChildren(...kids.flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false));
  }
  const svgNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs = {}, ...children) {
    const e = document.createElementNS(svgNS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    for (const c of children.flat()) if (c) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }
  const fmtTime = (ms) => (ms ? new Date(ms).toLocaleString() : '–');
  const fmtClock = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  function fmtDuration(ms) {
    if (ms === null || ms === undefined) return '–';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
    if (ms < 3600000) return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
    return `${(ms / 3600000).toFixed(1)} h`;
  }
  const pretty = (v) => (v === undefined ? 'undefined' : JSON.stringify(v, null, 2));
  const qhref = (name, params = {}) => {
    const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== '' && v !== null));
    const s = q.toString();
    return `#/queue/${encodeURIComponent(name)}${s ? `?${s}` : ''}`;
  };
  const jhref = (name, id) => `#/queue/${encodeURIComponent(name)}/job/${encodeURIComponent(id)}`;

  function toast(text, isError = false) {
    const t = el('div', { class: isError ? 'error' : '' }, text);
    document.getElementById('toast').append(t);
    setTimeout(() => t.remove(), isError ? 7000 : 3500);
  }

  // Resolves true when the person confirms (a modal <dialog>, not window.confirm, so the
  // question can say exactly what will happen).
  function confirmAction(text, okLabel = 'Confirm') {
    const dlg = document.getElementById('confirm');
    document.getElementById('confirm-text').textContent = text;
    document.getElementById('confirm-ok').textContent = okLabel;
    dlg.returnValue = '';
    dlg.showModal();
    return new Promise((resolve) => dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true }));
  }

  // ---------------------------------------------------------------------------------------
  // Credentials: a bearer token (from #token=... or the sign-in form) or basic credentials,
  // kept for this tab only; always sent as the Authorization header, never as a cookie.
  // ---------------------------------------------------------------------------------------
  const auth = {
    get: () => sessionStorage.getItem('drover.dashboard.auth') || '',
    set: (v) => sessionStorage.setItem('drover.dashboard.auth', v),
    clear: () => sessionStorage.removeItem('drover.dashboard.auth'),
  };
  (function tokenFromAddress() {
    const m = location.hash.match(/[#&?]token=([^&]+)/);
    if (!m) return;
    auth.set(`Bearer ${decodeURIComponent(m[1])}`);
    history.replaceState(null, '', `${location.pathname}#/`);  // keep the token out of the history
  })();

  class Unauthorized extends Error {}

  async function api(path, { method = 'GET', body } = {}) {
    const headers = {};
    if (auth.get()) headers.Authorization = auth.get();
    // GET and DELETE carry no body: the server refuses one (413).
    const withBody = method !== 'GET' && method !== 'DELETE';
    if (method !== 'GET') headers['X-Drover-Action'] = '1';
    if (withBody) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: withBody ? JSON.stringify(body || {}) : undefined });
    let json = null;
    try { json = await res.json(); } catch { /* not JSON */ }
    if (res.status === 401) throw new Unauthorized((json && json.error) || 'Authentication required');
    if (!res.ok) throw new Error((json && json.error) || `HTTP ${res.status}`);
    return json;
  }

  let session = null;  // {user, role, prefix}
  const canAct = () => session && session.role === 'admin';

  function showLogin(message) {
    stopStream();
    session = null;
    document.getElementById('who').textContent = '';
    document.getElementById('signout').hidden = true;
    put(document.getElementById('crumbs'));
    const token = el('input', { id: 'login-token', type: 'password', autocomplete: 'off' });
    const user = el('input', { id: 'login-user', autocomplete: 'username' });
    const pass = el('input', { id: 'login-password', type: 'password', autocomplete: 'current-password' });
    const form = el('form', {
      class: 'card login', id: 'login',
      onsubmit: (ev) => {
        ev.preventDefault();
        if (token.value) auth.set(`Bearer ${token.value.trim()}`);
        else if (user.value) auth.set(`Basic ${btoa(unescape(encodeURIComponent(`${user.value}:${pass.value}`)))}`);
        start();
      },
    },
    el('h2', {}, 'Sign in to the drover dashboard'),
    message ? el('p', { class: 'muted', id: 'login-message' }, message) : null,
    el('label', { for: 'login-token' }, 'Token (DASHBOARD_TOKEN)'), token,
    el('p', { class: 'muted' }, 'or a user from DASHBOARD_USERS:'),
    el('label', { for: 'login-user' }, 'User'), user,
    el('label', { for: 'login-password' }, 'Password'), pass,
    el('div', { class: 'row end', style: 'margin-top:14px' }, el('button', { type: 'submit', id: 'login-submit' }, 'Sign in')));
    put(view, form);
  }

  // ---------------------------------------------------------------------------------------
  // Live data: the overview from the event stream, and the queue length sampled from it.
  // ---------------------------------------------------------------------------------------
  // [{name, counts, paused, deadLetter, completedPerMinute, failedPerMinute, workers}, and
  // `shards` on a sharded queue's logical row, `shardOf` on its shards' rows]
  let overview = [];
  const samples = new Map();  // sampleKey(row) -> [{at, waiting, active, delayed, failed}]
  const shardNames = new Set();  // the shards' queue names, seen in the overview
  const expandedShards = new Set();  // the logical queues whose shards the overview shows
  // A logical row's name may also be a plain queue's (one used before sharding); as
  // queue_overview::key() in drover_app.
  const sampleKey = (q) => (q.shards ? `${q.name} (${q.shards.length} shards)` : q.name);
  // A queue's own row: never a logical row, which is no queue of its own.
  const queueRow = (name) => overview.find((q) => q.name === name && !q.shards);
  const overviewListeners = new Set();
  const jobListeners = new Set();

  function takeOverview(list, at = Date.now()) {
    overview = list;
    for (const q of list) {
      const c = q.counts || {};
      if (q.shardOf) shardNames.add(q.name);
      const arr = samples.get(sampleKey(q)) || [];
      arr.push({ at, waiting: (c.waiting || 0) + (c.prioritized || 0) + (c.paused || 0), active: c.active || 0,
        delayed: c.delayed || 0, failed: c.failed || 0 });
      while (arr.length && arr[0].at < at - SAMPLE_KEEP_MS) arr.shift();
      samples.set(sampleKey(q), arr);
    }
    for (const fn of overviewListeners) fn(list);
  }

  let stream = null;  // {controller, queue}
  function setLive(on) {
    const b = document.getElementById('live');
    b.textContent = on ? 'live' : 'offline';
    b.className = `badge ${on ? 'on' : 'off'}`;
  }
  function stopStream() {
    if (stream) stream.controller.abort();
    stream = null;
    setLive(false);
  }
  // EventSource cannot send an Authorization header, so the stream is read with fetch and
  // parsed here (the same text/event-stream format); it reconnects after a drop.
  function startStream(queue = '') {
    if (stream && stream.queue === queue) return;
    stopStream();
    const controller = new AbortController();
    stream = { controller, queue };
    const mine = stream;
    (async () => {
      while (stream === mine) {
        try {
          const res = await fetch(`/api/admin/events${queue ? `?queue=${encodeURIComponent(queue)}` : ''}`, {
            headers: { Authorization: auth.get(), Accept: 'text/event-stream' }, signal: controller.signal,
          });
          if (res.status === 401) { showLogin('Your credentials were refused.'); return; }
          if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += value;
            let cut;
            while ((cut = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, cut);
              buf = buf.slice(cut + 2);
              let event = 'message';
              let data = '';
              for (const line of block.split('\n')) {
                if (line.startsWith('event:')) event = line.slice(6).trim();
                else if (line.startsWith('data:')) data += line.slice(5).trim();
              }
              if (!data) continue;
              const payload = JSON.parse(data);
              setLive(event !== 'unavailable');
              if (event === 'counts') takeOverview(payload.queues, payload.at);
              else if (event === 'job') for (const fn of jobListeners) fn(payload);
            }
          }
        } catch (err) {
          if (controller.signal.aborted) return;
        }
        setLive(false);
        await new Promise((r) => setTimeout(r, 2000));
      }
    })();
  }

  // ---------------------------------------------------------------------------------------
  // Charts (inline SVG)
  // ---------------------------------------------------------------------------------------
  // series: [{name, color, points: [{x, y}]}]; x is a time in ms.
  function lineChart(series, { height = 150, yLabel = '' } = {}) {
    const W = 600;
    const H = height;
    const pad = { l: 36, r: 8, t: 8, b: 20 };
    const all = series.flatMap((s) => s.points);
    const box = el('div');
    if (!all.length) {
      box.append(el('p', { class: 'muted' }, 'No data yet.'));
      return box;
    }
    const xs = all.map((p) => p.x);
    const x0 = Math.min(...xs);
    const x1 = Math.max(...xs, x0 + 1);
    const ymax = Math.max(1, ...all.map((p) => p.y));
    const X = (x) => pad.l + ((x - x0) / (x1 - x0)) * (W - pad.l - pad.r);
    const Y = (y) => H - pad.b - (y / ymax) * (H - pad.t - pad.b);
    const g = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img',
      'aria-label': `${series.map((s) => s.name).join(', ')} ${yLabel}` });
    for (const f of [0, 0.5, 1]) {
      const y = Y(ymax * f);
      g.append(svg('line', { x1: pad.l, x2: W - pad.r, y1: y, y2: y, stroke: '#e3e7ef' }));
      g.append(svg('text', { x: 2, y: y + 3 }, Number.isInteger(ymax * f) ? ymax * f : (ymax * f).toFixed(1)));
    }
    g.append(svg('text', { x: pad.l, y: H - 4 }, fmtClock(x0)));
    g.append(svg('text', { x: W - pad.r, y: H - 4, 'text-anchor': 'end' }, fmtClock(x1)));
    for (const s of series) {
      if (!s.points.length) continue;
      const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ');
      g.append(svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'vector-effect': 'non-scaling-stroke' }));
    }
    box.append(g, el('div', { class: 'legend' },
      series.map((s) => el('span', {}, el('i', { style: `background:${s.color}` }), s.name)), yLabel ? el('span', {}, yLabel) : null));
    return box;
  }

  // The nearest-rank percentile of sorted values.
  function percentile(sorted, p) {
    if (!sorted.length) return null;
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
  }

  // ---------------------------------------------------------------------------------------
  // Views
  // ---------------------------------------------------------------------------------------
  let cleanupView = () => {};
  function setCrumbs(...parts) {
    const c = document.getElementById('crumbs');
    put(c, ...parts.flatMap((p, i) => [i ? el('span', {}, '›') : null,
      p.href ? el('a', { href: p.href }, p.text) : el('span', {}, p.text)]));
  }
  function onOverview(fn) { overviewListeners.add(fn); return () => overviewListeners.delete(fn); }
  function onJobEvent(fn) { jobListeners.add(fn); return () => jobListeners.delete(fn); }

  async function runAction(label, path, { method = 'POST', body, confirm, after } = {}) {
    if (confirm && !(await confirmAction(confirm, label))) return;
    try {
      const res = await api(path, { method, body });
      toast(`${label}: done${res && res.removed !== undefined ? ` (${res.removed} removed)` : ''}`);
      if (after) after(res);
    } catch (err) {
      if (err instanceof Unauthorized) return showLogin(err.message);
      toast(`${label}: ${err.message}`, true);
    }
  }

  function actionButton(label, action, handler, { danger = false, show = true } = {}) {
    if (!show) return null;
    return el('button', {
      class: danger ? 'danger' : 'secondary', 'data-action': action, disabled: !canAct(),
      title: canAct() ? undefined : 'read-only access', onclick: handler,
    }, label);
  }

  // --- overview ---
  function renderOverview() {
    setCrumbs({ text: 'Queues' });
    startStream('');
    const body = el('tbody');
    const table = el('table', { id: 'queues' }, el('thead', {}, el('tr', {},
      el('th', {}, 'Queue'), ...['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'].map((s) => el('th', { class: 'num' }, s)),
      el('th', { class: 'num', title: 'completed in the last minute' }, 'done/min'),
      el('th', { class: 'num', title: 'failed in the last minute' }, 'failed/min'),
      el('th', { class: 'num' }, 'workers'), el('th', {}, 'state'))), body);
    const chartBox = el('div');
    const alertsCard = el('section', { class: 'card', id: 'alerts', hidden: true }, el('h2', {}, 'Alerts'), el('div'));
    put(view, 
      el('h1', {}, 'Queues', el('span', { class: 'muted', style: 'font-size:13px;font-weight:400' }, `prefix ${session.prefix}`)),
      alertsCard,
      el('section', { class: 'card' }, table),
      el('section', { class: 'card' }, el('h2', {}, 'Jobs waiting over time (sampled by this page)'), chartBox));
    // A sharded queue is a logical row (its shards' sums) that opens and closes its
    // shards' rows, which follow it; each shard is a queue like any other.
    const countCells = (q) => {
      const c = q.counts || {};
      return [...['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'].map((s) =>
        el('td', { class: `num${s === 'failed' && c[s] ? ' warn' : ''}`, 'data-count': s }, c[s] || 0)),
      el('td', { class: 'num' }, q.completedPerMinute ?? '–'),
      el('td', { class: `num${q.failedPerMinute ? ' warn' : ''}` }, q.failedPerMinute ?? '–'),
      // null: Redis's ACL refuses drover's user CLIENT LIST, so nobody can tell.
      el('td', { class: `num${q.workers === 0 && !q.deadLetter ? ' warn' : ''}` }, q.workers ?? '?'),
      el('td', {}, q.paused ? el('span', { class: 'badge paused' }, 'paused') : null,
        q.deadLetter ? el('span', { class: 'badge dlq' }, 'dead letters') : null)];
    };
    const row = (q) => {
      if (q.shards) {
        const open = expandedShards.has(q.name);
        const toggle = () => { if (open) expandedShards.delete(q.name); else expandedShards.add(q.name); fill(overview); };
        return el('tr', { class: 'click logical', 'data-logical': q.name, 'aria-expanded': String(open), onclick: toggle },
          el('td', {}, el('span', { class: 'twisty' }, open ? '▾' : '▸'), q.name,
            el('span', { class: 'badge shards', title: q.shards.join(', ') }, `${q.shards.length} shards`)),
          ...countCells(q));
      }
      return el('tr', { class: `click${q.shardOf ? ' shard' : ''}`, 'data-queue': q.name, 'data-shard-of': q.shardOf,
        hidden: q.shardOf && !expandedShards.has(q.shardOf), onclick: () => (location.hash = qhref(q.name)) },
      el('td', {}, el('a', { href: qhref(q.name) }, q.name)), ...countCells(q));
    };
    let unread = null;  // the overview's last failure, until a read succeeds
    const fill = (list) => {
      // Empty because it could not be read (Redis away) is not "no queues".
      const none = unread && !list.length ? `Queues cannot be read now: ${unread}` : 'No queues under this prefix yet.';
      put(body, ...(list.length ? list.map(row) : [el('tr', {}, el('td', { colspan: 11, class: unread ? 'warn' : 'muted' }, none))]));
      const colors = ['#2f5fd0', '#c0362c', '#1f8a4c', '#b7791f', '#7a3fc0', '#0f8b8d'];
      // Shards are drawn within their logical queue's line, not again on their own.
      const busiest = [...samples.entries()].filter(([key]) => !shardNames.has(key))
        .sort((a, b) => b[1].at(-1).waiting - a[1].at(-1).waiting).slice(0, 6);
      put(chartBox, lineChart(busiest.map(([key, arr], i) => ({
        name: key, color: colors[i % colors.length], points: arr.map((s) => ({ x: s.at, y: s.waiting })) }))));
    };
    fill(overview);
    api('/api/admin/queues').then((r) => { unread = null; takeOverview(r.queues, r.at); })
      .catch((err) => { unread = err.message; fill(overview); handleError(err); });
    loadAlerts(alertsCard);
    const timer = setInterval(() => loadAlerts(alertsCard), 10000);
    const off = onOverview(fill);
    return () => { off(); clearInterval(timer); };
  }

  // The alerts panel shows what GET /api/alerts reports; without that route it stays hidden.
  async function loadAlerts(card) {
    try {
      const res = await fetch('/api/alerts', { headers: { Authorization: auth.get() } });
      if (!res.ok) return;
      const json = await res.json();
      const list = Array.isArray(json.incidents) ? json.incidents : [];
      card.hidden = false;
      put(card.lastChild, ...(list.length ? list.map((a) => el('div', {
        class: `alert${/resolv|ok/i.test(a.state || a.status || '') ? ' resolved' : ''}`,
      }, el('strong', {}, a.rule || a.name || a.id || 'alert'), a.queue ? ` · ${a.queue}` : '',
      ` · ${a.message || a.summary || a.text || ''}`,
      a.since || a.startedAt ? el('span', { class: 'muted' }, ` since ${fmtTime(a.since || a.startedAt)}`) : null))
        // evaluatedAt null: no evaluator in the last minute (no rules, or no Workers app
        // running), which is no all-clear (docs/alerts.md).
        : [el('p', { class: json.evaluatedAt ? 'muted' : 'warn' }, json.evaluatedAt
          ? 'No alert is firing.'
          : 'Alerts are not being evaluated: no alert rules, or no Workers app running.')]));
    } catch { /* no alerts route: the panel stays hidden */ }
  }

  // --- a queue ---
  function renderQueue(name, params) {
    const state = STATES.includes(params.get('state')) ? params.get('state') : 'failed';
    const page = Math.max(1, Number(params.get('page')) || 1);
    const search = params.get('search') || '';
    setCrumbs({ text: 'Queues', href: '#/' }, { text: name });
    startStream(name);
    const info = () => queueRow(name) || { counts: {}, paused: false, deadLetter: name.endsWith('-dlq') };
    const title = el('h1');
    const actions = el('div', { class: 'row', id: 'queue-actions' });
    const tabs = el('nav', { class: 'tabs', id: 'state-tabs' });
    const rows = el('tbody');
    const pager = el('div', { class: 'pager' });
    const searchInput = el('input', { id: 'search', type: 'search', placeholder: 'job id or name', value: search });
    const charts = { throughput: el('div'), length: el('div'), timing: el('div'), workers: el('div') };
    const go = (p) => (location.hash = qhref(name, { state, page: p.page ?? 1, search: p.search ?? search }));

    // A sharded queue's name, with no plain queue of that name: its jobs are in its shards,
    // which the page links to; its actions act on every shard (the API fans them out).
    const logicalRow = () => (queueRow(name) ? null : overview.find((r) => r.name === name && r.shards));
    const jobsCard = el('section', { class: 'card', style: 'margin-top:12px' });
    const chartsGrid = el('div', { class: 'grid' });
    const drawHeader = () => {
      const logical = logicalRow();
      const q = logical || info();
      // No row read for it (Redis away since the page opened): its counts are unknown, not 0.
      const known = Boolean(logical || queueRow(name));
      put(title, name, q.paused ? el('span', { class: 'badge paused', id: 'paused-badge' }, 'paused') : null,
        q.deadLetter ? el('span', { class: 'badge dlq' }, 'dead letters') : null,
        q.shardOf ? el('a', { class: 'badge shards', id: 'shard-of', href: '#/', onclick: () => expandedShards.add(q.shardOf) },
          `a shard of ${q.shardOf}`) : null);
      if (logical) {
        title.append(el('span', { class: 'muted', id: 'sharded-note', style: 'font-size:13px;font-weight:400' },
          `a sharded queue; its jobs are in its ${logical.shards.length} shards: `,
          logical.shards.flatMap((s, i) => [i ? ', ' : null, el('a', { href: qhref(s) }, s)])));
      }
      jobsCard.hidden = Boolean(logical);
      chartsGrid.hidden = Boolean(logical);
      const of = logical ? `${name} (every one of its ${logical.shards.length} shards)` : name;
      const reload = () => { loadJobs(); };
      put(actions, 
        q.paused
          ? actionButton('Resume', 'resume', () => runAction('Resume', `/api/admin/queues/${encodeURIComponent(name)}/resume`, { after: reload }))
          : actionButton('Pause', 'pause', () => runAction('Pause', `/api/admin/queues/${encodeURIComponent(name)}/pause`,
            { confirm: `Pause ${of}? Workers finish what they hold and take no new jobs until it is resumed.`, after: reload })),
        actionButton('Retry all failed', 'retry-failed', () => runAction('Retry all failed', `/api/admin/queues/${encodeURIComponent(name)}/retry-failed`,
          { confirm: `Move all ${q.counts.failed || 0} failed jobs of ${of} back to waiting?`, after: reload }), { show: !q.deadLetter }),
        actionButton('Promote delayed', 'promote-delayed', () => runAction('Promote delayed', `/api/admin/queues/${encodeURIComponent(name)}/promote-delayed`,
          { confirm: `Run all ${q.counts.delayed || 0} delayed jobs of ${of} now?`, after: reload }), { show: !q.deadLetter }),
        actionButton(`Clean ${state}`, 'clean', () => runAction(`Clean ${state}`, `/api/admin/queues/${encodeURIComponent(name)}/clean`,
          { body: { state, graceMs: 0, limit: 0 }, confirm: `Delete every ${state} job of ${name}? This cannot be undone.`, after: reload }),
        { danger: true, show: !logical && ['completed', 'failed', 'delayed', 'waiting', 'prioritized', 'paused'].includes(state) }),
        actionButton('Drain', 'drain', () => runAction('Drain', `/api/admin/queues/${encodeURIComponent(name)}/drain`,
          { body: { delayed: false }, confirm: `Delete every waiting job of ${of} (delayed ones stay)? This cannot be undone.`, after: reload }), { danger: true }));
      put(tabs, ...STATES.map((s) => el('a', {
        href: qhref(name, { state: s }), class: s === state ? 'active' : '', 'data-state': s,
      }, s, el('span', { class: 'n' }, known ? q.counts[s] || 0 : '?'))));
    };

    let lastTotal = 0;
    async function loadJobs() {
      try {
        const r = await api(`/api/admin/queues/${encodeURIComponent(name)}/jobs?${new URLSearchParams({ state, page, pageSize: 20, search })}`);
        lastTotal = r.total;
        put(rows, ...(r.jobs.length ? r.jobs.map((j) => el('tr', { class: 'click', 'data-job': j.id, onclick: () => (location.hash = jhref(name, j.id)) },
          el('td', {}, el('a', { href: jhref(name, j.id) }, j.id)), el('td', {}, j.name), el('td', {}, fmtTime(j.timestamp)),
          el('td', {}, fmtTime(j.finishedOn || j.processedOn)), el('td', { class: 'num' }, j.attemptsMade),
          el('td', {}, j.failedReason ? el('span', { class: 'warn' }, j.failedReason) : (typeof j.progress === 'number' ? `${j.progress}%` : pretty(j.progress))))) :
          [el('tr', {}, el('td', { colspan: 6, class: 'muted' }, search ? `No ${state} job matches “${search}”${r.searchWindow ? ` among the newest ${r.searchWindow}` : ''}.` : `No ${state} jobs.`))]));
        const pages = Math.max(1, Math.ceil(r.total / r.pageSize));
        // A search reads only the newest jobs of the state: said, so that "no match" is not
        // read as "none at all" (a search said none of 1,000 matches outside its window).
        const within = search && r.searchWindow ? ` · searched the newest ${r.searchWindow}` : '';
        put(pager, el('span', { class: 'muted', id: 'page-info' }, `${r.total} job${r.total === 1 ? '' : 's'} · page ${r.page} of ${pages}${within}`),
          el('button', { class: 'secondary', id: 'prev', disabled: r.page <= 1, onclick: () => go({ page: r.page - 1 }) }, '‹ Newer'),
          el('button', { class: 'secondary', id: 'next', disabled: r.page >= pages, onclick: () => go({ page: r.page + 1 }) }, 'Older ›'));
      } catch (err) {
        // Redis away: the table says the jobs cannot be read, rather than show none.
        if (!(err instanceof Unauthorized)) {
          put(rows, el('tr', {}, el('td', { colspan: 6, class: 'error', id: 'jobs-unavailable' }, `Jobs cannot be read: ${err.message}`)));
          put(pager);
        }
        handleError(err);
      }
    }

    async function loadCharts() {
      try {
        const m = await api(`/api/admin/queues/${encodeURIComponent(name)}/metrics?points=60`);
        // data[0] is the newest minute.
        const toPoints = (d) => d.data.map((y, i) => ({ x: m.at - i * 60000, y })).reverse();
        if (!m.completed.data.length && !m.failed.data.length) {
          put(charts.throughput, el('p', { class: 'muted', id: 'throughput-empty' },
            `${m.completed.meta.count} completed and ${m.failed.meta.count} failed so far. `,
            'The per-minute points appear as minutes pass (a minute is written when the next one starts), ',
            'for queues whose workers keep metrics.'));
          return loadTimingAndWorkers();
        }
        put(charts.throughput, lineChart([
          { name: 'completed', color: '#1f8a4c', points: toPoints(m.completed) },
          { name: 'failed', color: '#c0362c', points: toPoints(m.failed) }], { yLabel: 'jobs per minute' }));
      } catch (err) { put(charts.throughput, el('p', { class: 'muted' }, `Metrics unavailable: ${err.message}`)); }
      return loadTimingAndWorkers();
    }
    async function loadTimingAndWorkers() {
      try {
        const r = await api(`/api/admin/queues/${encodeURIComponent(name)}/jobs?state=completed&pageSize=100`);
        const proc = r.jobs.filter((j) => j.processedOn && j.finishedOn).map((j) => j.finishedOn - j.processedOn).sort((a, b) => a - b);
        // The first attempts' waits, from when each could run (the server's waitTime).
        const wait = r.jobs.filter((j) => j.waitTime != null).map((j) => j.waitTime).sort((a, b) => a - b);
        const line = (label, arr) => el('tr', {}, el('td', {}, label),
          ...[0.5, 0.9, 0.95, 0.99].map((p) => el('td', { class: 'num' }, fmtDuration(percentile(arr, p)))),
          el('td', { class: 'num' }, fmtDuration(arr.length ? arr.at(-1) : null)));
        put(charts.timing, el('table', { id: 'percentiles' },
          el('thead', {}, el('tr', {}, el('th', {}, ''), ...['p50', 'p90', 'p95', 'p99', 'max'].map((h) => el('th', { class: 'num' }, h)))),
          el('tbody', {}, line('processing', proc), line('waiting', wait))),
        el('p', { class: 'muted' }, `from the ${proc.length} newest completed jobs`));
      } catch (err) { put(charts.timing, el('p', { class: 'muted' }, err.message)); }
      try {
        const w = await api(`/api/admin/queues/${encodeURIComponent(name)}/workers`);
        const drover = w.drover.map((s) => el('tr', { 'data-worker': s.name },
          el('td', {}, s.name || '–'), el('td', {}, `${s.host || ''}${s.pid ? ` pid ${s.pid}` : ''}`),
          el('td', { class: 'num' }, `${s.busy} / ${s.concurrency}`),
          el('td', {}, el('div', { class: 'bar', title: `${s.busy} busy of ${s.concurrency}` }, el('i', { style: `width:${s.concurrency ? Math.round((100 * s.busy) / s.concurrency) : 0}%` }))),
          el('td', { class: 'num' }, s.completed), el('td', { class: 'num' }, s.failed)));
        const conns = w.connections.map((c) => el('tr', {}, el('td', {}, c.name || '–'), el('td', {}, c.addr),
          el('td', { class: 'num' }, fmtDuration((c.age ?? c.ageSeconds ?? 0) * 1000)), el('td', { class: 'num' }, fmtDuration((c.idle ?? c.idleSeconds ?? 0) * 1000))));
        put(charts.workers, 
          el('p', {}, `${w.connections === null ? '? connections (Redis\'s ACL refuses CLIENT LIST)' : `${w.connections.length} connection${w.connections.length === 1 ? '' : 's'}`}; drover workers: ${w.busy} busy of ${w.concurrency} slots`),
          drover.length ? el('table', { id: 'drover-workers' }, el('thead', {}, el('tr', {}, ...['worker', 'host', 'busy', '', 'completed', 'failed'].map((h) => el('th', {}, h)))), el('tbody', {}, drover)) : null,
          conns.length ? el('table', { id: 'worker-connections', style: 'margin-top:10px' }, el('thead', {}, el('tr', {}, ...['client name', 'address', 'age', 'idle'].map((h) => el('th', {}, h)))), el('tbody', {}, conns)) : el('p', { class: 'muted' }, 'No worker is connected to this queue.'));
      } catch (err) { put(charts.workers, el('p', { class: 'muted' }, err.message)); }
    }
    const drawLength = () => {
      const arr = samples.get(name) || [];
      put(charts.length, lineChart([
        { name: 'waiting', color: '#2f5fd0', points: arr.map((s) => ({ x: s.at, y: s.waiting })) },
        { name: 'active', color: '#1f8a4c', points: arr.map((s) => ({ x: s.at, y: s.active })) },
        { name: 'delayed', color: '#b7791f', points: arr.map((s) => ({ x: s.at, y: s.delayed })) }]));
    };

    put(jobsCard, tabs,
      el('form', { class: 'row', style: 'margin-bottom:8px', onsubmit: (ev) => { ev.preventDefault(); go({ search: searchInput.value.trim() }); } },
        searchInput, el('button', { type: 'submit', class: 'secondary', id: 'search-go' }, 'Search'),
        search ? el('a', { href: qhref(name, { state }) }, 'clear') : null),
      el('table', { id: 'jobs' }, el('thead', {}, el('tr', {}, ...['id', 'name', 'created', 'processed / finished', 'attempts', 'reason / progress'].map((h) => el('th', { class: h === 'attempts' ? 'num' : '' }, h)))), rows),
      pager);
    put(chartsGrid,
      el('section', { class: 'card' }, el('h2', {}, 'Throughput (last hour)'), charts.throughput),
      el('section', { class: 'card' }, el('h2', {}, 'Queue length (sampled by this page)'), charts.length),
      el('section', { class: 'card' }, el('h2', {}, 'Processing and waiting time'), charts.timing),
      el('section', { class: 'card wide', id: 'workers' }, el('h2', {}, 'Workers'), charts.workers));
    put(view, title, actions, jobsCard, chartsGrid);
    drawHeader();
    drawLength();
    loadJobs();
    loadCharts();
    api('/api/admin/queues').then((r) => takeOverview(r.queues, r.at)).catch(handleError);

    // Live: counts every second redraw the header; job events reload the list (at most
    // every half second); charts refresh every 15 s.
    let pending = null;
    let lastCounts = '';
    const offOverview = onOverview(() => {
      const q = info();
      const key = JSON.stringify([q.counts, q.paused]);
      drawHeader();
      drawLength();
      if (key !== lastCounts && lastCounts && !pending) pending = setTimeout(() => { pending = null; loadJobs(); }, 300);
      lastCounts = key;
    });
    const offJobs = onJobEvent((e) => {
      if (e.queue !== name || pending) return;
      pending = setTimeout(() => { pending = null; loadJobs(); }, 500);
    });
    const timer = setInterval(loadCharts, 15000);
    return () => { offOverview(); offJobs(); clearInterval(timer); clearTimeout(pending); void lastTotal; };
  }

  // --- a job ---
  // A flow's job key "<prefix>:<queue>:<id>" as a link to that job's page.
  function jobKeyLink(key) {
    const last = key.lastIndexOf(':');
    const prev = key.lastIndexOf(':', last - 1);
    const queue = key.slice(prev + 1, last);
    const jobId = key.slice(last + 1);
    return el('a', { href: jhref(queue, jobId) }, `${queue}/${jobId}`);
  }

  // Flows: the job's parent and its children by kind, with what it still waits for.
  function flowCard(flow) {
    const c = flow.counts;
    const d = flow.dependencies;
    const list = (title, keys, extra) => keys.length ? [el('h2', { style: 'margin-top:12px' }, title),
      el('ul', {}, keys.map((k) => el('li', {}, jobKeyLink(k), extra ? el('span', { class: 'muted' }, ` ${extra(k)}`) : null)))] : [];
    return el('section', { class: 'card', id: 'job-flow' }, el('h2', {}, 'Flow'),
      el('p', {}, flow.parentKey ? ['parent: ', jobKeyLink(flow.parentKey)] : 'no parent'),
      el('p', { id: 'job-children' }, `children: ${c.unprocessed} pending, ${c.processed} processed, ${c.failed} failed, ${c.ignored} ignored`),
      ...list('Waiting for', d.unprocessed || []),
      ...list('Processed', Object.keys(d.processed || {}), (k) => JSON.stringify(d.processed[k])),
      ...list('Failed', d.failed || []),
      ...list('Ignored failures', Object.keys(d.ignored || {}), (k) => d.ignored[k]));
  }

  function renderJob(name, id) {
    setCrumbs({ text: 'Queues', href: '#/' }, { text: name, href: qhref(name) }, { text: `job ${id}` });
    startStream(name);
    const box = el('div');
    put(view, box);
    const base = `/api/admin/queues/${encodeURIComponent(name)}/jobs/${encodeURIComponent(id)}`;
    async function load() {
      let j;
      try { j = await api(base); } catch (err) {
        if (err instanceof Unauthorized) return showLogin(err.message);
        put(box, el('h1', {}, `Job ${id}`), el('p', { class: 'muted', id: 'job-missing' }, err.message),
          el('a', { href: qhref(name) }, `back to ${name}`));
        return;
      }
      const reload = () => load();
      const opts = j.opts || {};
      const actions = el('div', { class: 'row', id: 'job-actions' },
        actionButton('Retry', 'retry', () => runAction('Retry', `${base}/retry`, { after: reload }), { show: j.state === 'failed' || j.state === 'completed' }),
        actionButton('Promote', 'promote', () => runAction('Promote', `${base}/promote`, { after: reload }), { show: j.state === 'delayed' }),
        actionButton('Send back to its queue', 'requeue', () => runAction('Send back', `${base}/requeue`, {
          confirm: `Add this job again to ${j.data?.deadLetter?.queue || 'its queue'} and remove the dead letter?`,
          after: (r) => { toast(`new job ${r.newJobId}`); location.hash = qhref(name); },
        }), { show: j.deadLetter }),
        actionButton('Cancel', 'cancel', () => runAction('Cancel', `${base}/cancel`, {
          confirm: j.state === 'active' ? 'Ask the worker to stop this job? It fails as "cancelled" and is not retried.' : 'Cancel (remove) this job?',
          after: (r) => { toast(`cancel: ${r.outcome}`); reload(); },
        }), { danger: true, show: ['waiting', 'delayed', 'prioritized', 'active', 'paused', 'waiting-children'].includes(j.state) }),
        actionButton('Remove', 'remove', () => runAction('Remove', base, {
          method: 'DELETE', confirm: `Delete job ${j.id} and its logs? This cannot be undone.`, after: () => (location.hash = qhref(name)),
        }), { danger: true, show: j.state !== 'active' }));
      const fields = [
        ['queue', name], ['name', j.name], ['state', el('span', { class: 'badge', id: 'job-state' }, j.state)],
        ['attempts', `${j.attemptsMade} made, ${j.attemptsStarted} started, ${opts.attempts || 1} allowed`],
        ['progress', typeof j.progress === 'number' ? `${j.progress}%` : pretty(j.progress)],
        ['created', fmtTime(j.timestamp)], ['delay', j.delay ? fmtDuration(j.delay) : '–'], ['priority', j.priority || '–'],
        ['processed', fmtTime(j.processedOn)], ['finished', fmtTime(j.finishedOn)],
        ['wait time', fmtDuration(j.waitTime)], ['processing time', fmtDuration(j.processingTime)],
        ['processed by', j.processedBy || '–'], ['stalled', j.stalledCounter || 0],
      ];
      put(box, 
        el('h1', {}, `Job ${j.id}`, el('span', { class: 'muted', style: 'font-weight:400' }, j.name)), actions,
        el('div', { class: 'grid', style: 'margin-top:12px' },
          el('section', { class: 'card' }, el('h2', {}, 'Summary'), el('dl', { id: 'job-fields' }, fields.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]))),
          el('section', { class: 'card' }, el('h2', {}, 'Data'), el('pre', { id: 'job-data' }, pretty(j.data))),
          el('section', { class: 'card' }, el('h2', {}, 'Options'), el('pre', { id: 'job-opts' }, pretty(j.opts)))),
        j.failedReason ? el('section', { class: 'card' }, el('h2', {}, 'Failed reason'), el('pre', { class: 'error', id: 'job-failed-reason' }, j.failedReason),
          (j.stacktrace || []).length ? el('h2', { style: 'margin-top:12px' }, 'Stack traces (one per failed attempt)') : null,
          ...(j.stacktrace || []).map((s) => el('pre', { class: 'error', style: 'margin-top:6px' }, s))) : null,
        j.flow ? flowCard(j.flow) : null,
        el('div', { class: 'grid' },
          el('section', { class: 'card' }, el('h2', {}, 'Return value'), el('pre', { id: 'job-return' }, pretty(j.returnvalue))),
          el('section', { class: 'card' }, el('h2', {}, `Logs (${j.logCount})`),
            j.logCount > j.logs.length ? el('p', { class: 'muted', id: 'job-logs-cut' }, `The newest ${j.logs.length} lines of ${j.logCount}.`) : null,
            j.logs.length ? el('pre', { id: 'job-logs' }, j.logs.join('\n')) : el('p', { class: 'muted' }, 'No log lines.'))));
    }
    load();
    let pending = null;
    const off = onJobEvent((e) => {
      if (e.queue === name && e.jobId === id && !pending) pending = setTimeout(() => { pending = null; load(); }, 200);
    });
    return () => { off(); clearTimeout(pending); };
  }

  // ---------------------------------------------------------------------------------------
  // Routing: #/, #/queue/<name>?state=&page=&search=, #/queue/<name>/job/<id>
  // ---------------------------------------------------------------------------------------
  function handleError(err) {
    if (err instanceof Unauthorized) showLogin(err.message);
    else toast(err.message, true);
  }

  function route() {
    if (!session) return;
    cleanupView();
    cleanupView = () => {};
    const hash = location.hash.replace(/^#/, '') || '/';
    const [path, query = ''] = hash.split('?');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'queue' && parts.length === 2) cleanupView = renderQueue(parts[1], new URLSearchParams(query));
    else if (parts[0] === 'queue' && parts[2] === 'job' && parts.length === 4) cleanupView = renderJob(parts[1], parts[3]);
    else cleanupView = renderOverview();
    window.scrollTo(0, 0);
  }

  async function start() {
    try {
      session = await api('/api/admin/session');
    } catch (err) {
      return showLogin(err instanceof Unauthorized ? (auth.get() ? 'Those credentials were refused.' : '') : err.message);
    }
    document.getElementById('who').textContent = `${session.user} (${session.role})`;
    document.getElementById('signout').hidden = false;
    route();
  }

  document.getElementById('signout').addEventListener('click', () => { auth.clear(); showLogin('Signed out.'); });
  window.addEventListener('hashchange', route);
  start();
})();
