// Admin/Support/Reports: tickets created and resolved per day, first-response and resolution
// times (median and p90) over a range of UTC days, drawn with the vendored uPlot; the figures
// per day, per agent and per category as tables (the charts' text alternative); CSV downloads.

import { api, failureNotice } from './api.js';
import { h, LABELS, replace } from './dom.js';
import { spanText } from './sla.js';

const UPLOT = '/assets/vendor/uplot/uPlot.esm.js';
const UPLOT_CSS = '/assets/vendor/uplot/uPlot.min.css';
const PATH = '/admin/support/reports';
const DAY_MS = 86400000;

/** `YYYY-MM-DD` of a UTC day. */
function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

function defaultRange(days = 30) {
  const to = new Date();
  return { from: isoDay(new Date(to - (days - 1) * DAY_MS)), to: isoDay(to) };
}

/** A duration in seconds as people read it; a dash without a value. */
function duration(s) {
  return s == null ? '—' : spanText(s * 1000);
}

/** The report's query string. */
function query(range, groupBy, format) {
  const q = new URLSearchParams({ from: range.from, to: range.to, group_by: groupBy });
  if (format) q.set('format', format);
  return q.toString();
}

function csvLink(range, groupBy, label) {
  return h('a', {
    class: 'button small csv',
    href: `/api${PATH}?${query(range, groupBy, 'csv')}`,
    download: `support-report-${groupBy}-${range.from}-${range.to}.csv`,
    dataset: { csv: groupBy },
  }, label);
}

/** A table of report rows: `name` heads the first column. */
function figuresTable(caption, name, rows, labelOf = (g) => g.label) {
  const col = (text, attrs = {}) => h('th', { scope: 'col', ...attrs }, text);
  return h('div', { class: 'table-scroll' },
    h('table', { class: 'figures' },
      h('caption', {}, caption),
      h('thead', {},
        h('tr', {},
          col(name, { rowspan: 2 }), col('Created', { rowspan: 2, class: 'num' }), col('Resolved', { rowspan: 2, class: 'num' }),
          h('th', { scope: 'colgroup', colspan: 2, class: 'group' }, 'First response'),
          h('th', { scope: 'colgroup', colspan: 2, class: 'group' }, 'Resolution'),
          col('SLA breaches', { rowspan: 2, class: 'num' })),
        h('tr', {},
          col('median', { class: 'num', 'aria-label': 'First response, median' }), col('p90', { class: 'num', 'aria-label': 'First response, 90th percentile' }),
          col('median', { class: 'num', 'aria-label': 'Resolution, median' }), col('p90', { class: 'num', 'aria-label': 'Resolution, 90th percentile' }))),
      h('tbody', {}, rows.map((g) => h('tr', { dataset: { key: g.key ?? '' } },
        h('th', { scope: 'row' }, labelOf(g)),
        h('td', { class: 'num' }, String(g.created)),
        h('td', { class: 'num' }, String(g.resolved)),
        h('td', { class: 'num' }, duration(g.first_response.median_s)),
        h('td', { class: 'num' }, duration(g.first_response.p90_s)),
        h('td', { class: 'num' }, duration(g.resolution.median_s)),
        h('td', { class: 'num' }, duration(g.resolution.p90_s)),
        h('td', { class: 'num' }, String(g.sla_breaches)))))));
}

