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
  datasetImport: 'medqa.dataset.import',
  datasetRefresh: 'medqa.dataset.refresh',
  datasetRemoveSource: 'medqa.dataset.removeSource',
  datasetFindDuplicates: 'medqa.dataset.findDuplicates',
  datasetSplit: 'medqa.dataset.split',
  datasetExport: 'medqa.dataset.export',
  datasetShowPanel: 'medqa.dataset.showPanel',
  datasetShowImportReport: 'medqa.dataset.showImportReport',
  datasetSearch: 'medqa.dataset.search',
  datasetOpenPair: 'medqa.dataset.openPair',
  datasetEditPair: 'medqa.dataset.editPair',
  datasetFlag: 'medqa.dataset.flag',
  datasetUnflag: 'medqa.dataset.unflag',
  datasetExclude: 'medqa.dataset.exclude',
  datasetInclude: 'medqa.dataset.include',
  datasetNote: 'medqa.dataset.note',
  datasetRevert: 'medqa.dataset.revert',
  datasetUndo: 'medqa.dataset.undo',
  datasetGroupByCollection: 'medqa.dataset.groupByCollection',
  datasetGroupByQtype: 'medqa.dataset.groupByQtype',
  datasetGroupBySplit: 'medqa.dataset.groupBySplit',
  evaluationEvaluateCheckpoint: 'medqa.evaluation.evaluateCheckpoint',
  evaluationShowMetrics: 'medqa.evaluation.showMetrics',
  evaluationOpenPredictions: 'medqa.evaluation.openPredictions',
  evaluationExportMetrics: 'medqa.evaluation.exportMetrics',
  gradingGradeAnswers: 'medqa.grading.gradeAnswers',
  gradingOpenAnswers: 'medqa.grading.openAnswers',
  gradingSetGrade: 'medqa.grading.setGrade',
  gradingSetFlags: 'medqa.grading.setFlags',
  gradingCompareWithReference: 'medqa.grading.compareWithReference',
  gradingCompareBaseVsFineTuned: 'medqa.grading.compareBaseVsFineTuned',
  gradingExportGrades: 'medqa.grading.exportGrades',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];

export const allCommandIds: readonly CommandId[] = Object.values(Commands);
