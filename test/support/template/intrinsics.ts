/**
 * Evaluates a packaged template's intrinsic functions (Ref, Fn::GetAtt, Fn::Join, Fn::Split, Fn::If, Fn::Sub).
 * References to the stack's own resources stay symbolic ("Ref(X)", "GetAtt(X.Arn)"); pseudo parameters take the
 * values of a deployment to `partition` / us-east-1 / account 123456789012; conditions (Fn::Equals only) are the
 * template's own.
 */
import { ACCOUNT, REGION, type Json, type JsonObject, type Template } from './stack.ts';

const NO_VALUE = Symbol('AWS::NoValue');

function pseudo(name: string, partition: string): string | typeof NO_VALUE | undefined {
  switch (name) {
    case 'AWS::Partition':
      return partition;
    case 'AWS::Region':
      return REGION;
    case 'AWS::AccountId':
      return ACCOUNT;
    case 'AWS::URLSuffix':
      return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
    case 'AWS::NoValue':
      return NO_VALUE;
    default:
      return undefined;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a resolved template is whatever CloudFormation would deploy; tests read into it
export type Resolve = (node: Json, partition?: string) => any;

/** the evaluator of one template's intrinsic functions (its Conditions decide Fn::If) */
export function intrinsicsOf(template: Template): Resolve {
  function condition(name: string, partition: string): boolean {
    const definition = template.Conditions?.[name] as JsonObject | undefined;
    if (!definition) throw new Error(`unknown condition ${name}`);
    const equals = definition['Fn::Equals'] as Json[] | undefined;
    if (!equals) throw new Error(`condition ${name}: only Fn::Equals is evaluated here`);
    const [a, b] = equals.map((v) => resolve(v, partition));
    return a === b;
  }

  // biome-ignore lint/suspicious/noExplicitAny: as Resolve
  function resolve(node: Json, partition = 'aws'): any {
    if (Array.isArray(node)) return node.map((item) => resolve(item, partition)).filter((item) => item !== NO_VALUE);
    if (node === null || typeof node !== 'object') return node;
    const keys = Object.keys(node);
    if (keys.length === 1) {
      const [fn] = keys;
      const arg = node[fn];
      switch (fn) {
        case 'Ref': {
          const value = pseudo(arg as string, partition);
          return value === undefined ? `Ref(${arg})` : value;
        }
        case 'Fn::GetAtt':
          return `GetAtt(${(arg as string[]).join('.')})`;
        case 'Fn::Join': {
          const [separator, list] = arg as [string, Json];
          return (resolve(list, partition) as string[]).join(separator);
        }
        case 'Fn::Split': {
          const [separator, source] = arg as [string, Json];
          return (resolve(source, partition) as string).split(separator);
        }
        case 'Fn::If': {
          const [name, whenTrue, whenFalse] = arg as [string, Json, Json];
          return resolve(condition(name, partition) ? whenTrue : whenFalse, partition);
        }
        case 'Fn::Sub': {
          const [text, variables] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, JsonObject];
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name in variables) return resolve(variables[name], partition);
            const value = pseudo(name, partition);
            if (typeof value === 'string') return value;
            return name.includes('.') ? `GetAtt(${name})` : `Ref(${name})`;
          });
        }
        default:
          break;
      }
    }
    return Object.fromEntries(
      Object.entries(node)
        .map(([key, value]) => [key, resolve(value, partition)])
        .filter(([, value]) => value !== NO_VALUE),
    );
  }

  return resolve;
}
