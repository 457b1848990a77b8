/**
 * The state names code depends on (waits shortened in tests and the demo, progress displays, history checks), held once.
 * test/unit/state-names.test.ts checks that each names a state of its definition.
 */
export const ABORT_UPLOAD_STATES = {
  prepareRun: 'Prepare run',
  abortUpload: 'Abort upload',
  abortUploadRequesterPays: 'Abort upload (requester pays)',
  abortUploadIfInitiated: 'Abort upload (if initiated then)',
  waitForInFlightParts: 'Wait for in-flight parts',
  checkForRemainingParts: 'Check for remaining parts',
  recordOutcome: 'Record outcome',
  anotherRunOwnsThisUpload: 'Another run owns this upload',
  alreadyRecorded: 'Already recorded',
} as const;

export const ABORT_AFTER_DEADLINE_STATES = {
  waitForTheDeadline: 'Wait for the deadline',
} as const;

/** the abort Task states (one per combination of optional parameters): each entry is one abort sent */
export const isAbortState = (name: string | undefined) => name?.startsWith(ABORT_UPLOAD_STATES.abortUpload) === true;
