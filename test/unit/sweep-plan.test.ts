import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_SETTINGS } from '../../lib/sweep/state.ts';
import { cutoffFor, InvalidSweepRequest, parseAge, planSweep, planSweepRun, validateSweepRequest } from '../../lib/sweep/plan.ts';
import { SWEEP_SETTINGS_DEFAULTS } from '../../lib/settings.ts';

describe('parseAge', () => {
  it.each([
    ['90s', 90],
    ['30m', 1_800],
    ['24h', 86_400],
    ['7d', 604_800],
    ['1d12h', 129_600],
    ['0m', 0],
    ['36500d', 3_153_600_000],
  ])('%s = %i seconds', (text, seconds) => {
    expect(parseAge(text)).toBe(seconds);
  });

  it.each(['', '24', 'h', '1.5h', '-1d', '1w', '24 h', 'yesterday'])('refuses %j', (text) => {
    expect(parseAge(text)).toBeUndefined();
  });
});

describe('cutoffFor', () => {
  const start = new Date('2026-03-01T00:10:00.750Z');

  it.each([
    ['30m', '2026-02-28T23:40:00.000Z'],
    ['24h', '2026-02-28T00:10:00.000Z'],
    ['1d', '2026-02-28T00:10:00.000Z'],
    ['7d', '2026-02-22T00:10:00.000Z'],
    ['90s', '2026-03-01T00:08:30.000Z'],
  ])('olderThan %s from %s crosses months correctly', (olderThan, cutoff) => {
    // Act / Assert: second precision, the start's milliseconds dropped
    expect(cutoffFor(start, parseAge(olderThan)!)).toBe(cutoff);
  });

  it('steps over a leap day', () => {
    expect(cutoffFor(new Date('2028-03-01T12:00:00Z'), parseAge('1d')!)).toBe('2028-02-29T12:00:00.000Z');
  });

  it('an upload initiated exactly at the cutoff is not old enough (strictly before)', () => {
    // the state machine compares with TimestampLessThanPath; ISO strings of the same shape compare as times do
    const cutoff = cutoffFor(start, 1800);
    expect('2026-02-28T23:40:00.000Z' < cutoff).toBe(false);
    expect('2026-02-28T23:39:59.999Z' < cutoff).toBe(true);
  });
});

describe('planSweep', () => {
  it('plans every target with its cutoff, defaults and the trigger', () => {
    // Act
    const plan = planSweep(
      {
        targets: [
          { bucket: 'data-lake', olderThan: '24h' },
          { bucket: 'logs-b', prefix: 'tmp/', olderThan: '30m', expectedBucketOwner: '111122223333' },
        ],
        force: true,
        trigger: 'schedule',
      },
      new Date('2026-11-22T12:00:00Z'),
    );

    // Assert
    expect(plan).toEqual({
      targets: [
        { bucket: 'data-lake', prefix: '', olderThan: '24h', olderThanSeconds: 86_400, cutoff: '2026-11-21T12:00:00.000Z' },
        {
          bucket: 'logs-b',
          prefix: 'tmp/',
          olderThan: '30m',
          olderThanSeconds: 1_800,
          cutoff: '2026-11-22T11:30:00.000Z',
          expectedBucketOwner: '111122223333',
        },
      ],
      dryRun: false,
      measure: true,
      maxUploads: 100_000,
      trigger: 'schedule',
      startedAt: '2026-11-22T12:00:00.000Z',
      expiresAt: Date.parse('2026-11-22T12:00:00Z') / 1000 + 90 * 86_400,
      // a sweep that lists its targets applies no plan
      planId: '',
    });
  });

  it.each([
    ['an event without a trigger in its detail', { request: { targets: [{ bucket: 'data-lake', olderThan: '1d' }] }, trigger: 'event' }, 'event'],
    [
      'an event whose detail says "trigger": "api"',
      { request: { targets: [{ bucket: 'data-lake', olderThan: '1d' }], trigger: 'api' }, trigger: 'event' },
      'event',
    ],
    ['the API', { targets: [{ bucket: 'data-lake', olderThan: '1d' }], trigger: 'api' }, 'api'],
    ['a bare StartExecution', { targets: [{ bucket: 'data-lake', olderThan: '1d' }] }, 'direct'],
  ])('records %s with the trigger its entry set', (_, input, trigger) => {
    // Act
    const plan = planSweep(input, new Date('2026-11-22T12:00:00Z'));

    // Assert
    expect(plan.trigger).toBe(trigger);
    expect(plan.targets).toEqual([expect.objectContaining({ bucket: 'data-lake', olderThan: '1d' })]);
  });

  it.each([
    [{ targets: [{ bucket: 'data-lake', olderThan: '1d' }], trigger: 'sweep' }, /trigger: must be one of api, cli, schedule, event, direct/],
    [{ request: { targets: [{ bucket: 'data-lake', olderThan: '1d' }] }, trigger: 'event', dryRun: 'yes' }, /dryRun: must be true or false/],
    [{ request: 'targets', trigger: 'event' }, /body: must be a JSON object/],
  ])('refuses %j', (input, message) => {
    expect(() => planSweep(input, new Date())).toThrow(expect.objectContaining({ name: 'InvalidSweepRequest', message: expect.stringMatching(message) }));
  });

  it('throws InvalidSweepRequest naming every broken field', () => {
    expect(() => planSweep({ targets: [{ bucket: 'B', olderThan: 'soon' }], maxUploads: 0 }, new Date())).toThrow(
      expect.objectContaining({
        name: 'InvalidSweepRequest',
        message: expect.stringMatching(/targets\[0\]\.bucket: .*targets\[0\]\.olderThan: .*maxUploads: /),
      }),
    );
  });
});

