/**
 * lib/sweep/pace.ts: a page never outlasts its EXPRESS execution's 5 minutes. The page is cut to what the last page's
 * pace says fits in the time left, halved per failed page execution in a row; "Record the page" keeps the pace.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { listPage } from '../../lib/sweep/list.ts';
import { recordPage } from '../../lib/sweep/record.ts';
import { EXPRESS_MARGIN_SECONDS, EXPRESS_MAX_SECONDS, MIN_PAGE_UPLOADS, PACE_SAFETY, pageRoomForTime } from '../../lib/sweep/pace.ts';
import { deps, resetMocks, s3Mock, state, uploads } from '../support/sweep-steps.ts';

beforeEach(() => {
  resetMocks();
});

const budget = EXPRESS_MAX_SECONDS - EXPRESS_MARGIN_SECONDS;

describe('pageRoomForTime', () => {
  it('sets no limit before any page was recorded and while nothing failed', () => {
    expect(pageRoomForTime(state(), 50, false)).toBeUndefined();
  });

  it("takes what fits in the time left at the last page's pace, with its safety factor", () => {
    // 1 s per upload, 100 s into the run: (240 - 100) / (2 × 1) = 70
    expect(pageRoomForTime(state({ pace: { uploads: 100, seconds: 100 } }), 100, false)).toBe(Math.floor((budget - 100) / PACE_SAFETY));
    // a fresh run has the whole budget
    expect(pageRoomForTime(state({ pace: { uploads: 100, seconds: 100 } }), 100, true)).toBe(Math.floor(budget / PACE_SAFETY));
  });

  it("sets no practical limit at AWS's pace (450 uploads in 6 s)", () => {
    expect(pageRoomForTime(state({ pace: { uploads: 450, seconds: 6 } }), 55, false)).toBeGreaterThan(1000);
  });

  it('halves the page per failed page execution in a row, also before any pace is known', () => {
    expect(pageRoomForTime(state({ pace: { uploads: 100, seconds: 100 }, recoveries: 2 }), 0, true)).toBe(Math.floor(budget / PACE_SAFETY / 4));
    expect(pageRoomForTime(state({ recoveries: 1 }, { pageUploads: 1000 }), 0, true)).toBe(500);
  });

  it('ends a run that has too little time left (0), but a fresh run always takes one upload', () => {
    const slow = state({ pace: { uploads: 1, seconds: 200 } });
    expect(pageRoomForTime(slow, 30, false)).toBe(0);
    expect(pageRoomForTime(slow, 0, true)).toBe(1);
    expect(pageRoomForTime(state({ pace: { uploads: 100, seconds: 100 } }), budget - PACE_SAFETY * (MIN_PAGE_UPLOADS - 1), false)).toBe(0);
  });
});

describe("the pace in the sweep's steps", () => {
  const sameRun = { execution: 'target-exec', run: 'run-2', events: 14, full: false };

  it('"List a page" cuts the page to what the pace allows, the cursor after its last upload', async () => {
    // Arrange: 1 s per upload at the last page, the run started 100 s ago (now is 12:00:00)
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: uploads(200), IsTruncated: false });
    const s = state({ pace: { uploads: 100, seconds: 100 }, slice: sameRun }, { runSeconds: 240 });

    // Act
    const { page, next } = await listPage(deps, { state: s, parent: 'target-exec', run: 'run-2', runStartedAt: '2026-11-22T11:58:20Z' });

    // Assert
    expect(next).toBe('abort');
    expect(page.uploads).toHaveLength(Math.floor((budget - 100) / PACE_SAFETY));
    expect(page).toMatchObject({ last: false, cursor: { keyMarker: page.uploads.at(-1)!.k } });
  });

  it('"List a page" ends the page execution when the next page would not fit, without listing', async () => {
    // Arrange: 2 s per upload, 200 s into the run
    const s = state({ pace: { uploads: 50, seconds: 100 }, slice: sameRun }, { runSeconds: 240 });

    // Act
    const { next } = await listPage(deps, { state: s, parent: 'target-exec', run: 'run-2', runStartedAt: '2026-11-22T11:56:40Z' });

    // Assert
    expect(next).toBe('end');
    expect(s3Mock).not.toHaveReceivedCommand(ListMultipartUploadsCommand);
  });

  it('"Record the page" keeps the page\'s uploads and its seconds from listing to records as the pace', async () => {
    // Arrange: listed at 11:59:00, recorded at 12:00:00
    const page = {
      listedAt: '2026-11-22T11:59:00.000Z',
      waitSeconds: 5,
      uploads: [
        { k: 'a', u: 'U1' },
        { k: 'b', u: 'U2' },
      ],
      decided: [{ k: 'c', u: 'U3', s: 'NOT_FOUND' as const }],
      listed: 3,
      busy: 0,
      cursor: { keyMarker: 'c', uploadIdMarker: 'U3' },
      last: false,
      truncated: false,
    };

    // Act
    const { state: next } = await recordPage(deps, {
      action: 'page',
      state: state(),
      parent: 'target-exec',
      page,
      runStartedAt: '2026-11-22T11:59:00Z',
      answers: { aborted: ['sent', 'sent'], verified: { answers: ['gone', 'gone'], kinds: ['gone'] } },
    });

    // Assert
    expect(next.pace).toEqual({ uploads: 3, seconds: 60 });
  });
});
