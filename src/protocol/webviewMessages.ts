/**
 * The one typed contract between the extension host and its webview apps (types only: both sides import it).
 * Each panel adds an entry to `PanelProtocols`: the full state the host sends after `ready` and on every change,
 * the extra messages the host may send, and the messages the app sends back.
 */
import type { DatasetPanelMessage, DatasetPanelRequest, DatasetPanelState } from './datasetPanel';
import type { GradingPanelRequest, GradingPanelState } from './gradingPanel';
import type { MetricsPanelRequest, MetricsPanelState } from './metricsPanel';
import type { PlaygroundMessage, PlaygroundRequest, PlaygroundState } from './playground';
import type { RunDashboardRequest, RunDashboardState } from './runDashboard';
import type { RunComparisonRequest, RunComparisonState } from './runComparison';

export interface PanelProtocols {
  runDashboard: { state: RunDashboardState; toHost: RunDashboardRequest };
  dataset: { state: DatasetPanelState; toWebview: DatasetPanelMessage; toHost: DatasetPanelRequest };
  metrics: { state: MetricsPanelState; toHost: MetricsPanelRequest };
  grading: { state: GradingPanelState; toHost: GradingPanelRequest };
  runComparison: { state: RunComparisonState; toHost: RunComparisonRequest };
  playground: { state: PlaygroundState; toWebview: PlaygroundMessage; toHost: PlaygroundRequest };
}

export type PanelId = keyof PanelProtocols & string;

type Field<Id extends PanelId, K extends string> = PanelProtocols[Id] extends Record<K, infer T> ? T : never;

type Message = { type: string };

export type PanelState<Id extends PanelId> = Field<Id, 'state'>;

export type HostToWebview<Id extends PanelId> =
  { type: 'state'; state: PanelState<Id> } | (Field<Id, 'toWebview'> & Message);

/** Messages the app sends besides `ready`. */
export type PanelRequest<Id extends PanelId> = Field<Id, 'toHost'> & Message;

export type WebviewToHost<Id extends PanelId> = { type: 'ready' } | PanelRequest<Id>;
