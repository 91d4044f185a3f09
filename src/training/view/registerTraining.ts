import { Commands } from '../../commands';
import type { RunsFeature } from '../../runs/view/runsFeature';
import type { ExtensionServices } from '../../vscode/services';
import { cancelTraining } from './cancelTraining';
import { registerResume } from './resumeRun';
import { submitToSlurm, type SubmitSlurmOptions } from './submitSlurm';
import { trainAdapter, type TrainCommandOptions } from './trainCommand';
import type { TrainingContext } from './trainingContext';
import { TrainingSessions } from './trainingSessions';

/** Train adapter, Submit to Slurm, Cancel Training and Resume Training, sharing the running trainers' sessions. */
export function registerTraining(services: ExtensionServices, runs: RunsFeature): TrainingSessions {
  const sessions = new TrainingSessions(services, runs);
  services.context.subscriptions.push(sessions);
  const context: TrainingContext = { services, runs, sessions };
  services.registerCommand(Commands.trainingTrain, (options?: TrainCommandOptions) =>
    trainAdapter(context, options),
  );
  services.registerCommand(Commands.trainingSubmitSlurm, (options?: SubmitSlurmOptions) =>
    submitToSlurm(context, options),
  );
  services.registerCommand(Commands.trainingCancel, (arg?: unknown) => cancelTraining(context, arg));
  registerResume(services, runs, sessions);
  return sessions;
}
