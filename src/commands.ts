/**
 * Every command id the extension registers, in one place. `package.json` must declare exactly these
 * (a unit test compares both directions), so a renamed command cannot silently lose its handler.
 */
export const Commands = {
  openWalkthrough: 'medqa.openWalkthrough',
  checkEnvironment: 'medqa.checkEnvironment',
  showLog: 'medqa.showLog',
  setupPython: 'medqa.setupPython',
  trainingTrain: 'medqa.training.train',
  trainingCancel: 'medqa.training.cancel',
  runsRefresh: 'medqa.runs.refresh',
  runsOpenDashboard: 'medqa.runs.openDashboard',
  runsRevealInExplorer: 'medqa.runs.revealInExplorer',
  runsOpenConfig: 'medqa.runs.openConfig',
  evaluationEvaluateCheckpoint: 'medqa.evaluation.evaluateCheckpoint',
  evaluationShowMetrics: 'medqa.evaluation.showMetrics',
  evaluationOpenPredictions: 'medqa.evaluation.openPredictions',
  evaluationExportMetrics: 'medqa.evaluation.exportMetrics',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];

export const allCommandIds: readonly CommandId[] = Object.values(Commands);