describe('validateSweepRequest', () => {
  it.each([
    [null, 'body'],
    [[], 'body'],
    [{}, 'targets'],
    [{ targets: [] }, 'targets'],
    [{ targets: 'b' }, 'targets'],
    [{ targets: Array.from({ length: 21 }, () => ({ bucket: 'data-x', olderThan: '1d' })) }, 'targets'],
    [{ targets: [42] }, 'targets[0]'],
    [{ targets: [{ olderThan: '1d' }] }, 'targets[0].bucket'],
    [{ targets: [{ bucket: 'data-x' }] }, 'targets[0].olderThan'],
    [{ targets: [{ bucket: 'data-x', olderThan: '1y' }] }, 'targets[0].olderThan'],
    [{ targets: [{ bucket: 'data-x', olderThan: '99999d' }] }, 'targets[0].olderThan'],
    [{ targets: [{ bucket: 'data-x', olderThan: '1d', prefix: 7 }] }, 'targets[0].prefix'],
    [{ targets: [{ bucket: 'data-x', olderThan: '1d', expectedBucketOwner: '12' }] }, 'targets[0].expectedBucketOwner'],
    [{ targets: [{ bucket: 'data-x', olderThan: '1d', key: 'k' }] }, 'targets[0].key'],
    [{ targets: [{ bucket: 'data-x', olderThan: '1d' }], dryRun: 'yes' }, 'dryRun'],
    [{ targets: [{ bucket: 'data-x', olderThan: '1d' }], maxUploads: 1.5 }, 'maxUploads'],
    [{ targets: [{ bucket: 'data-x', olderThan: '1d' }], force: 'yes' }, 'force'],
    [{ targets: [{ bucket: 'data-x', olderThan: '1d' }], forced: true }, 'forced'],
    [
      {
        targets: [
          { bucket: 'data-x', olderThan: '1d' },
          { bucket: 'data-y', olderThan: '59m59s' },
        ],
      },
      'targets[1].olderThan',
    ],
    [{ targets: [{ bucket: 'data-x', olderThan: '0s' }], force: false }, 'targets[0].olderThan'],
    [{ targets: [{ bucket: 'data-x', olderThan: '1d' }], measure: 'no' }, 'measure'],
    [{ targets: [{ bucket: 'data-x', olderThan: '1d' }], dryRun: true, measure: false }, 'measure'],
    [
      {
        targets: [
          { bucket: 'data-x', olderThan: '1d' },
          { bucket: 'data-x', olderThan: '7d' },
        ],
      },
      'targets[1]',
    ],
    [
      {
        targets: [
          { bucket: 'data-x', prefix: 'logs/', olderThan: '1d' },
          { bucket: 'data-x', prefix: 'logs/2026/', olderThan: '7d' },
        ],
      },
      'targets[1]',
    ],
    [
      {
        targets: [
          { bucket: 'data-y', prefix: 'logs/2026/', olderThan: '1d' },
          { bucket: 'data-x', olderThan: '1d' },
          { bucket: 'data-y', olderThan: '7d' },
        ],
      },
      'targets[2]',
    ],
  ])('%j → %s', (input, field) => {
    expect(validateSweepRequest(input)[0]?.field).toBe(field);
  });
});

