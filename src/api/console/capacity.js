// The capacity page: the usage history, the forecast band, the planned nodes and the actions, drawn as SVG.
(() => {
  'use strict';
  const session = window.meetmeSession;
  const state = { timer: null };
  const $ = (id) => document.getElementById(id);
  const HOUR = 3600000;
  const COLOURS = { history: '#1f6feb', band: '#f9d49b', expected: '#d9730d', nodes: '#2da44e', down: '#8250df', now: '#8c959f' };

  const { showError } = session;
  const api = (path) => session.api('GET', path);

  const svg = (name, attributes, text) => {
    const node = document.createElementNS('http://www.w3.org/2000/svg', name);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  };

  /** A round upper bound for the axis: 1, 2 or 5 times a power of ten. */
  function niceMax(value) {
    if (value <= 0) return 10;
    const power = 10 ** Math.floor(Math.log10(value));
    for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
    return 10 * power;
  }

  const hhmm = (ms) => new Date(ms).toISOString().slice(11, 16);
  const day = (ms) => new Date(ms).toUTCString().slice(0, 3);
  const pct = (n) => (n === null || n === undefined ? '-' : `${(n * 100).toFixed(1)}%`);

  function draw(plan, history) {
    const W = 960;
    const H = 380;
    const m = { left: 56, right: 48, top: 26, bottom: 34 };
    const now = Date.parse(plan.generatedAt);
    const slots = plan.slots.map((s) => ({ ...s, t: Date.parse(s.start) }));
    const points = history.points.map((p) => ({ t: Date.parse(p.at), v: p.participantsPeak }));
    const x0 = now - 48 * HOUR;
    const x1 = slots.length ? slots[slots.length - 1].t + 15 * 60000 : now + 48 * HOUR;
    const usable = plan.parameters.usablePerNode;
    const top = niceMax(Math.max(1, ...points.map((p) => p.v), ...slots.map((s) => s.upper), ...slots.map((s) => s.nodes * usable)));
    const X = (t) => m.left + ((t - x0) / (x1 - x0)) * (W - m.left - m.right);
    const Y = (v) => H - m.bottom - (v / top) * (H - m.top - m.bottom);
    const plot = $('plot');
    plot.replaceChildren();

    // Grid and axes: participants on the left, nodes on the right (a node is `usable` participants).
    for (let i = 0; i <= 5; i++) {
      const v = (top / 5) * i;
      plot.append(svg('line', { x1: m.left, x2: W - m.right, y1: Y(v), y2: Y(v), stroke: '#eef0f4' }));
      plot.append(svg('text', { x: m.left - 6, y: Y(v) + 4, 'text-anchor': 'end' }, Math.round(v)));
    }
    const maxNodes = Math.floor(top / usable);
    const nodeStep = Math.max(1, Math.ceil(maxNodes / 8));
    for (let n = 0; n <= maxNodes; n += nodeStep)
      plot.append(svg('text', { x: W - m.right + 6, y: Y(n * usable) + 4, fill: COLOURS.nodes }, n));
    for (let t = Math.ceil(x0 / (6 * HOUR)) * 6 * HOUR; t <= x1; t += 6 * HOUR) {
      plot.append(svg('line', { x1: X(t), x2: X(t), y1: m.top, y2: H - m.bottom, stroke: '#eef0f4' }));
      const label = hhmm(t) === '00:00' ? day(t) : hhmm(t);
      plot.append(svg('text', { x: X(t), y: H - m.bottom + 16, 'text-anchor': 'middle' }, label));
    }

    // The forecast band: from the expected figure up to the upper band.
    if (slots.length) {
      const upper = slots.flatMap((s) => [`${X(s.t)},${Y(s.upper)}`, `${X(s.t + 15 * 60000)},${Y(s.upper)}`]);
      const lower = slots
        .slice()
        .reverse()
        .flatMap((s) => [`${X(s.t + 15 * 60000)},${Y(s.participants)}`, `${X(s.t)},${Y(s.participants)}`]);
      plot.append(svg('polygon', { points: [...upper, ...lower].join(' '), fill: COLOURS.band, 'data-testid': 'forecast-band' }));
      // Planned capacity: nodes x usable per node, a step line.
      const steps = slots.flatMap((s) => [`${X(s.t)},${Y(s.nodes * usable)}`, `${X(s.t + 15 * 60000)},${Y(s.nodes * usable)}`]);
      plot.append(
        svg('polyline', { points: steps.join(' '), fill: 'none', stroke: COLOURS.nodes, 'stroke-width': 2, 'data-testid': 'nodes-line' }),
      );
      const expected = slots.map((s) => `${X(s.t + 7.5 * 60000)},${Y(s.participants)}`);
      plot.append(
        svg('polyline', {
          points: expected.join(' '),
          fill: 'none',
          stroke: COLOURS.expected,
          'stroke-width': 1.5,
          'stroke-dasharray': '5 3',
        }),
      );
    }

    // History: one line, broken where nothing was recorded.
    let run = [];
    const lines = [];
    points.forEach((p, i) => {
      if (i > 0 && p.t - points[i - 1].t > history.stepMinutes * 60000) {
        lines.push(run);
        run = [];
      }
      if (p.t >= x0) run.push(`${X(p.t + history.stepMinutes * 30000)},${Y(p.v)}`);
    });
    lines.push(run);
    for (const line of lines.filter((l) => l.length > 1))
      plot.append(
        svg('polyline', {
          points: line.join(' '),
          fill: 'none',
          stroke: COLOURS.history,
          'stroke-width': 3,
          'data-testid': 'history-line',
        }),
      );

    plot.append(svg('line', { x1: X(now), x2: X(now), y1: m.top - 8, y2: H - m.bottom, stroke: COLOURS.now, 'stroke-dasharray': '3 3' }));
    plot.append(svg('text', { x: X(now) + 4, y: m.top - 12 }, 'now'));

    // Actions: a marker at the top at each planned time, up or down.
    plan.actions.forEach((a, i) => {
      const x = X(Date.parse(a.at));
      const up = a.direction === 'up';
      const marker = svg('path', {
        d: up
          ? `M${x - 5},${m.top + 2} L${x + 5},${m.top + 2} L${x},${m.top - 6} Z`
          : `M${x - 5},${m.top - 6} L${x + 5},${m.top - 6} L${x},${m.top + 2} Z`,
        fill: up ? COLOURS.nodes : COLOURS.down,
        'data-testid': `action-${i}`,
      });
      marker.append(svg('title', {}, `${hhmm(Date.parse(a.at))} ${a.from} -> ${a.to} nodes: ${a.reason}`));
      plot.append(marker);
    });
    plot.dataset.drawn = String(Date.now());
  }

  /** Fills a table's body; its head comes from the table's `data-columns` (names split by "|"). */
  function rows(table, list, cells) {
    const element = $(table);
    if (!element.tHead) {
      const head = element.createTHead().insertRow();
      for (const name of element.dataset.columns.split('|'))
        head.append(Object.assign(document.createElement('th'), { textContent: name }));
      element.createTBody();
    }
    element.tBodies[0].replaceChildren(
      ...list.map((item) => {
        const row = document.createElement('tr');
        for (const [text, className] of cells(item)) {
          const cell = document.createElement('td');
          cell.textContent = text;
          if (className) cell.className = className;
          row.append(cell);
        }
        return row;
      }),
    );
  }

  function tables(plan) {
    const current = plan.currentNodes === null ? 'not known (no hook run yet)' : plan.currentNodes;
    $('summary').textContent =
      `Desired now: ${plan.desiredNodes} node(s); asked for: ${current}. A node carries ${plan.parameters.nodeCapacity} participants, ` +
      `planned at ${plan.parameters.usablePerNode} (headroom ${pct(plan.parameters.headroom)}), ${plan.parameters.leadMinutes} minutes ahead. ` +
      `Trend ${pct(plan.trendPerWeek)} a week over ${plan.daysOfHistory} days of history.`;
    const when = (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
    rows('actions', plan.actions, (a) => [[when(a.at)], [`${a.from} -> ${a.to}`], [a.reason]]);
    $('hook-none').hidden = plan.hook !== null;
    rows('hook-runs', plan.hook ? plan.hook.runs : [], (r) => [
      [when(r.at)],
      [`${r.previousNodes === null ? '?' : r.previousNodes} -> ${r.desiredNodes}`],
      [r.drainedNodes.join(', ') || '-'],
      [`${r.ok ? 'ok' : 'failed'}: ${r.detail}`, r.ok ? '' : 'failed'],
    ]);
    rows('forecast-error', plan.forecastError.weeks, (w) => [
      [w.week],
      [pct(w.wape)],
      [pct(w.bias)],
      [pct(w.peakError)],
      [pct(w.bandCoverage)],
      [String(w.underProvisioned)],
    ]);
  }

  async function refresh() {
    try {
      const [plan, history] = await Promise.all([api('/capacity/plan'), api('/capacity/history')]);
      showError('');
      draw(plan, history);
      tables(plan);
      $('status').textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC`;
    } catch (error) {
      showError(error.message);
    }
  }

  session.start({
    probe: '/capacity/plan?hours=1',
    main: 'capacity',
    onSignedIn: async () => {
      await refresh();
      clearInterval(state.timer);
      state.timer = setInterval(refresh, 60000);
    },
  });
})();
