/**
 * What the template tests check without packaging (this file never waits for osls): the ASL files against
 * asl-validator, and serverless.yml as written: the event patterns, the allowlists, the API throttling settings.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, STATE_MACHINES, allowlistPlugin, config } from '../support/template/stack.ts';

describe('state machine definitions', () => {
  it('every ASL file in statemachines/ is a state machine of lib/settings.ts, and passes asl-validator', () => {
    const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => {
      isValid: boolean;
      errorsText: (separator?: string) => string;
    };
    const files = readdirSync(join(ROOT, 'statemachines')).filter((file) => file.endsWith('.json'));
    expect(files.sort()).toEqual(
      Object.values(STATE_MACHINES)
        .map((m) => m.file)
        .sort(),
    );
    for (const file of files) {
      // the validator writes default QueryLanguage fields into what it is given: give it its own copy
      const { isValid, errorsText } = aslValidator(JSON.parse(readFileSync(join(ROOT, 'statemachines', file), 'utf8')));
      expect(isValid, `${file}: ${isValid ? '' : errorsText('\n')}`).toBe(true);
    }
  });
});

describe('serverless.yml: EventBridge', () => {
  it('keeps the serverless.yml shape emulator/eventbridge-rules.ts reads: every state machine rule refers to a custom pattern', () => {
    const references = Object.entries(config.stepFunctions.stateMachines).flatMap(([key, machine]) =>
      (machine.events ?? [])
        .filter((e) => e.eventBridge)
        .map((e) => [key, e.eventBridge!.event, e.eventBridge!.inputPath ?? e.eventBridge!.inputTransformer?.inputPathsMap.detail]),
    );
    expect(references).toEqual([
      ['abortUpload', '${self:custom.abortRequestedPattern}', '$.detail'],
      ['sweepUploads', '${self:custom.sweepRequestedPattern}', '$.detail'],
      ['abortAfterDeadline', '${self:custom.uploadCreatedPattern}', '$.detail'],
    ]);
  });

  it('requires bucket, key and uploadId in the abort request pattern', () => {
    expect(config.custom.abortRequestedPattern).toEqual({
      source: ['mpu-reaper'],
      'detail-type': ['Abort Multipart Upload Requested'],
      detail: { bucket: [{ exists: true }], key: [{ exists: true }], uploadId: [{ exists: true }] },
    });
    expect(config.custom.sweepRequestedPattern).toEqual({ source: ['mpu-reaper'], 'detail-type': ['Sweep Requested'] });
  });

  it("writes every stage's allowlist once, as allowedBuckets, and derives every other form from it in one place", () => {
    const stages = Object.entries(config.params).filter(([stage]) => stage !== 'default');
    expect(stages.length).toBeGreaterThan(0);
    for (const [stage, params] of stages) {
      expect(allowlistPlugin.parseAllowedBuckets(params.allowedBuckets, stage), stage).toEqual(params.allowedBuckets);
      expect(
        Object.keys(params).filter((key) => /bucket/i.test(key)),
        stage,
      ).toEqual(['allowedBuckets']);
    }
    const text = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
    // the param is read by the plugin alone; serverless.yml holds its forms once, as custom.allowlist
    expect(text).not.toMatch(/\$\{param:allowedBuckets/);
    expect(text.match(/\$\{allowlist:forms\}/g)).toHaveLength(1);
    expect((config.custom as Record<string, unknown>).allowlist).toBe('${allowlist:forms}');
    expect(config.plugins).toContain('./plugins/allowlist.cjs');
  });
});

describe('serverless.yml: a page a human reads', () => {
  it("is at most 400 lines: resources in included files, the functions' roles from one spec", () => {
    const text = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
    expect(text.split('\n').length).toBeLessThanOrEqual(400);
    const resources = (config as unknown as { resources: string[] }).resources;
    expect(
      resources.every((include) => /^\$\{file\(resources\/[a-z-]+\.yml\)\}$/.test(include)),
      resources.join(', '),
    ).toBe(true);
    expect((config.custom as Record<string, unknown>).functionRoles).toBe('${file(resources/function-roles.yml)}');
    expect(config.plugins).toContain('./plugins/function-roles.cjs');
  });
});

describe('serverless.yml: API', () => {
  it('configures custom.apiThrottling (50 requests/s, bursts of 100) and registers the plugin that applies it', () => {
    expect(config.custom.apiThrottling).toStrictEqual({ rateLimit: 50, burstLimit: 100 });
    expect(config.plugins).toContain('./plugins/api-stage-throttling.cjs');
  });
});