describe('the minimum age (SweepMinimumAge)', () => {
  it('refuses an age below it, naming olderThan, the minimum and how to force it; accepts it at the minimum', () => {
    // Act
    const [problem] = validateSweepRequest({ targets: [{ bucket: 'data-x', olderThan: '30m' }] });
    const cli = validateSweepRequest({ targets: [{ bucket: 'data-x', olderThan: '0s' }] }, { forceName: '--force' });

    // Assert
    expect(SWEEP_SETTINGS_DEFAULTS.SweepMinimumAge).toBe(3600);
    expect(problem).toEqual({
      field: 'targets[0].olderThan',
      rule: expect.stringMatching(/is 30m, below the minimum age of 1h .*SweepMinimumAge.*"force": true/),
    });
    expect(cli[0].rule).toMatch(/add --force/);
    expect(validateSweepRequest({ targets: [{ bucket: 'data-x', olderThan: '1h' }] })).toEqual([]);
    expect(validateSweepRequest({ targets: [{ bucket: 'data-x', olderThan: '60m' }] })).toEqual([]);
  });

  it('accepts any age with force: true, and follows the deployed minimum', () => {
    expect(validateSweepRequest({ targets: [{ bucket: 'data-x', olderThan: '0s' }], force: true })).toEqual([]);
    expect(validateSweepRequest({ targets: [{ bucket: 'data-x', olderThan: '10m' }] }, { minimumAgeSeconds: 600 })).toEqual([]);
    expect(validateSweepRequest({ targets: [{ bucket: 'data-x', olderThan: '1d' }] }, { minimumAgeSeconds: 2 * 86_400 })[0].rule).toMatch(/minimum age of 2d /);
  });

  it('makes the sweep plan step refuse a young age (InvalidSweepRequest: the sweep is recorded FAILED) with the minimum the definition passes', () => {
    const event = {
      request: { targets: [{ bucket: 'data-x', olderThan: '2h' }] },
      startTime: '2026-11-22T12:00:00Z',
      executionArn: 'arn:aws:states:us-east-1:111122223333:execution:s:x',
      settings: DEFAULT_RUN_SETTINGS,
    };
    expect(() => planSweepRun({ ...event, minimumAgeSeconds: 3 * 3600 })).toThrow(InvalidSweepRequest);
    expect(() => planSweepRun({ ...event, minimumAgeSeconds: 3 * 3600 })).toThrow(/targets\[0\]\.olderThan: is 2h, below the minimum age of 3h/);
    expect(planSweepRun(event).targets).toHaveLength(1);
  });
});

describe('planSweepRun', () => {
  const settings = { ...DEFAULT_RUN_SETTINGS, retentionSeconds: 86_400 };
  const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:s3-mpu-reaper-dev-sweep-uploads:sweep-1';

  it("numbers the targets, gives each the owner S3 must see (the sweep's account unless the request names one) and maxUploads", () => {
    // Act
    const plan = planSweepRun({
      request: {
        targets: [
          { bucket: 'data-a', olderThan: '1d' },
          { bucket: 'data-b', prefix: 'tmp/', olderThan: '1h', expectedBucketOwner: '444455556666' },
        ],
        maxUploads: 500,
      },
      startTime: '2026-11-22T12:00:00Z',
      executionArn,
      settings,
    });

    // Assert
    expect(plan.targets).toMatchObject([
      { index: 0, bucket: 'data-a', prefix: '', expectedBucketOwner: '111122223333', maxUploads: 500 },
      { index: 1, bucket: 'data-b', prefix: 'tmp/', expectedBucketOwner: '444455556666', maxUploads: 500 },
    ]);
    expect(plan.sweep).toEqual({
      id: 'sweep-1',
      executionArn,
      startedAt: '2026-11-22T12:00:00.000Z',
      dryRun: false,
      measure: true,
      activeWithinSeconds: settings.activeWithinSeconds,
      settings,
    });
  });

  it('measures in a dry run, and not when the request says measure: false', () => {
    const plan = (request: object) => planSweepRun({ request, startTime: '2026-11-22T12:00:00Z', executionArn, settings });
    expect(plan({ targets: [{ bucket: 'data-a', olderThan: '1d' }], dryRun: true }).sweep.measure).toBe(true);
    expect(plan({ targets: [{ bucket: 'data-a', olderThan: '1d' }], measure: false }).sweep).toMatchObject({ measure: false, dryRun: false });
  });

  it.each([
    ['pageUploads', 1001],
    ['runSeconds', 241],
    ['waitSeconds', -1],
    ['pageBytes', 1.5],
  ])('refuses the setting %s = %s', (name, value) => {
    expect(() =>
      planSweepRun({
        request: { targets: [{ bucket: 'data-a', olderThan: '1d' }] },
        startTime: '2026-11-22T12:00:00Z',
        executionArn,
        settings: { ...settings, [name]: value },
      }),
    ).toThrow(new RegExp(`sweep setting ${name}`));
  });
});
