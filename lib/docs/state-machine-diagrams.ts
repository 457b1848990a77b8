/**
 * A Mermaid flowchart of each state machine, drawn from its ASL file, for the README (GitHub renders Mermaid). The README
 * holds them between `<!-- diagram:NAME -->` and `<!-- /diagram:NAME -->`; `npm run diagrams` rewrites them and
 * test/unit/state-machine-diagrams.test.ts fails when they no longer match the definitions.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { STATE_MACHINES, STATEMACHINES_DIR } from '../settings.ts';

interface Catcher {
  ErrorEquals: string[];
  Next: string;
}
interface ChoiceRule {
  Next: string;
  Variable?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
  [comparison: string]: unknown;
}
interface State {
  Type: string;
  Resource?: string;
  Next?: string;
  Default?: string;
  Choices?: ChoiceRule[];
  Catch?: Catcher[];
  ItemProcessor?: { StartAt: string; States: Record<string, State> };
  Iterator?: { StartAt: string; States: Record<string, State> };
}

const label = (text: string) => text.replace(/"/g, '#quot;');

/** what a Task calls, in the words of its Resource: "s3:abortMultipartUpload", "lambda", "startExecution.sync:2" */
function calls(resource = ''): string {
  const sdk = /:::aws-sdk:([a-z0-9]+):(\w+)$/.exec(resource);
  if (sdk) return `${sdk[1]}:${sdk[2]}`;
  return resource.replace(/^arn:aws[a-z-]*:states:::/, '').replace(/^lambda:invoke$/, 'Lambda');
}

function condition(rule: ChoiceRule): string {
  if (rule.And) return rule.And.map(condition).join(' and ');
  if (rule.Or) return rule.Or.map(condition).join(' or ');
  if (rule.Not) return `not ${condition(rule.Not)}`;
  const [comparison, value] = Object.entries(rule).find(([k]) => !['Next', 'Variable'].includes(k)) ?? ['', ''];
  const operator = comparison.replace(/Path$/, '').replace(/^(String|Numeric|Boolean|Timestamp)/, '');
  const op =
    (
      { Equals: '=', GreaterThanEquals: '≥', GreaterThan: '>', LessThan: '<', LessThanEquals: '≤', IsPresent: 'present', Matches: '~' } as Record<
        string,
        string
      >
    )[operator] ?? operator;
  return `${(rule.Variable ?? '').replace(/^\$\./, '')} ${op} ${typeof value === 'string' ? value.replace(/^\$\./, '') : JSON.stringify(value)}`;
}

function shape(id: string, name: string, state: State): string {
  const text = state.Type === 'Task' ? `${name}<br/>(${calls(state.Resource)})` : name;
  switch (state.Type) {
    case 'Choice':
      return `${id}{"${label(text)}"}`;
    case 'Wait':
      return `${id}(["${label(text)}"])`;
    case 'Succeed':
      return `${id}(("${label(text)} ✓"))`;
    case 'Fail':
      return `${id}(("${label(text)} ✗"))`;
    default:
      return `${id}["${label(text)}"]`;
  }
}

/** the flowchart's lines for a set of states (a Map's item states become a subgraph) */
function lines(states: Record<string, State>, ids: Map<string, string>, indent = '  '): string[] {
  const out: string[] = [];
  const idOf = (name: string) => {
    if (!ids.has(name)) ids.set(name, `s${ids.size}`);
    return ids.get(name)!;
  };
  for (const [name, state] of Object.entries(states)) {
    const id = idOf(name);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) {
      out.push(`${indent}subgraph ${id}["${label(name)} (Map, for each item)"]`, ...lines(inner.States, ids, `${indent}  `), `${indent}end`);
    } else {
      out.push(`${indent}${shape(id, name, state)}`);
    }
    if (state.Next) out.push(`${indent}${id} --> ${idOf(state.Next)}`);
    for (const rule of state.Choices ?? []) out.push(`${indent}${id} -->|"${label(condition(rule))}"| ${idOf(rule.Next)}`);
    if (state.Default) out.push(`${indent}${id} -->|otherwise| ${idOf(state.Default)}`);
    for (const c of state.Catch ?? []) out.push(`${indent}${id} -.->|"${label(c.ErrorEquals.join(', '))}"| ${idOf(c.Next)}`);
  }
  return out;
}

export function mermaidDiagram(definition: { StartAt: string; States: Record<string, State> }): string {
  const ids = new Map<string, string>();
  const body = lines(definition.States, ids);
  return ['```mermaid', 'flowchart TD', `  start((start)) --> ${ids.get(definition.StartAt)}`, ...body, '```'].join('\n');
}

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const name = (file: string) => file.replace(/\.asl\.json$/, '');

/** The README with every state machine's diagram section replaced by the current drawing. */
export function readmeWithDiagrams(readme: string): string {
  let text = readme;
  for (const machine of Object.values(STATE_MACHINES)) {
    const tag = `diagram:${name(machine.file)}`;
    const drawing = mermaidDiagram(JSON.parse(readFileSync(STATEMACHINES_DIR + machine.file, 'utf8')));
    const section = new RegExp(`(<!-- ${tag} -->)[\\s\\S]*?(<!-- /${tag} -->)`);
    if (!section.test(text)) throw new Error(`README.md has no <!-- ${tag} --> … <!-- /${tag} --> section`);
    text = text.replace(section, (_, open: string, close: string) => `${open}\n${drawing}\n${close}`);
  }
  return text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(README, readmeWithDiagrams(readFileSync(README, 'utf8')));
  process.stdout.write('README.md: state machine diagrams redrawn from statemachines/*.asl.json\n');
}

export { README };
