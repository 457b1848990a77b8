/** plugins/event-bus.cjs: the request rules' bus and who may put events on it. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const plugin = createRequire(import.meta.url)('../../plugins/event-bus.cjs') as {
  parseEventBusOptions: (value: unknown) => { bus: string; putters: string[]; rules: string[] };
};
const RULES = ['AbortUploadEventsRuleCloudWatchEvent1'];

describe('custom.eventBus', () => {
  it('reads putters as a list or the command line string; empty means the account', () => {
    const role = 'arn:aws:iam::111122223333:role/ops';
    expect(plugin.parseEventBusOptions({ bus: 'own', putters: '', rules: RULES }).putters).toEqual([]);
    expect(plugin.parseEventBusOptions({ bus: 'own', putters: `${role}, arn:aws:iam::111122223333:root`, rules: RULES }).putters).toEqual([
      role,
      'arn:aws:iam::111122223333:root',
    ]);
    expect(plugin.parseEventBusOptions({ bus: 'default', putters: [role], rules: RULES }).bus).toBe('default');
  });

  it.each([
    [{ bus: 'mine', rules: RULES }, /^eventBus must be "own" or "default"/],
    [{ bus: 'own', putters: '*', rules: RULES }, /^eventPutters: "\*" is not an IAM role, user or account root ARN, e\.g\. --param=/],
    [{ bus: 'own', putters: 'arn:aws:iam::111122223333:group/ops', rules: RULES }, /^eventPutters: .*group/],
    [{ bus: 'own', rules: [] }, /rules/],
  ])('refuses %j naming the param', (value, message) => {
    expect(() => plugin.parseEventBusOptions(value)).toThrow(message);
  });
});
