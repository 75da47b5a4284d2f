// ccgsim classroom page. The simulation runs in the server (the same engine as
// `ccgsim run`); this page keeps the settings timeline, asks for the trajectory
// up to the current month (POST /api/run) and draws it. Determinism means that
// re-simulating from month 0 each tick reproduces the months already shown.
'use strict';

(() => {
  // The levers on the page. Ranges are classroom ranges, widened when needed to
  // show a preset's value; the server enforces the scenario parser's ranges.
  const LEVELS = ['none', 'greater involvement', 'joint', 'delegated'];
  const LEVERS = [
    { path: 'ccg.practices', label: 'CCG size', min: 10, max: 150, step: 1,
      fmt: (v) => `${v} practices` },
    { path: 'constitution.sanctions', label: 'Sanction intensity', min: 0, max: 1, step: 0.05,
      fmt: (v) => `${v.toFixed(2)} (${v < 0.34 ? 'peer-led' : v < 0.67 ? 'firm' : 'draconian'})` },
    { path: 'ccg.allowance_per_head', label: 'Running-cost allowance', min: 15, max: 35, step: 0.5,
      fmt: (v) => `£${v.toFixed(2)} per head` },
    { path: 'constitution.peer_review', label: 'Peer review', min: 0, max: 1, step: 0.05,
      fmt: (v) => `${v.toFixed(2)}` },
    { path: 'co_commissioning.level', label: 'Co-commissioning level', min: 0, max: 3, step: 1,
      fmt: (v) => `${v} (${LEVELS[v] || ''})` },
  ];
  // Okabe-Ito colours, each line also with its own dash pattern.
  const SERIES = [
    { key: 'engaged_share', label: 'Engaged share', color: '#0072B2', dash: [] },
    { key: 'ownership_members', label: 'Member ownership', color: '#E69F00', dash: [12, 6] },
    { key: 'credibility', label: 'Credibility', color: '#009E73', dash: [3, 5] },
    { key: 'performance', label: 'Performance', color: '#CC79A7', dash: [14, 5, 3, 5] },
  ];
  const ENGAGEMENT = ['not engaged', 'somewhat engaged', 'moderately engaged', 'highly engaged'];
  const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
    'September', 'October', 'November', 'December'];
  const FUTURES = 20;

  const $ = (id) => document.getElementById(id);
  const state = {
    meta: null,
    preset: null,
    specs: {},
    base: {}, // parameter values at month 0
    events: [], // {kind: 'preset'|'set'|'narrative', month, ...}
    narrativeOpen: null,
    month: 0,
    horizon: 120,
    speed: 4,
    seed: 1,
    futures: false,
    playing: false,
    data: null,
    requests: 0,
    error: null,
  };

  // ---- talking to the server -------------------------------------------------

  function requestBody(months) {
    const events = [];
    for (const e of state.events) {
      if (e.month > months) continue;
      if (e.kind === 'narrative') {
        const duration = (e.end ?? months + 1) - e.month;
        if (duration >= 1) {
          events.push({ month: e.month, label: 'classroom failure narrative', failure_narrative: e.strength, duration });
        }
      } else {
        events.push(e.body);
      }
    }
    return {
      preset: state.preset.id,
      params: state.base,
      events,
      months,
      seed: state.seed,
      futures: state.futures ? FUTURES : 1,
    };
  }

  async function fetchRun(months) {
    const res = await fetch('/api/run', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(requestBody(months)),
    });
    const json = await res.json();
    state.requests += 1;
    if (!res.ok) {
      throw new Error(json.errors.map((e) => (e.key ? `${e.key}: ${e.message}` : e.message)).join('; '));
    }
    return json;
  }

  // One request at a time; a change made while one is in flight is fetched after it.
  let inFlight = null;
  let again = false;
  async function refresh() {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      do {
        again = false;
        try {
          state.data = await fetchRun(state.month);
          state.error = null;
        } catch (err) {
          state.error = err instanceof TypeError
            ? 'Cannot reach the ccgsim server: is `ccgsim serve` still running? Start it again and reload this page.'
            : `The server refused the settings: ${err.message}`;
          setPlaying(false);
        }
        render();
      } while (again);
    })();
    await inFlight;
    inFlight = null;
  }

  // ---- the settings timeline -------------------------------------------------

  function nextMonth() {
    return state.month + 1;
  }

  function setLever(path, value) {
    const lever = LEVERS.find((l) => l.path === path);
    if (!state.specs[path].dynamic) {
      // Structural: the CCG is rebuilt, so the run starts again.
      state.base[path] = value;
      reset();
      return;
    }
    if (state.month === 0) {
      state.base[path] = value;
    } else {
      const month = nextMonth();
      state.events = state.events.filter((e) => !(e.kind === 'set' && e.month === month && e.path === path));
      state.events.push({
        kind: 'set', month, path, value,
        text: `${lever.label} → ${lever.fmt(value)}`,
        body: { month, label: `classroom: ${lever.label}`, set: { [path]: value } },
      });
    }
    renderTimeline();
    if (state.month === 0) refresh();
  }

  function startNarrative() {
    const e = { kind: 'narrative', month: nextMonth(), strength: Number($('narrative-strength').value), end: null };
    state.events.push(e);
    state.narrativeOpen = e;
  }

  function stopNarrative() {
    const e = state.narrativeOpen;
    state.narrativeOpen = null;
    e.end = state.month + 1; // the month on screen was the last one under the narrative
    if (e.end - e.month < 1) state.events = state.events.filter((x) => x !== e);
  }

  function toggleNarrative() {
    if (state.narrativeOpen) stopNarrative();
    else startNarrative();
    renderNarrativeButton();
    renderTimeline();
  }

  function narrativeStrengthChanged() {
    $('narrative-strength-value').textContent = Number($('narrative-strength').value).toFixed(2);
    const open = state.narrativeOpen;
    if (!open) return;
    if (open.month === nextMonth()) {
      open.strength = Number($('narrative-strength').value);
    } else {
      stopNarrative();
      startNarrative();
    }
    renderTimeline();
  }

  /** The value of `path` in force in `month`, from the base and the `set` events. */
  function valueAt(path, month) {
    let v = state.base[path];
    const sets = state.events.filter((e) => e.month <= month && (e.kind === 'set' || e.kind === 'preset'));
    sets.sort((a, b) => a.month - b.month);
    for (const e of sets) {
      const body = e.body;
      if (body.set && path in body.set) v = body.set[path];
      if (body.ramp && path in body.ramp) v = body.ramp[path];
    }
    return v;
  }

  function reset() {
    setPlaying(false);
    state.month = 0;
    state.events = state.events.filter((e) => e.kind === 'preset');
    state.narrativeOpen = null;
    renderNarrativeButton();
    renderTimeline();
    refresh();
  }

  function applyPreset(id) {
    const p = state.meta.presets.find((x) => x.id === id) || state.meta.presets[0];
    state.preset = p;
    state.base = { ...p.params };
    state.seed = p.seed;
    $('seed').value = p.seed;
    state.events = p.events.map((body) => ({ kind: 'preset', month: body.month, body, text: describePresetEvent(body) }));
    const horizon = Math.max(p.months, 12);
    const select = $('horizon');
    if (![...select.options].some((o) => Number(o.value) === horizon)) {
      select.add(new Option(`${horizon} months (the scenario's)`, String(horizon)));
    }
    select.value = String(horizon);
    state.horizon = horizon;
    let text = p.description || `From ${p.file}.`;
    if (p.population_ccgs) {
      text += ` The scenario has ${p.population_ccgs} CCGs; this page shows one CCG of ${p.params['ccg.practices']} practices with its settings.`;
    }
    $('preset-description').textContent = text;
    for (const lever of LEVERS) configureSlider(lever);
    reset();
  }

  function describePresetEvent(b) {
    const parts = [];
    for (const [k, v] of Object.entries(b.set || {})) parts.push(`${k} = ${v}`);
    for (const [k, v] of Object.entries(b.ramp || {})) parts.push(`${k} → ${v} over ${b.over} months`);
    if (b.failure_narrative !== undefined) parts.push(`failure narrative ${b.failure_narrative} for ${b.duration} months`);
    return `${b.label ? `${b.label}: ` : ''}${parts.join(', ')}`;
  }

  // ---- play loop -------------------------------------------------------------

  let looping = false;
  async function loop() {
    if (looping) return;
    looping = true;
    while (state.playing) {
      const t0 = performance.now();
      if (state.month >= state.horizon) {
        setPlaying(false);
        break;
      }
      state.month += 1;
      await refresh();
      const wait = 1000 / state.speed - (performance.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    looping = false;
  }

  function setPlaying(on) {
    state.playing = on && state.month < state.horizon;
    $('play').textContent = state.playing ? 'Pause' : 'Play';
    $('play').setAttribute('aria-pressed', String(state.playing));
    if (state.playing) loop();
  }

  // ---- controls --------------------------------------------------------------

  function configureSlider(lever) {
    const spec = state.specs[lever.path];
    const input = $(`lever-${lever.path}`);
    const v = state.base[lever.path];
    input.min = String(Math.max(spec.min, Math.min(lever.min, v)));
    input.max = String(Math.min(spec.max, Math.max(lever.max, v)));
    input.value = String(v);
    $(`lever-${lever.path}-value`).textContent = lever.fmt(v);
  }

  function buildLevers() {
    const box = $('levers');
    for (const lever of LEVERS) {
      const spec = state.specs[lever.path];
      const id = `lever-${lever.path}`;
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = lever.label;
      label.title = `${spec.doc} (${spec.unit})`;
      const out = document.createElement('output');
      out.id = `${id}-value`;
      out.htmlFor = id;
      label.append(' ', out);
      const input = document.createElement('input');
      input.type = 'range';
      input.id = id;
      input.step = String(lever.step);
      input.dataset.path = lever.path;
      input.addEventListener('input', () => { out.textContent = lever.fmt(Number(input.value)); });
      input.addEventListener('change', () => setLever(lever.path, Number(input.value)));
      box.append(label, input);
    }
  }

  function wireControls() {
    $('preset').addEventListener('change', (e) => applyPreset(e.target.value));
    $('play').addEventListener('click', () => setPlaying(!state.playing));
    $('step').addEventListener('click', () => {
      if (state.playing || state.month >= state.horizon) return;
      state.month += 1;
      refresh();
    });
    $('reset').addEventListener('click', () => {
      for (const lever of LEVERS) configureSlider(lever);
      reset();
    });
    $('narrative').addEventListener('click', toggleNarrative);
    $('narrative-strength').addEventListener('input', narrativeStrengthChanged);
    const speed = $('speed');
    const showSpeed = () => {
      state.speed = Number(speed.value);
      $('speed-value').textContent = `${state.speed} month${state.speed === 1 ? '' : 's'} per second`;
    };
    speed.addEventListener('input', showSpeed);
    showSpeed();
    $('horizon').addEventListener('change', (e) => {
      state.horizon = Number(e.target.value);
      if (state.month > state.horizon) {
        state.month = state.horizon;
        refresh();
      } else {
        render();
      }
    });
    $('seed').addEventListener('change', (e) => {
      const s = Math.max(0, Math.floor(Number(e.target.value) || 0));
      e.target.value = s;
      state.seed = s;
      refresh();
    });
    $('futures').addEventListener('click', () => {
      state.futures = !state.futures;
      $('futures').setAttribute('aria-pressed', String(state.futures));
      $('futures').textContent = state.futures ? `Hide the ${FUTURES} futures` : `Run ${FUTURES} futures`;
      refresh();
    });
    $('narrative-strength-value').textContent = Number($('narrative-strength').value).toFixed(2);
  }

  // ---- drawing ---------------------------------------------------------------

  function monthName(m) {
    const k = 3 + m; // month 0 = April 2013
    return `${MONTHS[k % 12]} ${2013 + Math.floor(k / 12)}`;
  }

  function render() {
    const d = state.data;
    $('month-label').textContent = `Month ${state.month} · ${monthName(state.month)}`;
    const err = $('error');
    err.hidden = !state.error;
    err.textContent = state.error || '';
    if (!d) return;
    const last = (k) => d.series[k][d.series[k].length - 1];
    const pct = (x) => (x == null ? '–' : `${Math.round(100 * x)}%`);
    const num = (x) => (x == null ? '–' : x.toFixed(2));
    $('readout').textContent = `engaged ${pct(last('engaged_share'))} · ownership ${num(last('ownership_members'))}`
      + ` · credibility ${num(last('credibility'))} · performance ${num(last('performance'))}`;
    if (d.futures.length > 1) {
      const n = d.futures.filter((f) => f.failed_month != null).length;
      $('readout').textContent += ` · ${n} of ${d.futures.length} futures failed so far`;
    }
    const failed = $('failed');
    failed.hidden = d.failed_month == null;
    failed.textContent = d.failed_month == null ? ''
      : `This CCG failed in month ${d.failed_month} (${monthName(d.failed_month)}): engaged share and credibility stayed below their failure lines.`;
    drawChart(d);
    drawGrid(d);
    renderSliders();
    const chart = $('chart');
    chart.dataset.month = String(d.months);
    window.ccgsim.ready = true;
  }

  function renderSliders() {
    for (const lever of LEVERS) {
      const input = $(`lever-${lever.path}`);
      if (document.activeElement === input) continue; // do not move a slider under the user's hand
      const v = valueAt(lever.path, nextMonth());
      if (v !== undefined && Number(input.value) !== v) {
        input.value = String(v);
        $(`lever-${lever.path}-value`).textContent = lever.fmt(v);
      }
    }
  }

  function renderNarrativeButton() {
    const b = $('narrative');
    const on = Boolean(state.narrativeOpen);
    b.setAttribute('aria-pressed', String(on));
    b.textContent = on ? 'Stop failure narrative' : 'Start failure narrative';
  }

  function renderTimeline() {
    const list = $('timeline');
    list.replaceChildren();
    const items = [...state.events].sort((a, b) => a.month - b.month);
    for (const e of items) {
      const li = document.createElement('li');
      let text = e.text;
      if (e.kind === 'narrative') {
        text = `failure narrative, strength ${e.strength.toFixed(2)}, `
          + (e.end == null ? 'still on' : `until month ${e.end - 1}`);
      }
      li.textContent = `month ${e.month}: ${text}${e.kind === 'preset' ? ' (scenario)' : ''}`;
      list.append(li);
    }
    $('timeline-count').textContent = String(items.length);
  }

  function drawChart(d) {
    // Draw at the size the canvas is shown, times the screen's pixel ratio, so
    // text stays sharp on a projector or a high-density screen.
    const canvas = $('chart');
    const ctx = canvas.getContext('2d');
    const box = canvas.getBoundingClientRect();
    const W = Math.max(480, Math.round(box.width || 960));
    const H = Math.round((W * 460) / 960);
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
      canvas.width = Math.round(W * dpr);
      canvas.height = Math.round(H * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    // Legend rows first: entries wrap before the right margin, so the legend
    // never runs into the canvas edge on a narrow (projector) layout.
    ctx.font = '15px system-ui, "DejaVu Sans", sans-serif';
    const legendRows = [[]];
    {
      let lx = 64;
      for (const s of SERIES) {
        const w = 40 + ctx.measureText(s.label).width;
        if (legendRows[legendRows.length - 1].length && lx + w > W - 18 - 8) {
          legendRows.push([]);
          lx = 64;
        }
        legendRows[legendRows.length - 1].push({ s, x: lx, w });
        lx += w + 22;
      }
    }
    const rowH = 22;
    const m = { l: 64, r: 18, t: 66 + (legendRows.length - 1) * rowH, b: 54 };
    const pw = W - m.l - m.r;
    const ph = H - m.t - m.b;
    const horizon = Math.max(state.horizon, d.months, 1);
    const X = (t) => m.l + (pw * t) / horizon;
    const Y = (v) => m.t + ph * (1 - v);
    ctx.setLineDash([]);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, W, H);

    ctx.fillStyle = '#1a1a1a';
    ctx.font = 'bold 19px system-ui, "DejaVu Sans", sans-serif';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.fillText('One CCG, month by month', m.l, 24);

    // Narrative windows: month t is computed under the shock of month t, i.e.
    // during the step from t-1 to t.
    const shock = d.narrative_shock;
    ctx.save();
    for (let t = 1; t < shock.length; t += 1) {
      if (shock[t] > 0 && !(shock[t - 1] > 0 && t > 1)) {
        let end = t;
        while (end + 1 < shock.length && shock[end + 1] > 0) end += 1;
        const x0 = X(t - 1);
        const x1 = X(end);
        ctx.fillStyle = 'rgba(213, 94, 0, 0.13)';
        ctx.fillRect(x0, m.t, x1 - x0, ph);
        ctx.strokeStyle = 'rgba(166, 61, 0, 0.6)';
        ctx.lineWidth = 1;
        ctx.strokeRect(x0, m.t, x1 - x0, ph);
        ctx.fillStyle = '#a63d00';
        ctx.font = '14px system-ui, "DejaVu Sans", sans-serif';
        ctx.fillText('failure narrative', x0 + 4, m.t + ph - 10);
      }
    }
    ctx.restore();

    // Axes and grid lines.
    ctx.strokeStyle = '#d0d0d0';
    ctx.lineWidth = 1;
    ctx.fillStyle = '#1a1a1a';
    ctx.font = '14px system-ui, "DejaVu Sans", sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let k = 0; k <= 4; k += 1) {
      const v = k / 4;
      ctx.beginPath();
      ctx.moveTo(m.l, Y(v));
      ctx.lineTo(m.l + pw, Y(v));
      ctx.stroke();
      ctx.fillText(v.toFixed(2), m.l - 8, Y(v));
    }
    const every = horizon > 180 ? 24 : 12;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (let t = 0; t <= horizon; t += every) {
      ctx.beginPath();
      ctx.moveTo(X(t), m.t + ph);
      ctx.lineTo(X(t), m.t + ph + 5);
      ctx.strokeStyle = '#1a1a1a';
      ctx.stroke();
      ctx.fillText(String(t), X(t), m.t + ph + 8);
    }
    ctx.strokeStyle = '#1a1a1a';
    ctx.strokeRect(m.l, m.t, pw, ph);
    ctx.fillText('months since April 2013', m.l + pw / 2, H - 24);
    ctx.save();
    ctx.translate(18, m.t + ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'middle';
    ctx.fillText('share or level (0 to 1)', 0, 0);
    ctx.restore();

    const line = (values, color, width, dash, alpha) => {
      ctx.save();
      ctx.globalAlpha = alpha;
      ctx.strokeStyle = color;
      ctx.lineCap = 'butt';
      ctx.lineWidth = width;
      ctx.setLineDash(dash);
      ctx.lineJoin = 'round';
      ctx.beginPath();
      let pen = false;
      values.forEach((v, t) => {
        if (v == null) {
          pen = false;
          return;
        }
        if (pen) ctx.lineTo(X(t), Y(v));
        else ctx.moveTo(X(t), Y(v));
        pen = true;
      });
      ctx.stroke();
      ctx.restore();
    };
    for (const f of d.futures.slice(1)) {
      for (const s of SERIES) line(f.series[s.key], s.color, 1, [], 0.3);
    }
    // The main run on a white halo, so it stays legible over the futures.
    for (const s of SERIES) {
      line(d.series[s.key], '#ffffff', 6, [], d.futures.length > 1 ? 0.8 : 0);
      line(d.series[s.key], s.color, 3.2, s.dash, 1);
    }

    // Current month.
    ctx.save();
    ctx.strokeStyle = '#555';
    ctx.setLineDash([2, 3]);
    ctx.beginPath();
    ctx.moveTo(X(d.months), m.t);
    ctx.lineTo(X(d.months), m.t + ph);
    ctx.stroke();
    ctx.restore();

    // Legend.
    ctx.font = '15px system-ui, "DejaVu Sans", sans-serif';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    let right = 0;
    legendRows.forEach((row, r) => {
      const y = 50 + r * rowH;
      for (const { s, x, w } of row) {
        ctx.save();
        ctx.strokeStyle = s.color;
        ctx.lineWidth = 3.2;
        ctx.setLineDash(s.dash);
        ctx.beginPath();
        ctx.moveTo(x, y);
        ctx.lineTo(x + 34, y);
        ctx.stroke();
        ctx.restore();
        ctx.fillStyle = '#1a1a1a';
        ctx.fillText(s.label, x + 40, y);
        right = Math.max(right, x + w);
      }
    });
    // Where the legend was drawn (CSS pixels), for the browser test.
    state.legendBox = {
      left: m.l, right, top: 40, bottom: 60 + (legendRows.length - 1) * rowH, width: W,
    };
    if (d.futures.length > 1) {
      ctx.fillStyle = '#4a4a4a';
      ctx.textAlign = 'right';
      ctx.fillText(`thin lines: ${d.futures.length} futures (seeds)`, m.l + pw, 24);
    }
  }

  let gridShape = '';
  function drawGrid(d) {
    const g = d.grid;
    const box = $('grid');
    const shape = `${g.locality.length}/${d.localities}`;
    if (shape !== gridShape) {
      gridShape = shape;
      box.replaceChildren();
      const counts = new Array(d.localities).fill(0);
      for (const l of g.locality) counts[l] += 1;
      const groups = counts.map((n, l) => {
        const div = document.createElement('div');
        div.className = 'locality';
        const h = document.createElement('h3');
        h.textContent = `Locality ${l + 1} (${n} practices)`;
        const cells = document.createElement('div');
        cells.className = 'cells';
        cells.style.gridTemplateColumns = `repeat(${Math.min(12, Math.max(4, Math.ceil(Math.sqrt(n * 1.5))))}, 26px)`;
        div.append(h, cells);
        box.append(div);
        return cells;
      });
      g.locality.forEach((l, i) => {
        const cell = document.createElement('span');
        cell.className = 'cell';
        cell.id = `practice-${i}`;
        cell.setAttribute('role', 'img');
        const dot = document.createElement('b');
        dot.className = 'own';
        cell.append(dot);
        groups[l].append(cell);
      });
    }
    g.locality.forEach((l, i) => {
      const cell = $(`practice-${i}`);
      const e = g.engagement[i];
      const own = g.ownership[i];
      const leader = g.leader[i];
      cell.className = `cell e${e}${leader ? ' leader' : ''}`;
      cell.dataset.engagement = String(e);
      const size = Math.round(21 * Math.sqrt(Math.max(0, own)));
      const dot = cell.firstChild;
      dot.style.width = `${size}px`;
      dot.style.height = `${size}px`;
      dot.hidden = size < 2;
      const text = `Practice ${i + 1}, locality ${l + 1}: ${ENGAGEMENT[e]}, ownership ${own.toFixed(2)}${leader ? ', GP leader' : ''}`;
      cell.title = text;
      cell.setAttribute('aria-label', text);
    });
  }

  // ---- start -----------------------------------------------------------------

  async function start() {
    window.ccgsim = {
      state,
      ready: false,
      /** The charted series of the main run, as last drawn. */
      series: () => (state.data ? Object.fromEntries(SERIES.map((s) => [s.key, state.data.series[s.key]])) : null),
      requestBody,
      refresh,
    };
    try {
      const res = await fetch('/api/meta');
      state.meta = await res.json();
    } catch (err) {
      state.error = 'Cannot reach the ccgsim server: is `ccgsim serve` still running? Start it again and reload this page.';
      render();
      return;
    }
    for (const s of state.meta.params) state.specs[s.path] = s;
    const select = $('preset');
    for (const p of state.meta.presets) select.add(new Option(p.name, p.id));
    buildLevers();
    wireControls();
    window.addEventListener('resize', () => { if (state.data) drawChart(state.data); });
    applyPreset(state.meta.presets[0].id);
  }

  start();
})();
