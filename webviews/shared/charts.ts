// Chart.js set-up shared by the panels that draw charts (metrics, run dashboard, run comparison, dataset): the
// theme's chart colours, registering what a panel draws, and the options every chart of ours starts from.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartComponentLike,
} from 'chart.js';
import { themeColor } from './host';

/** The theme's chart colours (`--vscode-charts-*`), each with VS Code's dark-theme value for when it is unset. */
export const CHART_COLORS = {
  blue: ['--vscode-charts-blue', '#3794ff'],
  orange: ['--vscode-charts-orange', '#d18616'],
  green: ['--vscode-charts-green', '#89d185'],
  purple: ['--vscode-charts-purple', '#b180d7'],
  red: ['--vscode-charts-red', '#f14c4c'],
  yellow: ['--vscode-charts-yellow', '#cca700'],
} as const satisfies Record<string, readonly [string, string]>;

export type ChartColorName = keyof typeof CHART_COLORS;

/** A chart colour as the theme has it now (read when a chart is drawn: a theme change needs a redraw). */
export function chartColor(name: ChartColorName): string {
  const [variable, fallback] = CHART_COLORS[name];
  return themeColor(variable, fallback);
}

/** Axis text and grid lines in the theme's foreground and panel border. */
export interface AxisColors {
  text: string;
  grid: string;
}

export function axisColors(): AxisColors {
  return {
    text: themeColor('--vscode-foreground', '#ccc'),
    grid: themeColor('--vscode-panel-border', '#8884'),
  };
}

/** Ticks and grid in the axis colours, and a title when one is given. */
export function themedScale(colors: AxisColors, title?: string) {
  return {
    ...(title === undefined ? {} : { title: { display: true, text: title, color: colors.text } }),
    ticks: { color: colors.text },
    grid: { color: colors.grid },
  };
}

/** What every chart of ours starts from: drawn at once (updates do not flicker), sized by its container. */
export const CHART_BASE = { animation: false, responsive: true, maintainAspectRatio: false } as const;

/** Bar charts over categories with a legend and tooltips (the metrics and dataset panels). */
export function registerBarCharts(...extra: ChartComponentLike[]): void {
  Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip, ...extra);
}

/** Line charts over numbers, linear or logarithmic, with tooltips (the dashboard and the run comparison). */
export function registerLineCharts(...extra: ChartComponentLike[]): void {
  Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, ...extra);
}
