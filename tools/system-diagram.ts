/**
 * The README's picture of the system (triggers → state machines → Lambdas → storage), a Mermaid flowchart drawn from
 * the definitions (tools/system-definitions.ts reads them). README.md holds it between `<!-- system-diagram … -->`
 * and `<!-- /system-diagram -->`; `npm run diagrams` rewrites it and test/unit/system-diagram.test.ts fails when it
 * no longer matches. Every edge comes from a definition:
 * - HTTP API → machine: a route's function whose role may states:StartExecution that machine; the other routes →
 *   the storage their functions' roles reach;
 * - CLI → machine: what CLI_POLICY allows states:StartExecution on;
 * - EventBridge, CloudTrail, schedule → machine or function: the eventBridge and schedule events of serverless.yml,
 *   and the schedules the plugins add (PLUGIN_SCHEDULES);
 * - machine → machine, Lambda, storage: the ASL's states:startExecution, lambda:invoke and SDK integration Tasks,
 *   their ARNs and names resolved through the machine's DefinitionSubstitutions;
 * - machine → function: an "Execution Status Change" rule naming the machine's ARN;
 * - Lambda → storage: the function's role (custom.functionRoles) naming a table or bucket, or the allowlist.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type AslState, type EventSpec, type SystemDefinitions, loadSystemDefinitions } from './system-definitions.ts';

/** the managed policy for the people who run the CLI (resources/cli-policy.yml): what the CLI may start */
export const CLI_POLICY = 'CliUserPolicy';
/** schedules a plugin adds outside the function's events: plugins/debt-scan.cjs, from custom.debtScan.schedule */
export const PLUGIN_SCHEDULES: ReadonlyArray<{ custom: string; function: string }> = [{ custom: 'debtScan', function: 'debtScan' }];
/** the storage node of what a role names through `${self:custom.allowlist.…}`, and of an S3 Task on a bucket from the input */
const ALLOWLIST = 's3';
const STORAGE_TYPES: Readonly<Record<string, string>> = { 'AWS::DynamoDB::Table': 'DynamoDB', 'AWS::S3::Bucket': 'S3' };

