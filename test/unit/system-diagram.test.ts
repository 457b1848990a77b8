import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README, readmeWithSystemDiagram, systemDiagram } from '../../tools/system-diagram.ts';
import { type SystemDefinitions, loadSystemDefinitions } from '../../tools/system-definitions.ts';

/** the definitions of the repository with one more function and one more state machine, as a change would add them */
function withAdditions(): SystemDefinitions {
  const defs = loadSystemDefinitions();
  return {
    ...defs,
    functions: {
      ...defs.functions,
      exportRecords: { handler: 'functions/export-records.handler', events: [{ http: { path: 'exports', method: 'post' } }] },
      purgeStep: { handler: 'functions/purge-step.handler' },
      // no route, no rule, no machine invokes it: drawn on its own
      compactRecords: { handler: 'functions/compact-records.handler' },
    },
    functionRoles: {
      ...defs.functionRoles,
      exportRecords: [{ allow: 'states:StartExecution', on: { Ref: PURGE_ID } }],
      purgeStep: [{ allow: 'dynamodb:DeleteItem', on: { 'Fn::GetAtt': ['RecordsTable', 'Arn'] } }],
    },
    stateMachines: {
      ...defs.stateMachines,
      purgeRecords: {
        id: PURGE_ID,
        name: 'purge-records',
        events: [{ eventBridge: { pattern: { source: ['mpu-reaper'], 'detail-type': ['Purge Requested'] } } }],
        definition: {
          States: {
            Purge: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: '${PurgeStepFunctionArn}' } },
            Sweep: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2', Parameters: { StateMachineArn: '${SweepArn}' } },
            Tag: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:s3:putObjectTagging', Parameters: { Bucket: '$.bucket' } },
          },
        },
      },
    },
    substitutions: {
      ...defs.substitutions,
      [PURGE_ID]: { PurgeStepFunctionArn: { 'Fn::GetAtt': ['PurgeStepLambdaFunction', 'Arn'] }, SweepArn: { Ref: 'SweepUploadsStateMachine' } },
    },
  };
}
const PURGE_ID = 'PurgeRecordsStateMachine';

describe('the system picture in README.md', () => {
  it('matches the definitions (run `npm run diagrams` after changing serverless.yml, resources/ or an ASL file)', () => {
    const text = readFileSync(README, 'utf8');
    expect(readmeWithSystemDiagram(text)).toBe(text);
  });

  it('draws every trigger, machine, Lambda and store of the repository, within ~40 lines', () => {
    // Act
    const drawing = systemDiagram(loadSystemDefinitions());

    // Assert
    const fragments = [
      'api["HTTP API"] -->|"POST /aborts"| abortUpload',
      'cli["npx mpu-reaper"] -->|"StartExecution"| abortUpload & sweepUploads',
      '-->|"if stage param deadlines"| abortAfterDeadline',
      'schedule -->|"stage param debtScanSchedule"| fn_debtScan["debt-scan"]',
      'abortUpload & sweepUploads -.->|"ABORTED, TIMED_OUT, FAILED"| fn_recordInterruptedRun',
      'sweepTarget -->|"Hand over"| abortUpload',
      'sweepPage & sweepTarget & sweepUploads --> fns_sweepRecord["sweep-record"]',
      'sweepUploads -.->|"PutItem"| RecordsTable',
    ];
    for (const fragment of fragments) expect(drawing).toContain(fragment);
    for (const machine of Object.values(loadSystemDefinitions().stateMachines)) expect(drawing).toContain(`["${machine.name}`);
    expect(drawing.split('\n').length).toBeLessThanOrEqual(44);
  });

  it('draws a function and a state machine added to the definitions, with their triggers and calls', () => {
    // Act
    const drawing = systemDiagram(withAdditions());

    // Assert
    const fragments = [
      'api -->|"POST /exports"| purgeRecords',
      'purgeRecords["purge-records"]',
      '-->|"Purge Requested"| purgeRecords',
      'purgeRecords -->|"Sweep"| sweepUploads',
      'purgeRecords --> fns_purgeStep["purge-step"]',
      '  fn_compactRecords["compact-records"]\n',
      'fns_purgeStep --> RecordsTable',
      'purgeRecords -.->|"PutObjectTagging"| s3',
    ];
    for (const fragment of fragments) expect(drawing).toContain(fragment);
  });

  it('refuses a Lambda Task whose function is no function of serverless.yml', () => {
    // Arrange
    const defs = withAdditions();
    defs.substitutions[PURGE_ID] = { ...defs.substitutions[PURGE_ID], PurgeStepFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:elsewhere' };

    // Act, Assert
    expect(() => systemDiagram(defs)).toThrow('purge-records.asl.json, state "Purge": FunctionName names no function of serverless.yml');
  });
});
