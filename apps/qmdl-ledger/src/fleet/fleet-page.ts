import { WARNING_SEVERITIES } from './analysis-warnings';

/**
 * The `/fleet` page: plain HTML and a script served from this process (no CDN,
 * nothing fetched elsewhere). Every value from a device is put in the page with
 * `textContent`, never as markup, so a device label or a finding's message
 * cannot inject anything.
 */
export const FLEET_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>qmdl-ledger fleet</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; } h2 { font-size: 1.1rem; margin-top: 1.5rem; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #ddd; }
  tr.device { cursor: pointer; } tr.device:hover { background: #f4f4f4; } tr.selected { background: #e8f0fe; }
  .forked, .High { color: #b00020; font-weight: 600; } .Medium { color: #c25e00; } .Low { color: #806000; }
  .ok { color: #1b7f3b; } .stale { color: #806000; } .muted { color: #777; }
  #signin[hidden], #app[hidden] { display: none; }
</style>
</head>
<body>
<h1>qmdl-ledger fleet</h1>
<form id="signin" hidden>
  <p>This fleet service needs its admin token.</p>
  <label>Admin token <input id="token" type="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button> <span id="signin-error" class="forked"></span>
</form>
<main id="app" hidden>
  <h2>Devices</h2>
  <table id="devices"><thead><tr><th>label</th><th>store id</th><th>chain</th><th>health</th><th>central head</th><th>lag (events)</th><th>lag (bytes)</th><th>last seen</th><th>active recording</th><th>recordings</th><th>warnings</th></tr></thead><tbody></tbody></table>
  <h2>Warnings across the fleet</h2>
  <label>severity <select id="severity"><option value="">all</option>${[...WARNING_SEVERITIES]
    .reverse()
    .map((s, i) => `<option value="${s}">${i === 0 ? s : `${s} and above`}</option>`)
    .join('')}</select></label>
  <table id="warnings"><thead><tr><th>packet time</th><th>severity</th><th>device</th><th>recording</th><th>finding</th></tr></thead><tbody></tbody></table>
  <section id="device" hidden>
    <h2 id="device-title"></h2>
    <h3>Recordings</h3>
    <table id="recordings"><thead><tr><th>name</th><th>start</th><th>size (compressed)</th><th>stop reason</th><th>uploaded</th><th>download</th></tr></thead><tbody></tbody></table>
    <h3>Audit log</h3>
    <table id="audit"><thead><tr><th>seq</th><th>time</th><th>type</th><th>recording</th><th>actor</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script src="/fleet/fleet.js"></script>
</body>
</html>
`;

export const FLEET_PAGE_JS = `'use strict';
(function () {
  // Lowest first; the selector, as the device's event API, filters at or above a severity.
  var SEVERITIES = ${JSON.stringify(WARNING_SEVERITIES)};
  function atOrAbove(severity) { return SEVERITIES.slice(SEVERITIES.indexOf(severity)); }
  var token = sessionStorage.getItem('fleetToken') || '';
  var selected = null;
  function el(id) { return document.getElementById(id); }
  function api(path) {
    return fetch(path, { headers: token ? { authorization: 'Bearer ' + token } : {} }).then(function (res) {
      if (res.status === 401) { var e = new Error('unauthorized'); e.unauthorized = true; throw e; }
      if (!res.ok) throw new Error(path + ': ' + res.status);
      return res.json();
    });
  }
  function cell(row, text, cls) { var td = document.createElement('td'); td.textContent = text === null || text === undefined ? '' : String(text); if (cls) td.className = cls; row.appendChild(td); return td; }
  function fill(id, items, render) {
    var body = el(id).querySelector('tbody');
    body.textContent = '';
    items.forEach(function (item) { var tr = document.createElement('tr'); render(tr, item); body.appendChild(tr); });
  }
  function ago(iso) { if (!iso) return 'never'; var s = Math.round((Date.now() - Date.parse(iso)) / 1000); return s < 60 ? s + ' s ago' : Math.round(s / 60) + ' min ago'; }
  function health(d) { if (d.chain === 'forked') return ['forked at seq ' + (d.fork ? d.fork.seq : '?'), 'forked']; if (d.chain === 'unbound') return ['never shipped', 'muted']; if (!d.lastSeen || Date.now() - Date.parse(d.lastSeen) > 5 * 60 * 1000) return ['stale', 'stale']; return ['ok', 'ok']; }
  function warningsText(w) { return SEVERITIES.slice().reverse().filter(function (s) { return w[s]; }).map(function (s) { return s + ' ' + w[s]; }).join(', ') || 'none'; }
  function showDevices(devices) {
    fill('devices', devices, function (tr, d) {
      tr.className = 'device' + (d.storeId && d.storeId === selected ? ' selected' : '');
      tr.dataset.storeId = d.storeId || '';
      var h = health(d);
      cell(tr, d.label); cell(tr, d.storeId || '—'); cell(tr, d.chain, d.chain); cell(tr, h[0], h[1]);
      cell(tr, d.head.seq); cell(tr, d.lagEvents === null ? '?' : d.lagEvents); cell(tr, d.lagBytes === null ? '?' : d.lagBytes); cell(tr, ago(d.lastSeen));
      cell(tr, d.activeRecording || '—'); cell(tr, d.recordings); cell(tr, warningsText(d.warnings));
      if (d.storeId) tr.addEventListener('click', function () { selected = d.storeId; showDevice(d); refresh(); });
    });
  }
  function showWarnings(list) {
    fill('warnings', list, function (tr, w) { cell(tr, w.packetTimestamp || '—'); cell(tr, w.severity, w.severity); cell(tr, w.label); cell(tr, w.recording); cell(tr, w.message); });
  }
  function showDevice(d) {
    el('device').hidden = false;
    el('device-title').textContent = d.label + ' (' + d.storeId + ')';
    var base = '/api/fleet/devices/' + encodeURIComponent(d.storeId);
    api(base + '/qmdl-manifest').then(function (m) {
      var entries = m.entries.slice().reverse();
      if (m.current_entry) entries.unshift(m.current_entry);
      fill('recordings', entries, function (tr, e) {
        cell(tr, e.name); cell(tr, e.start_time); cell(tr, e.qmdl_size_bytes); cell(tr, e === m.current_entry ? 'recording' : e.stop_reason); cell(tr, e.upload_time || 'no');
        var td = cell(tr, '');
        ['qmdl', 'zip'].forEach(function (kind) { var a = document.createElement('a'); a.href = base + '/' + kind + '/' + e.name; a.textContent = kind; td.appendChild(a); td.appendChild(document.createTextNode(' ')); });
      });
    }).catch(report);
    api(base + '/events?limit=100').then(function (page) {
      fill('audit', page.events, function (tr, e) { cell(tr, e.seq); cell(tr, e.time); cell(tr, e.type); cell(tr, e.recording || ''); cell(tr, e.metadata.actor.kind + (e.metadata.actor.remoteAddress ? ' ' + e.metadata.actor.remoteAddress : '')); });
    }).catch(report);
  }
  function report(error) {
    if (error && error.unauthorized) { el('app').hidden = true; el('signin').hidden = false; return; }
    console.error(error);
  }
  function refresh() {
    var severity = el('severity').value;
    return Promise.all([api('/api/fleet/devices'), api('/api/fleet/warnings' + (severity ? '?severity=' + atOrAbove(severity).join(',') : ''))]).then(function (r) {
      el('signin').hidden = true; el('app').hidden = false;
      showDevices(r[0]); showWarnings(r[1]);
    }).catch(report);
  }
  el('signin').addEventListener('submit', function (event) {
    event.preventDefault();
    token = el('token').value;
    sessionStorage.setItem('fleetToken', token);
    refresh();
  });
  el('severity').addEventListener('change', refresh);
  refresh();
  setInterval(refresh, 5000);
})();
`;
