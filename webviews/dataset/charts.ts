// Chart.js set-up for the dataset panel: bar charts in theme colours, updated in place, and the histogram's
// max_length marker (a small plugin: a dashed vertical line at the cut with its label).
import { Chart, type Plugin } from 'chart.js';
import { CHART_BASE, chartColor, registerBarCharts } from '../shared/charts';
import { themeColor } from '../shared/host';

registerBarCharts();

export interface Palette {
  foreground: string;
  muted: string;
  grid: string;
  blue: string;
  green: string;
  yellow: string;
  red: string;
  purple: string;
  orange: string;
}

export function palette(): Palette {
  return {
    foreground: themeColor('--vscode-foreground', '#cccccc'),
    muted: themeColor('--vscode-descriptionForeground', '#9d9d9d'),
    grid: themeColor('--vscode-editorWidget-border', '#80808040'),
    blue: chartColor('blue'),
    green: chartColor('green'),
    yellow: chartColor('yellow'),
    red: chartColor('red'),
    purple: chartColor('purple'),
    orange: chartColor('orange'),
  };
}

/** Where the cut falls, as a fractional category index (bins are [start, end)). */
export interface CutMarker {
  index: number;
  label: string;
}

const cutLine: Plugin<'bar'> = {
  id: 'medqaCut',
  afterDatasetsDraw(chart) {
    const marker = (chart.options.plugins as { medqaCut?: CutMarker & { color: string } }).medqaCut;
    const x = chart.scales.x;
    if (!marker || !x || chart.data.labels === undefined) return;
    const count = chart.data.labels.length;
    if (count === 0) return;
    const width = (x.right - x.left) / count;
    const position = x.left + marker.index * width;
    const { ctx, chartArea } = chart;
    ctx.save();
    ctx.strokeStyle = marker.color;
    ctx.fillStyle = marker.color;
    ctx.lineWidth = 2;
    ctx.setLineDash([6, 4]);
    ctx.beginPath();
    ctx.moveTo(position, chartArea.top);
    ctx.lineTo(position, chartArea.bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.font = `12px ${getComputedStyle(document.body).fontFamily}`;
    const textWidth = ctx.measureText(marker.label).width;
    const left = position + 6 + textWidth > chartArea.right ? position - 6 - textWidth : position + 6;
    ctx.fillText(marker.label, left, chartArea.top + 14);
    ctx.restore();
  },
};
Chart.register(cutLine);

export interface BarSeries {
  label: string;
  data: number[];
  color: string;
}

const charts = new Map<string, Chart<'bar'>>();

/** Creates or updates the bar chart on `canvas` (keyed by its id); no animation, so updates do not flicker. */
export function barChart(
  canvas: HTMLCanvasElement,
  labels: string[],
  series: BarSeries[],
  options: {
    horizontal?: boolean;
    stacked?: boolean;
    xTitle?: string;
    yTitle?: string;
    cut?: CutMarker;
  } = {},
): void {
  const colors = palette();
  const datasets = series.map((s) => ({
    label: s.label,
    data: s.data,
    backgroundColor: s.color,
    borderWidth: 0,
  }));
  const axis = (title: string | undefined, stacked: boolean) => ({
    stacked,
    ticks: { color: colors.muted, autoSkip: true },
    grid: { color: colors.grid },
    title: { display: title !== undefined, text: title ?? '', color: colors.muted },
  });
  const existing = charts.get(canvas.id);
  if (existing && existing.canvas === canvas) {
    existing.data.labels = labels;
    existing.data.datasets = datasets;
    (existing.options.plugins as Record<string, unknown>).medqaCut = options.cut && {
      ...options.cut,
      color: colors.red,
    };
    existing.update('none');
    return;
  }
  existing?.destroy();
  const chart = new Chart(canvas, {
    type: 'bar',
    data: { labels, datasets },
    options: {
      ...CHART_BASE,
      indexAxis: options.horizontal ? 'y' : 'x',
      scales: {
        x: axis(options.xTitle, Boolean(options.stacked)),
        y: axis(options.yTitle, Boolean(options.stacked)),
      },
      plugins: {
        legend: { display: series.length > 1, labels: { color: colors.foreground } },
        tooltip: { mode: 'index', intersect: false },
        ...(options.cut ? { medqaCut: { ...options.cut, color: colors.red } } : {}),
      } as Record<string, unknown>,
    },
  });
  charts.set(canvas.id, chart);
}

/** Charts read theme colours when drawn: rebuild them all after a theme change. */
export function onThemeChange(redraw: () => void): void {
  new MutationObserver(() => {
    charts.forEach((chart) => chart.destroy());
    charts.clear();
    redraw();
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}