const label = (text: string) => text.replace(/"/g, '#quot;');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const unique = <T>(items: T[]) => [...new Set(items)];
const pascal = (action: string) => action.charAt(0).toUpperCase() + action.slice(1);
/** the name a function goes by in the picture: its handler's file, "functions/sweep-record.handler" → sweep-record */
const functionName = (handler: string) => handler.replace(/^.*\//, '').replace(/\.[^.]+$/, '');
/** the framework's logical id of a function (createAbort → CreateAbortLambdaFunction) */
const functionId = (key: string) => `${pascal(key).replace(/-/g, 'Dash').replace(/_/g, 'Underscore')}LambdaFunction`;
/** `${param:NAME…}` in a value: the stage param that sets or enables it */
const paramOf = (value: unknown) => (typeof value === 'string' ? /\$\{param:([A-Za-z0-9_]+)/.exec(value)?.[1] : undefined);
/** a schedule's edge: the stage param that sets it, or its expression */
const scheduled = (rate: unknown) => (paramOf(rate) ? `stage param ${paramOf(rate)}` : String(rate));

/** the logical ids a CloudFormation value names (Ref, Fn::GetAtt, Fn::Sub's ${X} or ${X.Arn}), and ALLOWLIST for its forms */
function referenced(value: unknown): string[] {
  if (typeof value === 'string') {
    if (value.includes('${self:custom.allowlist.')) return [ALLOWLIST];
    return [...value.matchAll(/\$\{([A-Za-z0-9]+)(?:\.Arn)?\}/g)].map((m) => m[1]).filter((id) => !id.startsWith('AWS'));
  }
  if (Array.isArray(value)) return value.flatMap(referenced);
  if (!isObject(value)) return [];
  if (typeof value.Ref === 'string') return [value.Ref];
  if (Array.isArray(value['Fn::GetAtt'])) return [String(value['Fn::GetAtt'][0])];
  if (value['Fn::Sub'] !== undefined) return referenced(value['Fn::Sub']);
  return Object.values(value).flatMap(referenced);
}

/** routes grouped by method: "POST /sweeps, /sweeps/{id}/apply<br/>GET /report" */
function routes(list: Array<{ method: string; path: string }>): string {
  const byMethod = new Map<string, string[]>();
  for (const r of list) byMethod.set(r.method, [...(byMethod.get(r.method) ?? []), r.path]);
  return [...byMethod].map(([method, paths]) => `${method} ${paths.join(', ')}`).join('<br/>');
}

function httpRoutes(events: EventSpec[] = []) {
  return events.flatMap((e) => {
    const spec = e.http ?? e.httpApi;
    if (spec === undefined) return [];
    if (typeof spec === 'string') {
      const [method, path] = spec.split(/\s+/);
      return [{ method: method.toUpperCase(), path }];
    }
    return [{ method: spec.method.toUpperCase(), path: `/${spec.path.replace(/^\//, '')}` }];
  });
}

function tasks(states: Record<string, AslState>): Array<[string, AslState]> {
  return Object.entries(states).flatMap(([name, state]) => [
    ...(state.Type === 'Task' ? [[name, state] as [string, AslState]] : []),
    ...tasks((state.ItemProcessor ?? state.Iterator)?.States ?? {}),
    ...(state.Branches ?? []).flatMap((b) => tasks(b.States)),
  ]);
}

/** The Mermaid flowchart of the system drawn from `defs`. */
export function systemDiagram(defs: SystemDefinitions): string {
  const machineKeys = Object.keys(defs.stateMachines);
  const machineOfId = (id: string) => machineKeys.find((k) => defs.stateMachines[k].id === id);
  const functionOfId = (id: string) => Object.keys(defs.functions).find((k) => functionId(k) === id);
  const storageOf = (ids: string[]) => unique(ids.filter((id) => id === ALLOWLIST || STORAGE_TYPES[defs.resources[id]?.Type] !== undefined));
  const roleOf = (key: string) => (defs.functionRoles[key] ?? []).filter(isObject).map((s) => ({ actions: asList(s.allow as string | string[]), on: s.on }));
  const started = (statements: Array<{ actions: string[]; on: unknown }>) =>
    unique(statements.filter((s) => s.actions.includes('states:StartExecution')).flatMap((s) => referenced(s.on).flatMap((id) => machineOfId(id) ?? [])));
  /** the storage a role reaches: tables and buckets of the stack by name, the allowlisted buckets by its S3 actions */
  const roleStorage = (key: string) =>
    storageOf(roleOf(key).flatMap((s) => referenced(s.on).filter((id) => id !== ALLOWLIST || s.actions.some((a) => a.startsWith('s3:')))));

  // a node's shape is written where the picture first names it (see the end), whichever part of the code names it first
  const shapes = new Map<string, string>();
  const node = (id: string, shape: string) => {
    if (!shapes.has(id)) shapes.set(id, shape);
    return `@@${id}@@`;
  };
  const storageNode = (id: string) =>
    node(id, id === ALLOWLIST ? '[("S3<br/>allowlisted buckets")]' : `[("${STORAGE_TYPES[defs.resources[id].Type]}<br/>${label(id)}")]`);
  const edge = (from: string, to: string, text?: string) => (text ? `  ${from} -->|"${label(text)}"| ${to}` : `  ${from} --> ${to}`);
  const fnNode = (key: string) => node(`fn_${key}`, `["${label(functionName(defs.functions[key].handler))}"]`);
  const triggers: string[] = [];
  const flows: string[] = [];
  const storage: string[] = [];

  // the HTTP API: a route that starts a machine points at it; the others at what their functions' roles reach
  const api = Object.entries(defs.functions).filter(([, fn]) => httpRoutes(fn.events).length > 0);
  const apiNode = () => node('api', '["HTTP API"]');
  for (const machine of machineKeys) {
    const starting = api.filter(([key]) => started(roleOf(key)).includes(machine)).flatMap(([, fn]) => httpRoutes(fn.events));
    if (starting.length > 0) triggers.push(edge(apiNode(), machine, routes(starting)));
  }
  const others = api.filter(([key]) => started(roleOf(key)).length === 0);
  for (const target of unique(others.flatMap(([key]) => roleStorage(key)))) {
    const reaching = others.filter(([key]) => roleStorage(key).includes(target)).flatMap(([, fn]) => httpRoutes(fn.events));
    storage.push(edge(apiNode(), storageNode(target), routes(reaching)));
  }

  // the CLI starts executions itself: what its users' policy allows
  const policy = defs.resources[CLI_POLICY]?.Properties?.PolicyDocument as { Statement?: Array<{ Action: string | string[]; Resource: unknown }> } | undefined;
  if (!policy) throw new Error(`resources/*.yml: no ${CLI_POLICY}, the policy that says what the CLI may start`);
  const cliStarts = started((policy.Statement ?? []).map((s) => ({ actions: asList(s.Action), on: s.Resource })));
  if (cliStarts.length > 0) triggers.push(edge(node('cli', '["npx mpu-reaper"]'), cliStarts.join(' & '), 'StartExecution'));

  // EventBridge rules and schedules, of the machines and of the functions
  const targets: Array<{ to: string; fn?: string; events: EventSpec[] }> = [
    ...machineKeys.map((key) => ({ to: key, events: defs.stateMachines[key].events ?? [] })),
    ...Object.entries(defs.functions).map(([key, fn]) => ({ to: `fn_${key}`, fn: key, events: fn.events ?? [] })),
  ];
  const target = (t: (typeof targets)[number]) => (t.fn ? fnNode(t.fn) : t.to);
  const enabledBy = (enabled: unknown) => (paramOf(enabled) ? `if stage param ${paramOf(enabled)}` : undefined);
  for (const t of targets) {
    for (const event of t.events) {
      if (event.schedule !== undefined) {
        const rate = typeof event.schedule === 'string' ? event.schedule : event.schedule.rate;
        triggers.push(edge(node('schedule', '(["schedule"])'), target(t), scheduled(rate)));
      }
      const rule = event.eventBridge;
      if (!rule) continue;
      const reference = typeof rule.event === 'string' ? /^\$\{self:custom\.([A-Za-z0-9_]+)\}$/.exec(rule.event)?.[1] : undefined;
      const pattern = (reference ? defs.custom[reference] : (rule.event ?? rule.pattern)) as Record<string, unknown> | undefined;
      if (!isObject(pattern)) throw new Error(`serverless.yml: an eventBridge event of ${t.to} has no pattern`);
      const detail = isObject(pattern.detail) ? pattern.detail : {};
      const detailType = asList(pattern['detail-type'] as string[]);
      const source = asList(pattern.source as string[]).join(', ');
      const fromMachines = referenced(detail.stateMachineArn).flatMap((id) => machineOfId(id) ?? []);
      if (fromMachines.length > 0) {
        // a run's status change: drawn from the machines it names
        flows.push(`  ${fromMachines.join(' & ')} -.->|"${label(asList(detail.status as string[]).join(', '))}"| ${target(t)}`);
      } else if (detailType.includes('AWS API Call via CloudTrail')) {
        const call = asList(detail.eventName as string[]).join(', ');
        triggers.push(edge(node(`cloudtrail_${call.replace(/\W/g, '')}`, `["CloudTrail<br/>${label(call)}"]`), target(t), enabledBy(rule.enabled)));
      } else {
        const text = [detailType.join(', '), enabledBy(rule.enabled)].filter(Boolean).join(', ');
        triggers.push(edge(node(`events_${source.replace(/\W/g, '_')}`, `["EventBridge<br/>${label(source)}"]`), target(t), text));
      }
    }
  }
  for (const schedule of PLUGIN_SCHEDULES) {
    const options = defs.custom[schedule.custom] as { schedule?: unknown } | undefined;
    if (options?.schedule === undefined || !defs.functions[schedule.function]) continue;
    triggers.push(edge(node('schedule', '(["schedule"])'), fnNode(schedule.function), scheduled(options.schedule)));
  }

  // what each machine's Tasks call: machines, Lambdas (grouped by the machines that invoke them), storage
  const machineLines: string[] = [];
  const sdkLines: string[] = [];
  const invokers = new Map<string, string[]>();
  for (const key of machineKeys) {
    const machine = defs.stateMachines[key];
    const substitutions = defs.substitutions[machine.id] ?? {};
    const resolve = (value: unknown) => referenced(typeof value === 'string' ? (substitutions[/^\$\{(\w+)\}$/.exec(value)?.[1] ?? ''] ?? value) : value);
    const type = machine.type === 'EXPRESS' ? ' (Express)' : '';
    machineLines.push(`    ${key}["${label(machine.name)}${type}"]`);
    const sdk = new Map<string, string[]>();
    const toMachines = new Map<string, string[]>();
    for (const [name, state] of tasks(machine.definition.States)) {
      const params = state.Parameters ?? state.Arguments ?? {};
      const resource = (state.Resource ?? '').replace(/^arn:aws[a-z-]*:states:::/, '');
      const where = `${machine.name}.asl.json, state "${name}"`;
      if (/^lambda:invoke\b/.test(resource)) {
        const fn = resolve(params.FunctionName).flatMap((id) => functionOfId(id) ?? []);
        if (fn.length === 0) throw new Error(`${where}: FunctionName names no function of serverless.yml`);
        for (const f of fn) invokers.set(f, unique([...(invokers.get(f) ?? []), key]));
      } else if (/^states:startExecution\b/.test(resource)) {
        const to = resolve(params.StateMachineArn).flatMap((id) => machineOfId(id) ?? []);
        if (to.length === 0) throw new Error(`${where}: StateMachineArn names no state machine of serverless.yml`);
        for (const m of to) toMachines.set(m, unique([...(toMachines.get(m) ?? []), name]));
      } else {
        const [service, action] = resource.replace(/^aws-sdk:/, '').split(':');
        const named = storageOf(resolve(params.TableName ?? params.Bucket));
        const reached = named.length > 0 ? named : service === 's3' ? [ALLOWLIST] : [`svc_${service}`];
        for (const to of reached) sdk.set(to, unique([...(sdk.get(to) ?? []), pascal(action.replace(/\..*$/, ''))]));
      }
    }
    for (const [to, states] of toMachines) machineLines.push(`  ${edge(key, to, states.join(', '))}`);
    for (const [to, actions] of sdk) {
      const shape = to.startsWith('svc_') ? node(to, `["${to.slice(4)}"]`) : storageNode(to);
      sdkLines.push(`  ${key} -.->|"${label(actions.join(', '))}"| ${shape}`);
    }
  }
  const groups = new Map<string, string[]>();
  for (const [fn, machines] of invokers) groups.set(machines.join(' '), [...(groups.get(machines.join(' ')) ?? []), fn]);
  const reachedBy: Array<[string, string[]]> = [];
  for (const [machines, fns] of groups) {
    const id = `fns_${fns[0]}`;
    const shape = node(id, `["${label(fns.map((f) => functionName(defs.functions[f].handler)).join(', '))}"]`);
    flows.push(edge(machines.split(' ').join(' & '), shape));
    reachedBy.push([id, unique(fns.flatMap(roleStorage))]);
  }
  // the functions nothing above draws (no route, not invoked by a machine) stand alone, with what their roles reach
  for (const key of Object.keys(defs.functions)) {
    if (api.some(([k]) => k === key) || invokers.has(key)) continue;
    if (!shapes.has(`fn_${key}`)) flows.push(`  ${fnNode(key)}`);
    reachedBy.push([`fn_${key}`, roleStorage(key)]);
  }
  for (const [id, reached] of reachedBy) if (reached.length > 0) storage.push(`  ${node(id, '')} --> ${reached.map(storageNode).join(' & ')}`);

  const drawn = new Set<string>();
  // each trigger's edges together, in the order the triggers first appear
  const sourceOf = (line: string) => /^\s*(?:@@)?(\w+)/.exec(line)?.[1] ?? '';
  const sources = unique(triggers.map(sourceOf));
  triggers.sort((a, b) => sources.indexOf(sourceOf(a)) - sources.indexOf(sourceOf(b)));
  const body = [...triggers, '  subgraph machines["Step Functions"]', ...machineLines, '  end', ...flows, ...sdkLines, ...storage].join('\n');
  const text = body.replace(/@@(\w+)@@/g, (_, id: string) => {
    if (drawn.has(id)) return id;
    drawn.add(id);
    return `${id}${shapes.get(id)}`;
  });
  return ['```mermaid', 'flowchart LR', text, '```'].join('\n');
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const README = `${ROOT}README.md`;
const SECTION = /(<!-- system-diagram[^>]*-->)[\s\S]*?(<!-- \/system-diagram -->)/;

/** README's text with its system picture redrawn from `defs` */
export function readmeWithSystemDiagram(text: string, defs: SystemDefinitions = loadSystemDefinitions()): string {
  if (!SECTION.test(text)) throw new Error('README.md has no <!-- system-diagram … --> … <!-- /system-diagram --> section');
  return text.replace(SECTION, (_, open: string, close: string) => `${open}\n${systemDiagram(defs)}\n${close}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(README, readmeWithSystemDiagram(readFileSync(README, 'utf8')));
  process.stdout.write('README.md: the system picture redrawn from serverless.yml, resources/*.yml and statemachines/*.asl.json\n');
}
