import type { ExtensionServices } from '../../vscode/services';
import { registerCompareConfig } from './compareConfig';
import { registerDeleteRun } from './deleteRun';
import { registerRunMetaCommands } from './runMetaCommands';
import type { RunsFeature } from './runsFeature';

/** Rename, Tag, Delete, Remove from List and Compare Config for the items of the Runs view. */
export function registerRunActions(services: ExtensionServices, runs: RunsFeature): void {
  registerRunMetaCommands(services, runs.registry);
  registerDeleteRun(services, runs);
  registerCompareConfig(services, runs.registry);
}
