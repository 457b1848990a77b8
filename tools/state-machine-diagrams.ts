/**
 * A Mermaid flowchart of each state machine, drawn from its ASL file, for the docs (GitHub renders Mermaid). The page
 * about each machine (DIAGRAM_PAGES) holds it between `<!-- diagram:NAME -->` and `<!-- /diagram:NAME -->`;
 * `npm run diagrams` rewrites them and test/unit/state-machine-diagrams.test.ts fails when they no longer match the
 * definitions.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { STATE_MACHINES, STATEMACHINES_DIR } from '../lib/settings.ts';

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

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const name = (file: string) => file.replace(/\.asl\.json$/, '');

/** where each state machine's diagram is drawn: the docs page about it, relative to the repository root */
export const DIAGRAM_PAGES: Readonly<Record<string, string>> = {
  'abort-upload': 'docs/how-it-works.md',
  'abort-after-deadline': 'docs/how-it-works.md',
  'sweep-uploads': 'docs/sweeps.md',
  'sweep-target': 'docs/sweeps.md',
  'sweep-page': 'docs/sweeps.md',
};

/** A docs page (`page`, as in DIAGRAM_PAGES) with the diagram section of each of its state machines redrawn. */
export function pageWithDiagrams(page: string, text: string): string {
  let out = text;
  for (const machine of Object.values(STATE_MACHINES)) {
    const machineName = name(machine.file);
    if (DIAGRAM_PAGES[machineName] !== page) continue;
    const tag = `diagram:${machineName}`;
    const drawing = mermaidDiagram(JSON.parse(readFileSync(STATEMACHINES_DIR + machine.file, 'utf8')));
    const section = new RegExp(`(<!-- ${tag} -->)[\\s\\S]*?(<!-- /${tag} -->)`);
    if (!section.test(out)) throw new Error(`${page} has no <!-- ${tag} --> … <!-- /${tag} --> section`);
    out = out.replace(section, (_, open: string, close: string) => `${open}\n${drawing}\n${close}`);
  }
  return out;
}

/** the pages that hold diagrams, as absolute paths by their DIAGRAM_PAGES name */
export const diagramPages = () => [...new Set(Object.values(DIAGRAM_PAGES))].map((page) => ({ page, path: ROOT + page }));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { page, path } of diagramPages()) writeFileSync(path, pageWithDiagrams(page, readFileSync(path, 'utf8')));
  process.stdout.write(
    `${diagramPages()
      .map((p) => p.page)
      .join(', ')}: state machine diagrams redrawn from statemachines/*.asl.json\n`,
  );
}
