/**
 * The definitions the README's system picture (tools/system-diagram.ts) is drawn from, read from the files the deploy
 * packages: serverless.yml (functions, their events, the state machines and theirs, custom), the files it includes
 * with `${file(…)}` (resources/*.yml, custom.functionRoles) and each state machine's ASL file.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export interface EventSpec {
  http?: { path: string; method: string } | string;
  httpApi?: { path: string; method: string } | string;
  eventBridge?: { event?: unknown; pattern?: unknown; enabled?: unknown };
  schedule?: { rate?: unknown; enabled?: unknown } | string;
}
export interface FunctionSpec {
  handler: string;
  events?: EventSpec[];
}
export interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Arguments?: Record<string, unknown>;
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
  Branches?: Array<{ States: Record<string, AslState> }>;
}
export interface MachineSpec {
  /** the CloudFormation logical id (`id:` in serverless.yml) */
  id: string;
  type?: string;
  /** the ASL file's name without .asl.json */
  name: string;
  definition: { States: Record<string, AslState> };
  events?: EventSpec[];
}
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** everything the picture shows, by the names serverless.yml gives them */
export interface SystemDefinitions {
  functions: Record<string, FunctionSpec>;
  stateMachines: Record<string, MachineSpec>;
  /** serverless.yml's custom: the EventBridge patterns (`${self:custom.NAME}`) and the plugins' options */
  custom: Record<string, unknown>;
  /** custom.functionRoles: each function's IAM statements, `{ allow, on }` */
  functionRoles: Record<string, unknown[]>;
  /** resources/*.yml's Resources, by logical id */
  resources: Record<string, CfnResource>;
  /** each state machine's DefinitionSubstitutions (resources/state-machines.yml's extensions), by its logical id */
  substitutions: Record<string, Record<string, unknown>>;
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FILE = /^\$\{file\(([^)]+)\)\}$/;

/** a `${file(path)}` value as the framework includes it (YAML or JSON, relative to the root); any other value as it is */
function included(value: unknown, root: string): unknown {
  const file = typeof value === 'string' ? FILE.exec(value) : null;
  return file ? parse(readFileSync(root + file[1].replace(/^\.\//, ''), 'utf8')) : value;
}

/** The definitions of the project at `root` (the repository by default). */
export function loadSystemDefinitions(root = ROOT): SystemDefinitions {
  type Config = {
    functions?: Record<string, FunctionSpec>;
    custom?: Record<string, unknown>;
    stepFunctions?: { stateMachines?: Record<string, Omit<MachineSpec, 'name' | 'definition'> & { definition: string }> };
    resources?: unknown[];
  };
  const config = parse(readFileSync(`${root}serverless.yml`, 'utf8')) as Config;
  const custom = config.custom ?? {};
  const parts = (config.resources ?? []).map(
    (part) => included(part, root) as { Resources?: Record<string, CfnResource>; extensions?: Record<string, CfnResource> },
  );
  const stateMachines = Object.fromEntries(
    Object.entries(config.stepFunctions?.stateMachines ?? {}).map(([key, machine]) => {
      const file = FILE.exec(machine.definition)?.[1];
      if (!file?.endsWith('.asl.json')) throw new Error(`serverless.yml: the state machine ${key} has no definition \${file(statemachines/NAME.asl.json)}`);
      const name = file.replace(/^.*\//, '').replace(/\.asl\.json$/, '');
      return [key, { ...machine, name, definition: included(machine.definition, root) as MachineSpec['definition'] }];
    }),
  );
  const substitutions = Object.fromEntries(
    parts
      .flatMap((part) => Object.entries(part.extensions ?? {}))
      .map(([id, ext]) => [id, (ext.Properties?.DefinitionSubstitutions ?? {}) as Record<string, unknown>]),
  );
  return {
    functions: config.functions ?? {},
    stateMachines,
    custom,
    functionRoles: (included(custom.functionRoles, root) ?? {}) as Record<string, unknown[]>,
    resources: Object.assign({}, ...parts.map((part) => part.Resources ?? {})),
    substitutions,
  };
}