function totals(t) {
  const card = (key, label, value) => h('div', { class: `stat stat-${key}`, dataset: { total: key } },
    h('span', { class: 'value' }, value), h('span', { class: 'label' }, label));
  return h('div', { class: 'stats' },
    card('created', 'Created', String(t.created)),
    card('resolved', 'Resolved', String(t.resolved)),
    card('first_response', 'First response, median', duration(t.first_response.median_s)),
    card('resolution', 'Resolution, median', duration(t.resolution.median_s)),
    card('sla_breaches', 'SLA breaches', String(t.sla_breaches)));
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** The charts' x values: each day's start, in seconds (uPlot's time scale). */
function dayTimes(groups) {
  return groups.map((g) => Date.parse(`${g.key}T00:00:00Z`) / 1000);
}

/** The y axis of a duration chart: hours when the largest value is 2 h or more, else minutes. */
function durationUnit(values) {
  const max = Math.max(0, ...values.filter((v) => v != null));
  return max >= 7200 ? { div: 3600, name: 'hours' } : { div: 60, name: 'minutes' };
}

function chartWidth(el) {
  return Math.max(280, Math.floor(el.getBoundingClientRect().width || el.parentElement.clientWidth || 600));
}

/** One chart in a figure whose caption says what it shows; the tables below hold its figures. */
function chartFigure(id, title, summary) {
  const plot = h('div', { class: 'chart', role: 'img', 'aria-label': `${title}. ${summary}`, dataset: { chart: id } });
  return { plot, figure: h('figure', { class: 'chart-figure' }, h('figcaption', {}, h('strong', {}, title), ' ', h('span', { class: 'muted' }, summary)), plot) };
}

function drawCharts(uPlot, byDay, holder) {
  const groups = byDay.groups;
  const xs = dayTimes(groups);
  const accent = cssVar('--accent') || '#2456c7';
  const green = cssVar('--green-text') || '#17603a';
  const amber = cssVar('--amber-text') || '#7a4b00';
  const red = cssVar('--red-text') || '#9b1c1c';
  const days = groups.length;
  const charts = [];
  const axes = (yLabel, fmt) => [
    { space: 60, values: (u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' })) },
    { label: yLabel, size: 50, values: (u, ticks) => ticks.map(fmt) },
  ];
  const common = (width) => ({ width, height: 240, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'), legend: { show: true }, cursor: { drag: { x: false, y: false } } });
  const bars = uPlot.paths.bars;

  const counts = chartFigure('counts', 'Tickets created and resolved per day',
    `${byDay.total.created} created and ${byDay.total.resolved} resolved over ${days} days; the table "Per day" below lists every day.`);
  const fr = byDay.groups.map((g) => [g.first_response.median_s, g.first_response.p90_s]);
  const res = byDay.groups.map((g) => [g.resolution.median_s, g.resolution.p90_s]);
  const frUnit = durationUnit(fr.flat());
  const resUnit = durationUnit(res.flat());
  const firstResponse = chartFigure('first-response', 'Time to first response per day (median and 90th percentile)',
    `Over the range: median ${duration(byDay.total.first_response.median_s)}, p90 ${duration(byDay.total.first_response.p90_s)}.`);
  const resolution = chartFigure('resolution', 'Time to resolution per day (median and 90th percentile)',
    `Over the range: median ${duration(byDay.total.resolution.median_s)}, p90 ${duration(byDay.total.resolution.p90_s)}.`);
  replace(holder, counts.figure, firstResponse.figure, resolution.figure);

  const intFmt = (v) => (Number.isInteger(v) ? String(v) : '');
  charts.push(new uPlot({
    ...common(chartWidth(counts.plot)),
    axes: axes('tickets', intFmt),
    scales: { y: { range: (u, min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
    series: [{},
      { label: 'Created', stroke: accent, fill: `${accent}cc`, width: 1, paths: bars({ size: [0.4, 40], align: -1 }), points: { show: false } },
      { label: 'Resolved', stroke: green, fill: `${green}cc`, width: 1, paths: bars({ size: [0.4, 40], align: 1 }), points: { show: false } }],
  }, [xs, groups.map((g) => g.created), groups.map((g) => g.resolved)], counts.plot));

  const durationChart = (fig, rows, unit, medianColor, p90Color) => new uPlot({
    ...common(chartWidth(fig.plot)),
    axes: axes(unit.name, (v) => String(+v.toFixed(1))),
    scales: { y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] } },
    series: [{},
      { label: 'Median', stroke: medianColor, width: 2, points: { show: true, size: 6 }, value: (u, v) => (v == null ? '—' : `${+v.toFixed(1)} ${unit.name}`) },
      { label: 'p90', stroke: p90Color, width: 2, dash: [6, 4], points: { show: true, size: 6 }, value: (u, v) => (v == null ? '—' : `${+v.toFixed(1)} ${unit.name}`) }],
  }, [xs, rows.map((r) => (r[0] == null ? null : r[0] / unit.div)), rows.map((r) => (r[1] == null ? null : r[1] / unit.div))], fig.plot);
  charts.push(durationChart(firstResponse, fr, frUnit, accent, amber));
  charts.push(durationChart(resolution, res, resUnit, green, red));
  return charts;
}

/** Admin/Support/Reports. */
export async function reports({ main }) {
  if (!document.querySelector(`link[href="${UPLOT_CSS}"]`)) {
    document.head.append(h('link', { rel: 'stylesheet', href: UPLOT_CSS }));
  }
  const params = new URLSearchParams(location.search);
  const range = { ...defaultRange(), ...(params.get('from') ? { from: params.get('from') } : {}), ...(params.get('to') ? { to: params.get('to') } : {}) };

  const from = h('input', { id: 'r-from', name: 'from', type: 'date', value: range.from, required: true });
  const to = h('input', { id: 'r-to', name: 'to', type: 'date', value: range.to, required: true });
  const preset = (days) => h('button', {
    type: 'button',
    class: 'preset small',
    onclick: () => { const r = defaultRange(days); from.value = r.from; to.value = r.to; form.requestSubmit(); },
  }, `Last ${days} days`);
  const form = h('form', { class: 'filters report-range', 'aria-label': 'Report range' },
    h('div', { class: 'field' }, h('label', { for: 'r-from' }, 'From'), from, h('span', { class: 'field-error', dataset: { errorFor: 'from' } })),
    h('div', { class: 'field' }, h('label', { for: 'r-to' }, 'To (included)'), to, h('span', { class: 'field-error', dataset: { errorFor: 'to' } })),
    h('button', { type: 'submit' }, 'Show'),
    h('div', { class: 'presets', role: 'group', 'aria-label': 'Quick ranges' }, preset(7), preset(30), preset(90)),
    h('p', { class: 'form-error', role: 'alert' }));
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const content = h('div', { class: 'report' });
  replace(main, h('h1', {}, 'Reports'),
    h('p', { class: 'muted' }, 'Days are UTC days. Times are nearest-rank medians and 90th percentiles.'),
    form, status, content);

  let charts = [];
  const load = async () => {
    const r = { from: from.value, to: to.value };
    for (const el of form.querySelectorAll('[data-error-for]')) el.textContent = '';
    form.querySelector('.form-error').textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    status.textContent = 'Loading…';
    let byDay; let byAgent; let byCategory; let uPlot;
    try {
      [byDay, byAgent, byCategory, { default: uPlot }] = await Promise.all([
        api('GET', `${PATH}?${query(r, 'day')}`),
        api('GET', `${PATH}?${query(r, 'agent')}`),
        api('GET', `${PATH}?${query(r, 'category')}`),
        import(UPLOT),
      ]);
    } catch (e) {
      status.textContent = '';
      const fields = e.errors || {};
      for (const [field, messages] of Object.entries(fields)) {
        const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
        if (slot) slot.textContent = messages.join(' ');
        form.elements[field]?.setAttribute('aria-invalid', 'true');
      }
      if (!Object.keys(fields).length) replace(content, failureNotice(e, load));
      return;
    }
    history.replaceState(null, '', `${location.pathname}?${new URLSearchParams(r)}`);
    status.textContent = `${byDay.from} to ${byDay.to} (UTC)`;
    for (const c of charts) c.destroy();
    const chartsHolder = h('div', { class: 'charts' });
    replace(content,
      totals(byDay.total),
      h('div', { class: 'downloads' }, csvLink(r, 'day', 'Download CSV (per day)'), ' ',
        csvLink(r, 'agent', 'CSV per agent'), ' ', csvLink(r, 'category', 'CSV per category')),
      chartsHolder,
      h('h2', {}, 'Per agent'),
      figuresTable('Figures per agent (the assignee)', 'Agent', byAgent.groups),
      h('h2', {}, 'Per category'),
      figuresTable('Figures per category', 'Category', byCategory.groups, (g) => LABELS.category[g.key] || g.label),
      h('h2', {}, 'Per day'),
      figuresTable('Figures per day (UTC): the charts above as a table', 'Day', byDay.groups));
    charts = drawCharts(uPlot, byDay, chartsHolder);
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const c of charts) c.setSize({ width: chartWidth(c.root.parentElement), height: 240 });
    }, 150);
  });
  await load();
}
