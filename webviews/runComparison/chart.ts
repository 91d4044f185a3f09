// The overlay chart of the run comparison: train loss (raw, and smoothed when smoothing is on) and validation loss
// of every compared run, on one x axis. Zoom with the wheel (Ctrl) or by dragging a box, pan with Shift+drag; the
// host sends every logged point inside a zoomed range, so hovering a zoomed-in curve shows exact values.
import { Chart, type ChartDataset, type TooltipItem } from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';
import type { ComparedRun, ComparisonXAxis, RunComparisonState } from '../../src/protocol/runComparison';
import {
  axisColors,
  CHART_BASE,
  chartColor,
  registerLineCharts,
  themedScale,
  type ChartColorName,
} from '../shared/charts';
import { pointRadii } from '../shared/pointMarkers';

registerLineCharts(zoomPlugin);

type Point = { x: number; y: number };
type LineChart = Chart<'line', Point[]>;

const PALETTE: readonly ChartColorName[] = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'];
const EXTRA = ['#4dc9f6', '#f67019', '#f53794', '#537bc4', '#acc236', '#166a8f', '#00a950', '#8549ba'];

/** A run's colour, from its position among the compared runs (theme chart colours first). */
export function runColor(index: number): string {
  const themed = PALETTE[index];
  return themed ? chartColor(themed) : EXTRA[(index - PALETTE.length) % EXTRA.length];
}

export const AXIS_TITLES: Record<ComparisonXAxis, string> = {
  step: 'step',
  epoch: 'epoch',
  tokens: 'tokens seen (estimated)',
};

/** `#rrggbb` or `rgb(r, g, b)` made translucent (canvas strokes do not take color-mix()). */
function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(color.trim());
  if (hex) {
    const n = parseInt(hex[1], 16);
    return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const rgb = /^rgba?\(([^,]+),([^,]+),([^,)]+)/i.exec(color.trim());
  return rgb ? `rgba(${rgb[1]}, ${rgb[2]}, ${rgb[3]}, ${alpha})` : color;
}

function points(x: readonly number[], y: readonly number[]): Point[] {
  return x.map((value, i) => ({ x: value, y: y[i] }));
}

/** Dataset identity: `<run dir>\n<curve>`, so live updates replace data in place. */
function datasetsOf(run: ComparedRun, index: number): ChartDataset<'line', Point[]>[] {
  const color = runColor(index);
  const smoothed = run.curves.smoothed;
  const train = points(run.curves.train.x, run.curves.train.y);
  const sets: ChartDataset<'line', Point[]>[] = [
    {
      label: `${run.name} · train${smoothed ? ' (raw)' : ''}`,
      data: train,
      borderColor: smoothed ? withAlpha(color, 0.3) : color,
      backgroundColor: color,
      borderWidth: smoothed ? 1 : 1.5,
      // A run that logged one loss has no line to draw: its point gets a marker, or the run is invisible.
      pointRadius: pointRadii(train, 0),
      pointHoverRadius: 3,
      tension: 0,
    },
  ];
  if (smoothed) {
    const line = points(smoothed.x, smoothed.y);
    sets.push({
      label: `${run.name} · train (smoothed)`,
      data: line,
      borderColor: color,
      backgroundColor: color,
      borderWidth: 2,
      pointRadius: pointRadii(line, 0),
      pointHoverRadius: 3,
      tension: 0,
    });
  }
  sets.push({
    label: `${run.name} · val`,
    data: points(run.curves.validation.x, run.curves.validation.y),
    borderColor: color,
    backgroundColor: color,
    borderDash: [6, 4],
    borderWidth: 2,
    pointRadius: 3,
    pointHoverRadius: 5,
    tension: 0,
  });
  return sets;
}

function format(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(4)).toString();
}

export interface ComparisonChart {
  update(state: RunComparisonState, hidden: ReadonlySet<string>, logScale: boolean): void;
  setLogScale(logScale: boolean): void;
  resetZoom(): void;
  destroy(): void;
}

/**
 * Creates the chart on `canvas`. `onRange` gets the visible x range after the user zooms or pans (null after a
 * reset), so the host can send the points inside it at full resolution.
 */
export function createComparisonChart(
  canvas: HTMLCanvasElement,
  onRange: (range: [number, number] | null) => void,
): ComparisonChart {
  const colors = axisColors();
  let axis: ComparisonXAxis = 'step';
  let runDirs: string[] = [];
  let first = true;
  const reportRange = ({ chart }: { chart: Chart }) => {
    const x = chart.scales.x;
    onRange(chart.isZoomedOrPanned() ? [x.min, x.max] : null);
  };
  const chart: LineChart = new Chart<'line', Point[]>(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      ...CHART_BASE,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items: TooltipItem<'line'>[]) =>
              items.length ? `${AXIS_TITLES[axis]} ${format(items[0].parsed.x ?? NaN)}` : '',
            label: (item: TooltipItem<'line'>) =>
              `${item.dataset.label ?? ''}: ${format(item.parsed.y ?? NaN)}`,
            footer: () => (axis === 'tokens' ? 'tokens/s × time between logged steps' : ''),
          },
        },
        zoom: {
          zoom: {
            wheel: { enabled: true, modifierKey: 'ctrl' },
            drag: { enabled: true, threshold: 8 },
            pinch: { enabled: true },
            mode: 'xy',
            onZoomComplete: reportRange,
          },
          pan: { enabled: true, modifierKey: 'shift', mode: 'xy', onPanComplete: reportRange },
        },
      },
      scales: {
        x: { type: 'linear', ...themedScale(colors, AXIS_TITLES.step) },
        y: { type: 'linear', ...themedScale(colors, 'loss') },
      },
    },
  });

  const setLogScale = (logScale: boolean) => {
    const y = chart.options.scales?.y;
    if (y) y.type = logScale ? 'logarithmic' : 'linear';
  };

  return {
    update(state, hidden, logScale) {
      const changedAxis = axis !== state.view.xAxis;
      axis = state.view.xAxis;
      const dirs = state.runs.map((run) => run.dir);
      const sets = state.runs.flatMap((run, index) =>
        datasetsOf(run, index).map((set) => ({ ...set, hidden: hidden.has(run.dir) })),
      );
      const sameShape =
        dirs.join('\n') === runDirs.join('\n') &&
        sets.length === chart.data.datasets.length &&
        sets.every((set, i) => set.label === chart.data.datasets[i].label);
      if (sameShape) sets.forEach((set, i) => Object.assign(chart.data.datasets[i], set));
      else chart.data.datasets = sets;
      runDirs = dirs;
      const x = chart.options.scales?.x;
      if (x?.title) x.title.text = AXIS_TITLES[axis];
      setLogScale(logScale);
      // The app owns the zoom (a state sent before the host saw a zoom must not undo it); a reloaded panel
      // starts zoomed to the range the host remembers.
      if (changedAxis && !first) chart.resetZoom('none');
      chart.update('none');
      if (first && state.view.range) {
        chart.zoomScale('x', { min: state.view.range[0], max: state.view.range[1] }, 'none');
      }
      first = false;
    },
    setLogScale(logScale) {
      setLogScale(logScale);
      chart.update('none');
    },
    resetZoom() {
      chart.resetZoom('none');
      onRange(null);
    },
    destroy() {
      chart.destroy();
    },
  };
}
