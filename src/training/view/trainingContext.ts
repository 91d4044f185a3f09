import type { RunsFeature } from '../../runs/view/runsFeature';
import type { ExtensionServices } from '../../vscode/services';
import type { TrainingSessions } from './trainingSessions';

/** What the training commands share: the extension's services, the runs feature and the running trainers. */
export interface TrainingContext {
  readonly services: ExtensionServices;
  readonly runs: RunsFeature;
  readonly sessions: TrainingSessions;
}
