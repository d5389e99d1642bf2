// @ts-check
// netlab view: replays one run in the browser. Plain JavaScript, type-checked from its JSDoc
// types (web/tsconfig.json, `npx tsc -p web`). Everything it shows comes from the JSON island
// `netlab view` wrote (src/browser/data.rs): no network, no other file.
'use strict';
(function () {
  /**
   * @typedef {[number, string, number?, number?]} Field  name (in `names`), value, first byte, end byte
   * @typedef {[string, number, string, Field[]]} Section  layer, title (in `names`), summary, fields
   * @typedef {{name: string, kind: string, x: number, y: number, macs: string[], ips: string[],
   *   tables: [string, [number, string][]][]}} NodeData
   * @typedef {{label: string, node: string|null, states: [number, string, string, string][],
   *   cwnd: [number, number, number][]}} SideData
   * @typedef {{n: number, label: string, sides: SideData[],
   *   seg: [number, number, number, number, number, boolean, boolean, number][],
   *   ack: [number, number, number, number, boolean][]}} TcpData
   * @typedef {{v: number, name: string, description: string, file: string, seed: number,
   *   end: number, leftOut: string[], layerNames: string[], nodes: NodeData[],
   *   links: {name: string, a: number, b: number, label: string}[], svg: string,
   *   ev: {t: number[], n: number[], l: number[], f: number[], s: number[]},
   *   steps: {i: number[], t: number[], layers: number[]},
   *   fr: {id: number[], link: number[], from: number[], to: number[], tx: number[],
   *     start: number[], end: number[], arrived: boolean[], fate: string[], why: string[],
   *     flip: number[], b: number[], label: string[], proto: string[], txe: number[], rxe: number[]},
   *   names: string[], facts: (any[]|null)[], tcp: TcpData[],
   *   ladder: {cols: number[], arrows: [number, number|null, number, number|null, string, string,
   *     boolean, number|null, number][]},
   *   checks: [string, boolean, string, number][], runError: string|null}} Data
   */

  const t0 = performance.now();
  /** @type {string[]} */
  const errors = [];
  window.addEventListener('error', (e) => errors.push(String(e.message)));

  /** @param {string} id @returns {any} */
  const $ = (id) => document.getElementById(id);
  /** Base64 to bytes. @param {string} s */
  function unbase64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  /** Deflated JSON in base64 (src/browser/page.rs) to its value. @param {string} s @returns {any} */
  function unpack(s) {
    /** @type {{inflateSync: (b: Uint8Array) => Uint8Array}} */
    const fflate = /** @type {any} */ (window).fflate;
    return JSON.parse(new TextDecoder().decode(fflate.inflateSync(unbase64(s))));
  }
  /** @type {Data} */
  const D = unpack(($('netlab-data').textContent || '').trim());
  const dataMs = performance.now() - t0;
  // What only a click shows (each frame's fields and bytes, each step's layers text) and the
  // events' texts (the list shows a screenful at a time) stay deflated in chunks of `per` items
  // until one of them is shown.
  /** @type {{per: number, dis: string[], bytes: string[], layers: string[], evx: string[]}} */
  const CHUNKS = JSON.parse($('netlab-chunks').textContent || '{}');
  /** @type {Map<string, any[]>} */
  const inflated = new Map();
  /** Item `i` of a chunked array. @param {'dis'|'bytes'|'layers'|'evx'} key @param {number} i */
  function lazy(key, i) {
    const c = Math.floor(i / CHUNKS.per);
    let items = inflated.get(key + c);
    if (!items) {
      items = /** @type {any[]} */ (unpack(CHUNKS[key][c]));
      inflated.set(key + c, items);
    }
    return items[i - c * CHUNKS.per];
  }
  const EV = D.ev;
  const FR = D.fr;
  const nEv = EV.t.length;
  const nFr = FR.id.length;
  const SVGNS = 'http://www.w3.org/2000/svg';

  // ------------------------------------------------------------------ time

  /** @param {number} ns */
  function fmtT(ns) {
    const s = Math.floor(ns / 1e9);
    return s + '.' + String(Math.round(ns - s * 1e9)).padStart(9, '0');
  }

  /** Parses `1.03s`, `1030ms`, `5us`, `20ns` or plain seconds. @param {string} text */
  function parseTime(text) {
    const m = /^\s*([0-9]*\.?[0-9]+)\s*(s|ms|us|µs|ns)?\s*$/.exec(text);
    if (!m) return null;
    const mult = { s: 1e9, ms: 1e6, us: 1e3, 'µs': 1e3, ns: 1 }[m[2] || 's'] || 1e9;
    return Math.round(parseFloat(m[1]) * mult);
  }

  /** @param {ArrayLike<number>} a @param {number} x  index of the last element <= x, or -1 */
  function lastLE(a, x) {
    let lo = 0, hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] <= x) lo = mid + 1; else hi = mid;
    }
    return lo - 1;
  }

  // Keyframes: every instant something happens. Playback moves from one to the next; the time
  // between two is shown in a time that grows with the log of the gap, so 10 µs of a frame on
  // a LAN and 60 s of TIME_WAIT are both watchable, and frames move at constant simulated
  // speed within each step.
  const K = (() => {
    const all = new Float64Array(nEv + 3 * nFr + 1);
    let k = 0;
    all[k++] = 0;
    for (let i = 0; i < nEv; i++) all[k++] = EV.t[i];
    for (let i = 0; i < nFr; i++) { all[k++] = FR.tx[i]; all[k++] = FR.start[i]; all[k++] = FR.end[i]; }
    all.sort();
    const out = [];
    for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) out.push(all[i]);
    return Float64Array.from(out);
  })();
  const lastK = K.length - 1;
  const durK = new Float64Array(K.length);
  for (let k = 0; k < lastK; k++) {
    const gapUs = (K[k + 1] - K[k]) / 1e3;
    durK[k] = Math.min(1.6, 0.3 + 0.25 * Math.log10(1 + gapUs));
  }

  /** @param {number} u */
  function simTime(u) {
    const k = Math.floor(u);
    if (k >= lastK) return K[lastK];
    return K[k] + (K[k + 1] - K[k]) * (u - k);
  }
  /** @param {number} t */
  function uOf(t) {
    const k = Math.max(0, lastLE(K, t));
    if (k >= lastK) return lastK;
    return k + (t - K[k]) / (K[k + 1] - K[k]);
  }

  // Frames: how long each stays visible (a dead one lingers one step where it died).
  const visEnd = new Float64Array(nFr);
  let maxVis = 0;
  const byStart = Array.from({ length: nFr }, (_, i) => i).sort((a, b) => FR.start[a] - FR.start[b] || a - b);
  const startSorted = Float64Array.from(byStart.map((i) => FR.start[i]));
  for (let i = 0; i < nFr; i++) {
    let v = FR.end[i];
    if (FR.fate[i] !== 'ok') v = K[Math.min(lastK, lastLE(K, FR.end[i]) + 1)];
    visEnd[i] = v;
    maxVis = Math.max(maxVis, v - FR.start[i]);
  }
  /** The frame index for an id shown as `#N`. @type {Map<number, number>} */
  const frameOfId = new Map();
  for (let i = 0; i < nFr; i++) frameOfId.set(FR.id[i], i);
  /** Event index of each frame's sending and arrival (-1: not in the page). */
  const txEvent = FR.txe;
  const rxEvent = FR.rxe;
  /** An event's text (`netlab run`'s log line). @param {number} e @returns {string} */
  const evText = (e) => lazy('evx', e);

  // ------------------------------------------------------------------ state

  let u = 0;
  let playing = false;
  let speed = 1;
  let lastWall = 0;
  /** @type {number} */ let selFrame = -1;
  /** @type {number} */ let selEvent = -1;
  /** @type {number} */ let selNode = -1;

  // ------------------------------------------------------------------ header

  $('scn-name').textContent = D.name;
  $('scn-file').textContent = D.file + ' · seed ' + D.seed + ' · ' + nEv + ' events · ' + nFr + ' frames';
  const passed = D.checks.filter((c) => c[1]).length;
  const verdict = $('verdict');
  if (D.checks.length) {
    verdict.textContent = 'expectations: ' + passed + ' passed, ' + (D.checks.length - passed) + ' failed';
    verdict.className = 'verdict ' + (passed === D.checks.length ? 'ok' : 'bad');
  }
  if (D.leftOut.length) {
    const lo = $('left-out');
    lo.hidden = false;
    lo.textContent = 'Not in this page: ' + D.leftOut.join('; ') + '.';
  }
  $('about-text').textContent = D.name + '\n\n' + D.description.trim();
  $('about-btn').addEventListener('click', () => $('about').showModal());
  document.title = D.name + ' · netlab view';

  // ------------------------------------------------------------------ topology

  $('topo').innerHTML = D.svg;
  /** @type {SVGSVGElement} */
  const svg = $('topo').querySelector('svg');
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  // Frame the nodes closely (the picture fills the pane), but never zoom a small network in
  // so far that two hosts become giants.
  (() => {
    const xs = D.nodes.map((n) => n.x), ys = D.nodes.map((n) => n.y);
    if (!xs.length) return;
    const x0 = Math.min(...xs) - 120, x1 = Math.max(...xs) + 160, y0 = Math.min(...ys) - 80, y1 = Math.max(...ys) + 90;
    const w = Math.max(620, x1 - x0), h = Math.max(340, y1 - y0);
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    svg.setAttribute('viewBox', [cx - w / 2, cy - h / 2, w, h].map((v) => v.toFixed(0)).join(' '));
  })();
  const overlay = /** @type {SVGGElement} */ (svg.querySelector('.overlay'));
  const COLORS = { arp: '#f0b400', icmp: '#9b59b6', tcp: '#2e86de', udp: '#27ae60', raw: '#7f8c8d', ip: '#16a085', bad: '#c0392b' };
  $('legend').innerHTML = Object.entries(COLORS).filter(([k]) => FR.proto.includes(k))
    .map(([k, c]) => '<span><i style="background:' + c + '"></i>' + k.toUpperCase() + '</span>').join('') +
    '<span>✗ lost</span><span>⚡ damaged</span>';
  /** @param {string} s */
  const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c] || c));

  /** A short word for an envelope: TCP flags, else the protocol. @param {number} i */
  function envText(i) {
    const m = /\[([A-Z, ]+)\]/.exec(FR.label[i]);
    if (FR.proto[i] === 'tcp' && m) return m[1].replace(/, /g, '+');
    if (FR.proto[i] === 'tcp' && /Len=[1-9]/.test(FR.label[i])) return 'data';
    return FR.proto[i].toUpperCase();
  }

  /** @type {SVGGElement[]} */
  const pool = [];
  function envelope(/** @type {number} */ k) {
    while (pool.length <= k) {
      const g = document.createElementNS(SVGNS, 'g');
      g.setAttribute('class', 'env');
      g.innerHTML = '<rect x="-15" y="-10" width="30" height="20" rx="3" stroke="#222" stroke-width="1.2"/>' +
        '<path d="M-15,-10 L0,1 L15,-10" fill="none" stroke="#222" stroke-width="1"/>' +
        '<text x="0" y="25" text-anchor="middle"></text><title></title>';
      g.addEventListener('click', (ev) => {
        ev.stopPropagation();
        selectFrame(Number(g.dataset.frame), true);
      });
      overlay.appendChild(g);
      pool.push(g);
    }
    return pool[k];
  }

  /** Socket states under each host, from its sockets table at the current time. */
  const stateTexts = D.nodes.map((n, i) => {
    const t = document.createElementNS(SVGNS, 'text');
    t.setAttribute('class', 'sockstate');
    t.setAttribute('x', String(n.x));
    t.setAttribute('y', String(n.y - 34));
    t.setAttribute('text-anchor', 'middle');
    t.setAttribute('font-size', '11');
    t.setAttribute('fill', '#a0561b');
    t.setAttribute('font-weight', 'bold');
    overlay.appendChild(t);
    return i >= 0 ? t : t;
  });

  /** @param {number} n @param {string} name @param {number} T */
  function tableAt(n, name, T) {
    const tb = D.nodes[n].tables.find((x) => x[0] === name);
    if (!tb) return null;
    const snaps = tb[1];
    let lo = 0, hi = snaps.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (snaps[m][0] <= T) lo = m + 1; else hi = m; }
    return lo > 0 ? snaps[lo - 1] : null;
  }

  /** @param {string} table */
  function tcpStates(table) {
    const out = [];
    for (const line of table.split('\n')) {
      const w = line.trim().split(/\s+/);
      if (w[0] !== 'tcp' || w.length < 6) continue;
      const port = w[3].split(':')[1];
      out.push(':' + port + ' ' + w[w.length - 1]);
    }
    return out;
  }

  function drawTopo() {
    const T = simTime(u);
    let k = 0;
    const hi = lastLE(startSorted, T);
    for (let j = hi; j >= 0 && k < 300; j--) {
      const i = byStart[j];
      if (FR.start[i] < T - maxVis) break;
      if (T > visEnd[i] || (T >= FR.end[i] && FR.fate[i] === 'ok')) continue;
      const a = D.nodes[FR.from[i]], b = D.nodes[FR.to[i]];
      const dur = FR.end[i] - FR.start[i];
      let p = dur > 0 ? Math.min(1, Math.max(0, (T - FR.start[i]) / dur)) : 1;
      const dead = FR.fate[i] !== 'ok' && T >= FR.end[i];
      // Lost on the cable: it never gets further than part of the way.
      if (FR.fate[i] === 'link') p *= FR.arrived[i] ? 1 : (FR.tx[i] === FR.start[i] && FR.start[i] + dur === FR.end[i] && !FR.why[i].includes('went-down') ? 0.35 : 0.55);
      const x = a.x + (b.x - a.x) * p, y = a.y + (b.y - a.y) * p;
      const g = envelope(k++);
      g.style.display = '';
      g.dataset.frame = String(i);
      g.setAttribute('transform', 'translate(' + x.toFixed(1) + ',' + y.toFixed(1) + ')');
      const rect = /** @type {SVGRectElement} */ (g.firstChild);
      rect.setAttribute('fill', dead ? '#ffffff' : (COLORS[/** @type {keyof COLORS} */ (FR.proto[i])] || '#999'));
      const text = /** @type {SVGTextElement} */ (g.childNodes[2]);
      text.textContent = (dead ? '✗ ' : '') + (FR.flip[i] ? '⚡' : '') + envText(i) + ' #' + FR.id[i];
      text.setAttribute('fill', dead ? '#c0392b' : '#1d2330');
      /** @type {SVGTitleElement} */ (g.childNodes[3]).textContent = '#' + FR.id[i] + ' ' + FR.label[i] + (FR.why[i] ? '\n✗ ' + FR.why[i] : '');
      g.classList.toggle('selected', i === selFrame);
    }
    for (let j = k; j < pool.length; j++) pool[j].style.display = 'none';
    D.nodes.forEach((n, i) => {
      // Listening sockets from its netstat table, connections from their state changes
      // (a half-open SYN_RECEIVED connection is not a socket of its own yet).
      const s = tableAt(i, 'sockets', T);
      const words = s ? tcpStates(s[1]).filter((w) => w.endsWith(' LISTEN')) : [];
      for (const c of D.tcp) {
        for (const side of c.sides) {
          if (side.node !== n.name) continue;
          const k = lastLE(side.states.map((x) => x[0]), T);
          if (k >= 0) words.push(':' + side.label.split(':')[1].split(' ')[0] + ' ' + side.states[k][2]);
        }
      }
      stateTexts[i].textContent = words.slice(-3).join('  ');
    });
    return k;
  }

  svg.querySelectorAll('.node').forEach((el) => {
    el.addEventListener('click', () => selectNode(Number(/** @type {HTMLElement} */ (el).dataset.node)));
  });

  // ------------------------------------------------------------------ event list

  const layerSel = $('f-layer');
  D.layerNames.forEach((l, i) => { if (EV.l.includes(i)) layerSel.add(new Option(l, String(i))); });
  const nodeSel = $('f-node');
  D.nodes.forEach((n, i) => nodeSel.add(new Option(n.name, String(i))));

  /** The display filter words, as netlab's FrameFilter reads them (src/filter.rs). */
  /** @param {string} text @returns {((f: any[]) => boolean)|string} a predicate or an error */
  function parseWords(text) {
    /** @type {((f: any[]) => boolean)[]} */
    const terms = [];
    for (const word of text.split(' ').filter((w) => w)) {
      const t = parseWord(word);
      if (typeof t === 'string') return t;
      terms.push(t);
    }
    return (f) => terms.every((t) => t(f));
  }
  /** @param {string} value */
  function endpoint(value) {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(value)) return { macs: [], ips: [value] };
    if (/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(value)) return { macs: [value.toLowerCase()], ips: [] };
    const n = D.nodes.find((x) => x.name === value);
    return n ? { macs: n.macs, ips: n.ips } : null;
  }
  /** @param {string} word @returns {((f: any[]) => boolean)|string} */
  function parseWord(word) {
    if (word.startsWith('not-')) {
      const inner = parseWord(word.slice(4));
      return typeof inner === 'string' ? inner : (f) => !inner(f);
    }
    const flag = /** @param {number} m */ (m) => (/** @type {any[]} */ f) => f[1] === 6 && f[2] !== null && (f[2] & m) === m;
    const eq = word.indexOf('=');
    if (eq >= 0) {
      const key = word.slice(0, eq), value = word.slice(eq + 1);
      if (key === 'from' || key === 'to') {
        const e = endpoint(value);
        if (!e) return '`' + value + '` is not a node name, MAC address or IPv4 address';
        const src = key === 'from';
        return (f) => e.macs.includes(f[src ? 5 : 6]) || (f[7] !== null && e.ips.includes(f[src ? 7 : 8]));
      }
      if (key === 'port' || key === 'window') {
        const n = Number(value);
        if (!/^\d+$/.test(value) || n > 65535) return '`' + value + '` is not a ' + (key === 'port' ? 'port number' : 'TCP window');
        return key === 'port' ? (f) => f[9] !== null && (f[9] === n || f[10] === n) : (f) => f[1] === 6 && f[11] === n;
      }
      if (key === 'ethertype') {
        const n = parseInt(value.replace(/^0x/, ''), 16);
        if (isNaN(n)) return '`' + value + '` is not an EtherType such as 0x0800';
        return (f) => f[0] === n;
      }
      return 'unknown filter word `' + word + '`';
    }
    /** @type {Record<string, (f: any[]) => boolean>} */
    const simple = {
      any: () => true,
      arp: (f) => f[0] === 0x0806,
      ip: (f) => f[1] !== null,
      icmp: (f) => f[1] === 1,
      udp: (f) => f[1] === 17,
      tcp: (f) => f[1] === 6,
      syn: flag(0x02), ack: flag(0x10), fin: flag(0x01), rst: flag(0x04), psh: flag(0x08),
      data: (f) => (f[1] === 6 || f[1] === 17) && f[3] !== null && f[3] > 0,
      broadcast: (f) => f[4] === true,
    };
    return simple[word] || ('unknown filter word `' + word + '`: expected any, arp, ip, icmp, udp, tcp, syn, ack, fin, rst, psh, data, broadcast, ethertype=N, from=X, to=X, port=N, window=N, not-WORD');
  }

  /** Indices of the events the filters let through. */
  let vis = new Int32Array(0);
  function applyFilters() {
    const node = nodeSel.value === '' ? -1 : Number(nodeSel.value);
    const layer = layerSel.value === '' ? -1 : Number(layerSel.value);
    const words = $('f-words').value.trim();
    const pred = words ? parseWords(words) : null;
    $('f-error').textContent = typeof pred === 'string' ? pred : '';
    const out = new Int32Array(nEv);
    let k = 0;
    for (let e = 0; e < nEv; e++) {
      if (node >= 0 && EV.n[e] !== node) continue;
      if (layer >= 0 && EV.l[e] !== layer) continue;
      if (typeof pred === 'function') {
        const f = EV.f[e];
        const facts = f >= 0 ? D.facts[FR.b[f]] : null;
        if (!facts || !pred(facts)) continue;
      }
      out[k++] = e;
    }
    vis = out.slice(0, k);
    $('ev-count').textContent = k === nEv ? nEv + ' events' : k + ' of ' + nEv + ' events';
    $('ev-spacer').style.height = (k * ROW) + 'px';
    drawList(true);
  }
  nodeSel.addEventListener('change', applyFilters);
  layerSel.addEventListener('change', applyFilters);
  $('f-words').addEventListener('input', applyFilters);

  const ROW = 19;
  const list = $('ev-list');
  /** @type {HTMLDivElement[]} */
  const rows = [];
  let lastCur = -2;
  /** @param {boolean} force */
  function drawList(force) {
    const T = simTime(u);
    const cur = lastLE(EV.t, T);
    if (cur !== lastCur) {
      // Keep the current event in view while playing.
      const pos = lastLE(vis, cur);
      const top = pos * ROW;
      if (top < list.scrollTop || top > list.scrollTop + list.clientHeight - 2 * ROW) list.scrollTop = Math.max(0, top - list.clientHeight / 2);
    }
    if (!force && cur === lastCur && !listDirty) return;
    listDirty = false;
    lastCur = cur;
    const first = Math.max(0, Math.floor(list.scrollTop / ROW) - 2);
    const count = Math.ceil(list.clientHeight / ROW) + 5;
    const nowT = cur >= 0 ? EV.t[cur] : -1;
    for (let r = 0; r < count; r++) {
      let div = rows[r];
      if (!div) {
        div = document.createElement('div');
        div.className = 'ev';
        div.addEventListener('click', () => selectEvent(Number(div.dataset.ev), true));
        $('ev-spacer').appendChild(div);
        rows[r] = div;
      }
      const idx = first + r;
      if (idx >= vis.length) { div.style.display = 'none'; continue; }
      const e = vis[idx];
      div.style.display = '';
      div.style.top = (idx * ROW) + 'px';
      div.dataset.ev = String(e);
      div.className = 'ev' + (EV.t[e] > T ? ' future' : '') + (EV.t[e] === nowT ? ' now' : '') + (e === selEvent ? ' sel' : '');
      const n = EV.n[e] >= 0 ? D.nodes[EV.n[e]].name : '-';
      div.innerHTML = '<span class="t">' + fmtT(EV.t[e]) + '</span><span class="n">' + esc(n) + '</span><span class="l">' + D.layerNames[EV.l[e]] + '</span>' + esc(evText(e));
      div.title = evText(e);
    }
    for (let r = count; r < rows.length; r++) rows[r].style.display = 'none';
  }
  let listDirty = true;
  list.addEventListener('scroll', () => drawList(true));

  // ------------------------------------------------------------------ details: layers and fields

  /** @param {number} e */
  function layersOf(e) {
    const s = EV.s[e];
    const li = D.steps.layers[s];
    return li >= 0 ? /** @type {string} */ (lazy('layers', li)) : null;
  }

  /** The fields of frame `f`, its bytes in hex beside them. @param {number} f */
  function fieldsHtml(f) {
    const b = FR.b[f];
    /** @type {[string, number, string]} */
    const [hex, total, tail] = lazy('bytes', b);
    /** @type {Section[]} */
    const secs = lazy('dis', b);
    let rowsHtml = '';
    secs.forEach((sec, si) => {
      rowsHtml += '<tr class="sec"><td colspan="2"><span class="st">' + esc(D.names[sec[1]]) + '</span> <span class="muted">' + esc(sec[2]) + '</span></td></tr>';
      sec[3].forEach((fl, fi) => {
        const span = fl.length > 2 ? ' data-a="' + fl[2] + '" data-z="' + fl[3] + '"' : '';
        rowsHtml += '<tr class="f" data-sec="' + si + '" data-f="' + fi + '"' + span + '><td>' + esc(D.names[fl[0]]) + '</td><td>' + esc(fl[1]) + '</td></tr>';
      });
    });
    /** @param {string} hx @param {number} base */
    const rowsOf = (hx, base) => {
      let h = '';
      const n = hx.length / 2;
      for (let off = 0; off < n; off += 16) {
        h += '<span class="off">' + (base + off).toString(16).padStart(4, '0') + '</span>  ';
        for (let j = off; j < Math.min(n, off + 16); j++) {
          h += '<span class="b" data-i="' + (base + j) + '">' + hx.substr(j * 2, 2) + '</span>' + (j % 8 === 7 ? '  ' : ' ');
        }
        h += '\n';
      }
      return h;
    };
    let hexHtml = rowsOf(hex, 0);
    if (tail) {
      // A long frame keeps its headers and the start of its payload in the page, and its FCS.
      hexHtml += '<span class="muted">      … ' + (total - hex.length / 2 - 4) + ' more bytes of payload …</span>\n' + rowsOf(tail, total - 4);
    }
    return '<div class="fields"><table class="fieldtab">' + rowsHtml + '</table><div class="hex">' + hexHtml + '</div></div>';
  }

  /** Highlights the bytes of the field under the pointer, and the field of the byte under it. */
  function wireFields(/** @type {HTMLElement} */ box) {
    const bytesEls = /** @type {NodeListOf<HTMLElement>} */ (box.querySelectorAll('.hex .b'));
    const fieldRows = /** @type {NodeListOf<HTMLElement>} */ (box.querySelectorAll('tr.f'));
    const clear = () => {
      box.querySelectorAll('.hl').forEach((x) => x.classList.remove('hl'));
    };
    /** @param {HTMLElement} tr */
    const light = (tr) => {
      clear();
      tr.classList.add('hl');
      if (tr.dataset.a === undefined) return;
      const a = Number(tr.dataset.a), z = Number(tr.dataset.z);
      bytesEls.forEach((el) => { const i = Number(el.dataset.i); if (i >= a && i < z) el.classList.add('hl'); });
    };
    fieldRows.forEach((tr) => tr.addEventListener('mouseenter', () => light(tr)));
    bytesEls.forEach((b) => b.addEventListener('mouseenter', () => {
      const i = Number(b.dataset.i);
      // The innermost (last, smallest) field holding this byte.
      let best = null, bestLen = Infinity;
      fieldRows.forEach((tr) => {
        if (tr.dataset.a === undefined) return;
        const a = Number(tr.dataset.a), z = Number(tr.dataset.z);
        if (i >= a && i < z && z - a <= bestLen) { best = tr; bestLen = z - a; }
      });
      if (best) light(best); else clear();
    }));
  }

  /** @param {number} f @param {boolean} jump */
  function selectFrame(f, jump) {
    selFrame = f;
    selEvent = rxEvent[f] >= 0 ? rxEvent[f] : txEvent[f];
    if (jump && selEvent >= 0) setU(uOf(EV.t[selEvent]));
    showDetails();
    showTab('details');
    listDirty = true;
    render(true);
  }

  /** @param {number} e @param {boolean} jump */
  function selectEvent(e, jump) {
    selEvent = e;
    const f = EV.f[e];
    selFrame = f >= 0 ? f : -1;
    if (selFrame < 0) {
      // An event without a frame of its own (IP, TCP, socket…): the frame of its step.
      for (let j = e; j >= 0 && EV.s[j] === EV.s[e]; j--) if (EV.f[j] >= 0) { selFrame = EV.f[j]; break; }
    }
    if (jump) setU(uOf(EV.t[e]));
    showDetails();
    showTab('details');
    listDirty = true;
    render(true);
  }

  function showDetails() {
    const box = $('tab-details');
    let h = '';
    if (selEvent >= 0) {
      const e = selEvent;
      const n = EV.n[e] >= 0 ? D.nodes[EV.n[e]].name : 'the network';
      h += '<h3>Event at ' + fmtT(EV.t[e]) + ' s, ' + esc(n) + ' (' + D.layerNames[EV.l[e]] + ')</h3><div>' + esc(evText(e)) + '</div>';
    }
    if (selFrame >= 0) {
      const f = selFrame;
      const from = D.nodes[FR.from[f]].name, to = D.nodes[FR.to[f]].name;
      h += '<h3>Frame #' + FR.id[f] + ': ' + esc(from) + ' → ' + esc(to) + ' on ' + esc(D.links[FR.link[f]].name) + '</h3>';
      h += '<div>' + esc(FR.label[f]) + '</div><div class="muted">sent ' + fmtT(FR.tx[f]) + ' s' +
        (FR.fate[f] === 'ok' ? ', arrived ' + fmtT(FR.end[f]) + ' s' : '') +
        (FR.why[f] ? ' · <b class="error">✗ ' + esc(FR.why[f]) + '</b>' : '') +
        (FR.flip[f] ? ' · <b class="error">⚡ ' + FR.flip[f] + ' bit(s) flipped on the wire</b>' : '') + '</div>';
    }
    const seen = new Set();
    /** @param {number} e @param {string} what */
    const addLayers = (e, what) => {
      if (e < 0) return;
      const L = layersOf(e);
      if (!L || seen.has(L)) return;
      seen.add(L);
      h += '<h3>' + what + '</h3><pre class="layers">' + esc(L) + '</pre>';
    };
    if (selFrame >= 0) {
      h += '<h3>Fields (netlab step: fields #' + FR.id[selFrame] + ')</h3><p class="muted small">Point at a field to see its bytes, or at a byte to see its field.</p>' + fieldsHtml(selFrame);
    }
    if (selEvent >= 0) addLayers(selEvent, 'Layers at ' + (EV.n[selEvent] >= 0 ? esc(D.nodes[EV.n[selEvent]].name) : 'the network') + ', in and out (netlab step: layers)');
    if (selFrame >= 0) {
      addLayers(rxEvent[selFrame], 'Layers where it arrived');
      addLayers(txEvent[selFrame], 'Layers where it was sent');
    }
    box.innerHTML = h || '<p class="muted">Click an envelope on the picture or an event in the list.</p>';
    wireFields(box);
  }

  // ------------------------------------------------------------------ node tables

  /** @param {number} n */
  function selectNode(n) {
    selNode = n;
    svg.querySelectorAll('.node').forEach((el) => el.classList.toggle('selected', Number(/** @type {HTMLElement} */ (el).dataset.node) === n));
    showTab('node');
    lastNodeKey = '';
    showNode();
  }

  const STATE_COLORS = { LISTEN: '#e7f5ff', SYN_SENT: '#fff3bf', SYN_RECEIVED: '#ffe8cc', ESTABLISHED: '#d3f9d8', FIN_WAIT_1: '#f3d9fa', FIN_WAIT_2: '#eebefa', CLOSE_WAIT: '#ffdeeb', CLOSING: '#fcc2d7', LAST_ACK: '#ffc9c9', TIME_WAIT: '#dee2e6', CLOSED: '#f1f3f5' };
  let lastNodeKey = '';
  function showNode() {
    if (selNode < 0) return;
    const T = simTime(u);
    const n = D.nodes[selNode];
    const snaps = n.tables.map((t) => [t[0], tableAt(selNode, t[0], T)]);
    const key = selNode + '|' + snaps.map((s) => s[1] ? s[1][0] : -1).join(',') + '|' + Math.round(T / 1e6);
    if (key === lastNodeKey) return;
    lastNodeKey = key;
    let h = '<h3>' + esc(n.name) + ' <span class="muted">(' + n.kind + ')</span> at ' + fmtT(T) + ' s</h3>';
    const title = { arp: 'ARP table (arp -n)', routes: 'Routing table (netstat -rn)', mac: 'MAC address table', stp: 'Spanning tree (show spanning-tree)', sockets: 'Sockets (netstat -tuan)' };
    for (const [name, s] of snaps) {
      const snap = /** @type {[number, string]|null} */ (s);
      h += '<h3>' + (title[/** @type {keyof title} */ (name)] || name) + '</h3><pre class="table">' + esc(snap ? snap[1] : '') + '</pre>';
    }
    const conns = D.tcp.flatMap((c) => c.sides.map((side, k) => ({ c, side, k }))).filter((x) => x.side.node === n.name);
    if (conns.length) h += '<h3>TCP states of its sockets over time</h3>';
    for (const { c, side } of conns) {
      h += '<div class="small">' + esc(side.label) + ' <span class="muted">(connection ' + c.n + ')</span></div>' + stateBar(side, T);
      h += '<table class="tbl small">' + side.states.map((s) => '<tr' + (s[0] <= T ? '' : ' class="muted"') + '><td>' + fmtT(s[0]) + '</td><td>' + s[1] + ' → <b>' + s[2] + '</b></td><td>' + esc(s[3]) + '</td></tr>').join('') + '</table>';
    }
    $('tab-node').innerHTML = h;
  }

  /** A bar of the side's states in order, one cell each (in proportion to time, 20 ms of
   * handshake would vanish beside 60 s of TIME_WAIT), the current one outlined and the ones to
   * come faded. @param {SideData} side @param {number} T */
  function stateBar(side, T) {
    if (!side.states.length) return '';
    const cur = lastLE(side.states.map((s) => s[0]), T);
    const w = 100 / side.states.length;
    let h = '<div class="state-bar">';
    side.states.forEach((s, i) => {
      h += '<div class="' + (i === cur ? 'now' : i > cur ? 'later' : '') + '" style="width:' + w.toFixed(2) + '%;background:' +
        (STATE_COLORS[/** @type {keyof STATE_COLORS} */ (s[2])] || '#eee') + '" title="' + s[2] + ' from ' + fmtT(s[0]) + ' s">' + s[2] + '</div>';
    });
    return h + '</div>';
  }

  // ------------------------------------------------------------------ ladder

  const ladderOn = new Set(D.ladder.cols);
  $('ladder-hosts').innerHTML = 'hosts: ' + D.ladder.cols.map((c) => '<label><input type="checkbox" checked data-col="' + c + '"> ' + esc(D.nodes[c].name) + '</label>').join('');
  $('ladder-hosts').querySelectorAll('input').forEach((/** @type {HTMLInputElement} */ cb) => cb.addEventListener('change', () => {
    const c = Number(cb.dataset.col);
    if (cb.checked) ladderOn.add(c); else ladderOn.delete(c);
    ladderRows = null;
    ladderNow = -1;
    drawLadder();
  }));
  /** @type {number[]|null} */ let ladderRows = null;
  const LROW = 22;
  /** Each shown arrow's sending time, for finding the current one. @type {Float64Array} */
  let ladderSent = new Float64Array(0);
  let ladderNow = -1;
  function drawLadder() {
    const canvas = /** @type {HTMLCanvasElement} */ ($('ladder'));
    const box = $('ladder-box');
    const cols = D.ladder.cols.filter((c) => ladderOn.has(c));
    if (!ladderRows) {
      ladderRows = [];
      D.ladder.arrows.forEach((a, i) => { if (ladderOn.has(a[2]) && (a[3] === null || ladderOn.has(a[3]))) /** @type {number[]} */ (ladderRows).push(i); });
      ladderSent = Float64Array.from(ladderRows, (i) => D.ladder.arrows[i][0]);
    }
    const W = Math.max(300, box.clientWidth - 4);
    const H = Math.max(100, box.clientHeight);
    // The canvas is the size of the box and stays at its top (sticky) while a spacer under it
    // makes the ladder's whole height scrollable: a 20 000-arrow ladder is one small canvas,
    // repainted with the rows in view.
    $('ladder-spacer').style.height = Math.max(0, 30 + ladderRows.length * LROW - H) + 'px';
    const T = simTime(u);
    // The current time: a line under the last arrow sent so far, kept in view as it moves.
    const now = lastLE(ladderSent, T) + 1;
    if (now !== ladderNow) {
      ladderNow = now;
      const y = 30 + now * LROW;
      if (y < box.scrollTop + 30 || y > box.scrollTop + box.clientHeight - LROW) box.scrollTop = Math.max(0, y - box.clientHeight / 2);
    }
    const top = box.scrollTop;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
      canvas.width = Math.round(W * dpr);
      canvas.height = Math.round(H * dpr);
      canvas.style.width = W + 'px';
      canvas.style.height = H + 'px';
    }
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.font = '11px DejaVu Sans, Arial, sans-serif';
    const left = 90, colW = Math.min(160, (W * 0.55 - left) / Math.max(1, cols.length - 1));
    /** @type {Map<number, number>} */
    const cx = new Map();
    cols.forEach((c, i) => cx.set(c, left + i * colW));
    const labelX = left + (cols.length - 1) * colW + 20;
    ctx.strokeStyle = '#c5cddb';
    cols.forEach((c) => { const x = /** @type {number} */ (cx.get(c)); ctx.beginPath(); ctx.moveTo(x, 20); ctx.lineTo(x, H); ctx.stroke(); });
    const first = Math.max(0, Math.floor((top - 30) / LROW) - 1), last = Math.min(ladderRows.length, first + Math.ceil(H / LROW) + 3);
    for (let r = first; r < last; r++) {
      const a = D.ladder.arrows[ladderRows[r]];
      const y = 30 + r * LROW + 12 - top;
      const future = a[0] > T;
      const x1 = /** @type {number} */ (cx.get(a[2]));
      const x2 = a[3] !== null ? /** @type {number} */ (cx.get(a[3])) : x1 + 40;
      const lost = a[5] !== '';
      const f = a[7];
      ctx.globalAlpha = future ? 0.3 : 1;
      if (f !== null && f === selFrame) { ctx.fillStyle = '#ffe8a8'; ctx.fillRect(0, y - 11, W, LROW); }
      const col = f !== null ? (COLORS[/** @type {keyof COLORS} */ (FR.proto[f])] || '#555') : '#555';
      ctx.strokeStyle = col; ctx.fillStyle = col; ctx.lineWidth = 2;
      const xe = lost && !a[6] ? (x1 + x2) / 2 : x2;
      ctx.beginPath(); ctx.moveTo(x1, y); ctx.lineTo(xe, y); ctx.stroke();
      if (lost) { ctx.fillStyle = '#c0392b'; ctx.textAlign = 'center'; ctx.fillText('✗', xe, y + 4); }
      else { const d = x2 > x1 ? -1 : 1; ctx.beginPath(); ctx.moveTo(x2, y); ctx.lineTo(x2 + 8 * d, y - 4); ctx.lineTo(x2 + 8 * d, y + 4); ctx.fill(); }
      ctx.fillStyle = '#4c566a'; ctx.textAlign = 'right'; ctx.fillText(fmtT(a[0]), left - 18, y + 4);
      ctx.fillStyle = lost ? '#c0392b' : '#1d2330'; ctx.textAlign = 'left';
      ctx.fillText(a[4] + (lost ? '  ' + a[5] : ''), labelX, y + 4);
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = '#e8590c'; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(0, 30 + now * LROW - top); ctx.lineTo(W, 30 + now * LROW - top); ctx.stroke();
    // The hosts' names stay on top while the ladder scrolls under them.
    ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, W, 20);
    ctx.fillStyle = '#1d2330';
    ctx.textAlign = 'center';
    cols.forEach((c) => ctx.fillText(D.nodes[c].name, /** @type {number} */ (cx.get(c)), 14));
  }
  $('ladder-box').addEventListener('scroll', drawLadder);
  $('ladder').addEventListener('click', (/** @type {MouseEvent} */ ev) => {
    const rect = $('ladder').getBoundingClientRect();
    const r = Math.floor((ev.clientY - rect.top + $('ladder-box').scrollTop - 30) / LROW);
    if (ladderRows && r >= 0 && r < ladderRows.length) {
      const f = D.ladder.arrows[ladderRows[r]][7];
      if (f !== null) selectFrame(f, true);
    }
  });

  // ------------------------------------------------------------------ TCP graphs

  let tcpConn = 0, tcpDir = 0;
  /** @type {[number, number]|null} */ let tcpZoom = null;
  function tcpPicker() {
    if (!D.tcp.length) { $('tcp-pick').innerHTML = '<p class="muted">No TCP connection in this run.</p>'; return; }
    let h = '<label>connection <select id="tcp-conn">';
    D.tcp.forEach((c, i) => { h += '<option value="' + i + '">' + c.n + ': ' + esc(c.label) + '</option>'; });
    h += '</select></label> <label>data from <select id="tcp-dir"><option value="0"></option><option value="1"></option></select></label>';
    $('tcp-pick').innerHTML = h;
    const dirSel = $('tcp-dir');
    const fill = () => {
      const c = D.tcp[tcpConn];
      dirSel.options[0].text = c.sides[0].label + ' → ' + (c.sides[1].node || '');
      dirSel.options[1].text = c.sides[1].label + ' → ' + (c.sides[0].node || '');
      // The side that sent more data is the interesting one.
      const sent = [0, 0];
      c.seg.forEach((s) => { sent[s[1]] += s[3]; });
      tcpDir = sent[1] > sent[0] ? 1 : 0;
      dirSel.value = String(tcpDir);
    };
    fill();
    $('tcp-conn').addEventListener('change', () => { tcpConn = Number($('tcp-conn').value); tcpZoom = null; fill(); drawTcp(); });
    dirSel.addEventListener('change', () => { tcpDir = Number(dirSel.value); tcpZoom = null; drawTcp(); });
  }
  function tcpRange() {
    const c = D.tcp[tcpConn];
    let a = Infinity, z = -Infinity;
    c.seg.forEach((s) => { a = Math.min(a, s[0]); z = Math.max(z, s[0]); });
    c.ack.forEach((s) => { a = Math.min(a, s[0]); z = Math.max(z, s[0]); });
    if (!isFinite(a)) { a = 0; z = 1; }
    if (z <= a) z = a + 1e6;
    const pad = (z - a) * 0.03;
    return /** @type {[number, number]} */ ([a - pad, z + pad]);
  }
  /** @type {Map<HTMLCanvasElement, {key: string, img: HTMLCanvasElement}>} */
  const tcpPainted = new Map();
  function drawTcp() {
    if (!D.tcp.length) return;
    const c = D.tcp[tcpConn];
    const [ta, tz] = tcpZoom || tcpRange();
    const seqC = /** @type {HTMLCanvasElement} */ ($('tcpseq')), cwC = /** @type {HTMLCanvasElement} */ ($('tcpcwnd'));
    const W = Math.max(300, $('tab-tcp').clientWidth - 24);
    const T = simTime(u);
    /** @param {HTMLCanvasElement} cv @param {number} H @param {string} title @param {(ctx: CanvasRenderingContext2D, X: (t: number) => number, h: number) => [number, number]} range @param {(ctx: CanvasRenderingContext2D, X: (t: number) => number, Y: (v: number) => number) => void} paint */
    const plot = (cv, H, title, range, paint) => {
      const dpr = window.devicePixelRatio || 1;
      const L = 70, R = 10, Tp = 18, B = 22;
      const X = (/** @type {number} */ t) => L + (t - ta) / (tz - ta) * (W - L - R);
      // The graph itself changes only with the connection, direction, zoom and size: painted
      // once into a canvas of its own, and copied under the moving time cursor each frame
      // (a long transfer has tens of thousands of segments).
      const key = [tcpConn, tcpDir, ta, tz, W, H, dpr].join(' ');
      let cached = tcpPainted.get(cv);
      if (!cached || cached.key !== key) {
        const img = document.createElement('canvas');
        img.width = W * dpr; img.height = H * dpr;
        const ctx = /** @type {CanvasRenderingContext2D} */ (img.getContext('2d'));
        ctx.scale(dpr, dpr);
        ctx.font = '11px DejaVu Sans, Arial, sans-serif';
        const [ya, yz] = range(ctx, X, H);
        const Y = (/** @type {number} */ v) => H - B - (v - ya) / Math.max(1, yz - ya) * (H - B - Tp);
        ctx.fillStyle = '#1d2330'; ctx.fillText(title, L, 12);
        ctx.strokeStyle = '#c5cddb'; ctx.strokeRect(L, Tp, W - L - R, H - B - Tp);
        ctx.fillStyle = '#6b7587'; ctx.textAlign = 'center';
        for (let i = 0; i <= 4; i++) { const t = ta + (tz - ta) * i / 4; ctx.fillText((t / 1e9).toFixed(6) + ' s', X(t), H - 6); }
        ctx.textAlign = 'right';
        for (let i = 0; i <= 3; i++) { const v = ya + (yz - ya) * i / 3; ctx.fillText(String(Math.round(v)), L - 4, Y(v) + 4); }
        ctx.save(); ctx.beginPath(); ctx.rect(L, Tp, W - L - R, H - B - Tp); ctx.clip();
        paint(ctx, X, Y);
        ctx.restore();
        cached = { key, img };
        tcpPainted.set(cv, cached);
      }
      if (cv.width !== W * dpr || cv.height !== H * dpr) { cv.width = W * dpr; cv.height = H * dpr; cv.style.height = H + 'px'; }
      const ctx = /** @type {CanvasRenderingContext2D} */ (cv.getContext('2d'));
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, cv.width, cv.height);
      ctx.drawImage(cached.img, 0, 0);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.save(); ctx.beginPath(); ctx.rect(L, Tp, W - L - R, H - B - Tp); ctx.clip();
      ctx.strokeStyle = '#e8590c'; ctx.lineWidth = 1.5; ctx.beginPath(); ctx.moveTo(X(T), Tp); ctx.lineTo(X(T), H - B); ctx.stroke();
      ctx.restore();
    };
    const segs = c.seg.filter((s) => s[1] === tcpDir);
    const acks = c.ack.filter((a) => a[1] === tcpDir);
    plot(seqC, 260, 'time-sequence: ' + c.sides[tcpDir].label + ' (bytes, relative to its ISN)', () => {
      let hi = 1;
      segs.forEach((s) => { hi = Math.max(hi, s[2] + s[3]); });
      acks.forEach((a) => { hi = Math.max(hi, a[2]); });
      return [0, hi * 1.05];
    }, (ctx, X, Y) => {
      // ACKs and the window's right edge, as steps.
      ctx.lineWidth = 1.2;
      ctx.strokeStyle = '#2f9e44'; ctx.beginPath();
      acks.forEach((a, i) => { if (!a[4]) return; if (i === 0) ctx.moveTo(X(a[0]), Y(a[2])); else ctx.lineTo(X(a[0]), Y(a[2])); });
      ctx.stroke();
      ctx.strokeStyle = '#adb5bd'; ctx.setLineDash([4, 3]); ctx.beginPath();
      acks.forEach((a, i) => { const y = Y(a[2] + a[3]); if (i === 0) ctx.moveTo(X(a[0]), y); else ctx.lineTo(X(a[0]), y); });
      ctx.stroke(); ctx.setLineDash([]);
      segs.forEach((s) => {
        const x = X(s[0]);
        ctx.strokeStyle = s[6] ? '#c92a2a' : s[5] ? '#e03131' : '#1c7ed6';
        ctx.lineWidth = 2;
        if (s[6]) ctx.setLineDash([2, 2]);
        ctx.beginPath(); ctx.moveTo(x, Y(s[2])); ctx.lineTo(x, Y(s[2] + Math.max(s[3], 0.3))); ctx.stroke();
        ctx.setLineDash([]);
        if (s[5]) { ctx.fillStyle = '#e03131'; ctx.fillText('R', x + 3, Y(s[2] + s[3]) - 2); }
        if (s[6]) { ctx.fillStyle = '#c92a2a'; ctx.fillText('✗', x + 3, Y(s[2]) + 4); }
      });
    });
    const side = c.sides[tcpDir];
    plot(cwC, 170, 'cwnd (blue) and ssthresh (grey) of ' + side.label + ', bytes', () => {
      let hi = 1;
      side.cwnd.forEach((w) => { hi = Math.max(hi, w[1], w[2] < 1e9 ? w[2] : 0); });
      return [0, hi * 1.1];
    }, (ctx, X, Y) => {
      /** @param {number} k @param {string} color */
      const line = (k, color) => {
        ctx.strokeStyle = color; ctx.lineWidth = 1.5; ctx.beginPath();
        let prev = null;
        for (const w of side.cwnd) {
          const v = w[k] >= 1e9 ? null : w[k];
          if (v === null) { prev = null; continue; }
          if (prev === null) ctx.moveTo(X(w[0]), Y(v)); else { ctx.lineTo(X(w[0]), Y(prev)); ctx.lineTo(X(w[0]), Y(v)); }
          prev = v;
        }
        if (prev !== null) ctx.lineTo(X(Math.max(D.end, tz)), Y(prev));
        ctx.stroke();
      };
      line(1, '#1c7ed6'); line(2, '#868e96');
    });
  }
  /** Zoom and pan the TCP graphs' time axis. @param {HTMLCanvasElement} cv */
  function wireTcp(cv) {
    const tAt = (/** @type {number} */ clientX) => {
      const r = cv.getBoundingClientRect();
      const [ta, tz] = tcpZoom || tcpRange();
      return ta + (clientX - r.left - 70) / (r.width - 80) * (tz - ta);
    };
    cv.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const [ta, tz] = tcpZoom || tcpRange();
      const at = tAt(ev.clientX), k = ev.deltaY > 0 ? 1.25 : 0.8;
      tcpZoom = [at - (at - ta) * k, at + (tz - at) * k];
      drawTcp();
    }, { passive: false });
    /** @type {number|null} */ let dragX = null; let moved = false;
    cv.addEventListener('mousedown', (ev) => { dragX = ev.clientX; moved = false; });
    window.addEventListener('mouseup', () => { dragX = null; });
    cv.addEventListener('mousemove', (ev) => {
      if (dragX === null) return;
      const [ta, tz] = tcpZoom || tcpRange();
      const dt = (ev.clientX - dragX) / (cv.getBoundingClientRect().width - 80) * (tz - ta);
      if (Math.abs(ev.clientX - dragX) > 2) moved = true;
      dragX = ev.clientX;
      tcpZoom = [ta - dt, tz - dt];
      drawTcp();
    });
    cv.addEventListener('click', (ev) => { if (!moved) { setU(uOf(Math.max(0, tAt(ev.clientX)))); render(true); } });
    cv.addEventListener('dblclick', () => { tcpZoom = null; drawTcp(); });
  }
  wireTcp($('tcpseq'));
  wireTcp($('tcpcwnd'));
  tcpPicker();

  // ------------------------------------------------------------------ expectations

  $('tab-checks').innerHTML = (D.runError ? '<p class="error">The run ended with an error: ' + esc(D.runError) + '</p>' : '') +
    (D.checks.length ? D.checks.map((c) => '<div class="check ' + (c[1] ? 'ok' : 'bad') + '">' + esc(c[0]) + (c[3] ? ' <span class="muted small">(line ' + c[3] + ')</span>' : '') + '<div class="d">' + esc(c[2]) + '</div></div>').join('') : '<p class="muted">This scenario has no expectations.</p>');

  // ------------------------------------------------------------------ tabs, controls, loop

  let tab = 'details';
  /** @param {string} name */
  function showTab(name) {
    tab = name;
    document.querySelectorAll('#tabs button').forEach((b) => b.classList.toggle('on', /** @type {HTMLElement} */ (b).dataset.tab === name));
    document.querySelectorAll('.tab').forEach((t) => t.classList.toggle('on', t.id === 'tab-' + name));
    render(true);
  }
  document.querySelectorAll('#tabs button').forEach((b) => b.addEventListener('click', () => showTab(/** @type {string} */ (/** @type {HTMLElement} */ (b).dataset.tab))));

  /** @param {number} v */
  function setU(v) { u = Math.max(0, Math.min(lastK, v)); }

  const slider = $('slider');
  slider.max = String(lastK);
  slider.addEventListener('input', () => { setU(Number(slider.value)); render(true); });
  $('b-play').addEventListener('click', () => { if (u >= lastK) u = 0; playing = !playing; lastWall = performance.now(); render(true); });
  $('b-start').addEventListener('click', () => { playing = false; setU(0); render(true); });
  /** The next (or previous) instant at which an event happened. @param {number} dir */
  function stepEvent(dir) {
    playing = false;
    const T = simTime(u);
    let e;
    if (dir > 0) {
      e = lastLE(EV.t, T) + 1;
      if (e >= nEv) { setU(lastK); render(true); return; }
    } else {
      e = lastLE(EV.t, T);
      // The instant before the current one.
      const cur = e >= 0 ? EV.t[e] : 0;
      while (e >= 0 && EV.t[e] >= cur && (EV.t[e] === cur && Math.abs(T - cur) < 1e-3 || EV.t[e] > T)) e--;
      if (e < 0) { setU(0); render(true); return; }
    }
    setU(uOf(EV.t[e]));
    render(true);
  }
  $('b-next').addEventListener('click', () => stepEvent(1));
  $('b-back').addEventListener('click', () => stepEvent(-1));
  $('speed').addEventListener('change', () => { speed = Number($('speed').value); });
  $('jump').addEventListener('submit', (/** @type {Event} */ ev) => {
    ev.preventDefault();
    const t = parseTime($('jump-to').value);
    if (t === null) { $('jump-to').style.outline = '2px solid #c92a2a'; return; }
    $('jump-to').style.outline = '';
    playing = false;
    setU(uOf(t));
    render(true);
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
    if (ev.key === ' ') { ev.preventDefault(); $('b-play').click(); }
    else if (ev.key === 'ArrowRight') stepEvent(1);
    else if (ev.key === 'ArrowLeft') stepEvent(-1);
    else if (ev.key === 'Home') $('b-start').click();
  });

  /** Advances playback by `dt` seconds of wall time. @param {number} dt */
  function advance(dt) {
    let budget = dt * speed;
    while (budget > 0 && u < lastK) {
      const k = Math.floor(u);
      const left = (1 - (u - k)) * durK[k];
      if (budget >= left) { u = k + 1; budget -= left; } else { u += budget / durK[k]; budget = 0; }
    }
    if (u >= lastK) { u = lastK; playing = false; }
  }

  let lastDrawnU = -1;
  let envelopesDrawn = 0;
  /** @param {boolean} force */
  function render(force) {
    if (!force && u === lastDrawnU) return;
    lastDrawnU = u;
    const T = simTime(u);
    slider.value = String(u);
    $('clock').textContent = fmtT(T) + ' s';
    $('b-play').textContent = playing ? '❚❚' : '▶';
    envelopesDrawn = Math.max(envelopesDrawn, drawTopo());
    drawList(force);
    // What happens now, in words, on the picture.
    const cur = lastLE(EV.t, T);
    let now = '';
    if (cur >= 0) {
      let a = cur;
      while (a > 0 && EV.t[a - 1] === EV.t[cur]) a--;
      const lines = [];
      for (let e = a; e <= cur && lines.length < 6; e++) {
        if (EV.l[e] === 0) continue;
        lines.push((EV.n[e] >= 0 ? D.nodes[EV.n[e]].name + ': ' : '') + evText(e));
      }
      now = fmtT(EV.t[cur]) + ' s\n' + lines.join('\n');
    }
    $('now-text').textContent = now;
    if (tab === 'node') showNode();
    if (tab === 'ladder') drawLadder();
    if (tab === 'tcp') drawTcp();
  }

  // The ladder and the TCP graphs are canvases sized to their pane.
  window.addEventListener('resize', () => { ladderNow = -1; render(true); });

  function loop() {
    const now = performance.now();
    if (playing) { advance((now - lastWall) / 1000); render(false); }
    lastWall = now;
    requestAnimationFrame(loop);
  }

  applyFilters();
  render(true);
  requestAnimationFrame(loop);
  const loadMs = performance.now() - t0;
  // Since the browser started loading the file (HTML parsing included). Written on <html> for
  // scripts/view-load-time.sh, which reads it back with `chromium --dump-dom`.
  const readyMs = performance.now();
  document.documentElement.dataset.readyMs = readyMs.toFixed(0);
  document.documentElement.dataset.scriptMs = loadMs.toFixed(0);
  document.documentElement.dataset.inflateMs = dataMs.toFixed(0);

  // ------------------------------------------------------------------ start-up options

  // `#t=1.03s&frame=5&node=server&tab=tcp`: open the page at a moment (for links and for the
  // pictures in docs/).
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has('t')) { const t = parseTime(hash.get('t') || ''); if (t !== null) setU(uOf(t)); }
  if (hash.has('frame')) { const f = frameOfId.get(Number(hash.get('frame'))); if (f !== undefined) selectFrame(f, !hash.has('t')); }
  if (hash.has('node')) { const n = D.nodes.findIndex((x) => x.name === hash.get('node')); if (n >= 0) selectNode(n); }
  if (hash.has('tab')) showTab(hash.get('tab') || 'details');
  render(true);

  // `#timing`: how long one animation frame takes to draw, at 100 moments spread over the run,
  // on each tab (scripts/view-load-time.sh reads it back from <html>).
  if (hash.has('timing')) {
    for (const t of ['details', 'node', 'ladder', 'tcp']) {
      if (t === 'node') selectNode(0); else showTab(t);
      const a = performance.now();
      for (let i = 0; i < 100; i++) { setU(lastK * i / 99); render(true); }
      document.documentElement.dataset['frameMs' + t[0].toUpperCase() + t.slice(1)] = ((performance.now() - a) / 100).toFixed(1);
    }
  }

  // ------------------------------------------------------------------ self-test

  // `#selftest`: drives the page as a user would (play to the end, click an envelope, filter
  // the list) and writes what it saw as JSON into #selftest-result, for tests/browser.rs.
  if (hash.has('selftest')) {
    /** @type {Record<string, any>} */
    const r = { loadMs, readyMs, events: nEv, frames: nFr };
    try {
      $('b-start').click();
      $('speed').value = '64';
      $('speed').dispatchEvent(new Event('change'));
      $('b-play').click();
      let ticks = 0;
      while (playing && ticks < 1e6) { advance(0.05); render(false); ticks++; }
      r.ticks = ticks;
      r.endTime = simTime(u);
      r.lastEvent = lastLE(EV.t, simTime(u));
      r.reachedEnd = nEv === 0 || r.lastEvent === nEv - 1;
      r.maxEnvelopes = envelopesDrawn;
      // Click the envelope of the chosen frame while it is on its way.
      const want = Number(hash.get('selftest') || '1') || 1;
      const f = frameOfId.get(want);
      if (f !== undefined) {
        setU(uOf((FR.start[f] + Math.min(FR.end[f], visEnd[f])) / 2));
        render(true);
        const env = pool.find((g) => g.style.display !== 'none' && g.dataset.frame === String(f));
        r.envelopeFound = !!env;
        if (env) env.dispatchEvent(new MouseEvent('click', { bubbles: true }));
        // What the pane shows: each section's title, then its fields as (name, value).
        r.fields = Array.from(document.querySelectorAll('#tab-details .fieldtab tr')).map((tr) => {
          const st = tr.querySelector('.st');
          if (st) return [st.textContent || ''];
          return Array.from(tr.querySelectorAll('td')).map((td) => td.textContent || '');
        });
        // Point at the TCP/ICMP/ARP... header's first field: its bytes light up.
        const tr = /** @type {HTMLElement|null} */ (document.querySelector('#tab-details tr.f[data-a]'));
        if (tr) {
          tr.dispatchEvent(new MouseEvent('mouseenter'));
          r.highlighted = Array.from(document.querySelectorAll('#tab-details .hex .b.hl')).map((b) => Number(/** @type {HTMLElement} */ (b).dataset.i));
          r.highlightedField = [tr.dataset.a, tr.dataset.z].map(Number);
        }
        r.layersShown = document.querySelectorAll('#tab-details pre.layers').length;
      }
      // A frame that was lost or refused: where it died, its envelope is drawn dead (✗).
      const dead = FR.fate.findIndex((x) => x !== 'ok');
      if (dead >= 0) {
        setU(uOf((FR.end[dead] + visEnd[dead]) / 2));
        render(true);
        const env = pool.find((g) => g.style.display !== 'none' && g.dataset.frame === String(dead));
        r.dead = { id: FR.id[dead], fate: FR.fate[dead], text: env ? env.childNodes[2].textContent : null };
      }
      // The sockets' states written over each host at chosen moments (`states=1.025s,1.035s`).
      if (hash.has('states')) {
        r.states = (hash.get('states') || '').split(',').map((t) => {
          setU(uOf(parseTime(t) || 0));
          render(true);
          return D.nodes.map((n, i) => n.name + ': ' + stateTexts[i].textContent);
        });
      }
      // Step to the next instant twice, back once; jump to a typed time.
      $('b-start').click();
      r.steps = [];
      for (const b of ['b-next', 'b-next', 'b-back']) { $(b).click(); r.steps.push(simTime(u)); }
      $('jump-to').value = hash.get('jump') || '1.03s';
      $('jump').dispatchEvent(new Event('submit', { cancelable: true }));
      r.jumpedTo = simTime(u);
      // A node's tables at the current time, and its sockets' state timelines.
      const nodeName = hash.get('node-filter') || (D.nodes[0] ? D.nodes[0].name : '');
      selectNode(D.nodes.findIndex((n) => n.name === nodeName));
      r.nodeTab = {
        titles: Array.from(document.querySelectorAll('#tab-node h3')).map((h) => h.textContent),
        tables: Array.from(document.querySelectorAll('#tab-node pre.table')).map((p) => p.textContent),
        stateBars: document.querySelectorAll('#tab-node .state-bar').length,
      };
      // The ladder's columns; the TCP graphs' connections and directions.
      r.ladderCols = D.ladder.cols.map((c) => D.nodes[c].name);
      showTab('tcp');
      r.tcp = D.tcp.length ? {
        connections: Array.from(/** @type {HTMLSelectElement} */ ($('tcp-conn')).options).map((o) => o.text),
        directions: Array.from(/** @type {HTMLSelectElement} */ ($('tcp-dir')).options).map((o) => o.text),
        drawn: /** @type {HTMLCanvasElement} */ ($('tcpseq')).width > 0 && /** @type {HTMLCanvasElement} */ ($('tcpcwnd')).width > 0,
      } : null;
      // Filters narrow the list.
      /** @param {string} node @param {string} layer @param {string} words */
      const filtered = (node, layer, words) => {
        nodeSel.value = node; layerSel.value = layer; $('f-words').value = words;
        $('f-words').dispatchEvent(new Event('input'));
        return Array.from(vis);
      };
      r.total = filtered('', '', '').length;
      const ni = D.nodes.findIndex((n) => n.name === nodeName);
      const byNode = filtered(String(ni), '', '');
      r.byNode = { node: nodeName, count: byNode.length, allThatNode: byNode.every((e) => EV.n[e] === ni) };
      const layer = ['tcp', 'icmp', 'arp', 'phy'].map((l) => D.layerNames.indexOf(l)).find((l) => EV.l.includes(l));
      const byLayer = filtered('', String(layer), '');
      r.byLayer = { layer: D.layerNames[layer], count: byLayer.length, allThatLayer: byLayer.every((e) => EV.l[e] === layer) };
      /** @type {Record<string, number[]>} */
      const words = {};
      for (const w of (hash.get('words') || 'tcp syn|arp|not-ack').split('|')) {
        const evs = filtered('', '', w);
        words[w] = Array.from(new Set(evs.map((e) => FR.id[EV.f[e]]))).sort((a, b) => a - b);
      }
      r.words = words;
      r.badWord = (() => { filtered('', '', 'tcp bogus'); return $('f-error').textContent; })();
      filtered('', '', '');
      // Every tab draws.
      for (const t of ['node', 'ladder', 'tcp', 'checks', 'details']) showTab(t);
      r.checksShown = document.querySelectorAll('#tab-checks .check').length;
      r.ladderArrows = D.ladder.arrows.length;
    } catch (e) {
      errors.push(String(e && /** @type {any} */ (e).stack || e));
    }
    r.errors = errors;
    const out = $('selftest-result');
    out.textContent = JSON.stringify(r);
    out.hidden = false;
  }
})();
