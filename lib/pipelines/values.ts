import { IResolvable, IResolveContext, Token, Tokenization } from 'aws-cdk-lib';
import { NameRule } from '../security/names';
import { invalidProp, isUnresolved } from '../security/validation';

/**
 * The type of a value in a pipeline definition: what a parameter holds, what a step
 * property returns, what a condition compares.
 */
export enum PipelineValueType {
  /** A string. */
  STRING = 'String',
  /** A whole number. */
  INTEGER = 'Integer',
  /** A floating-point number. */
  FLOAT = 'Float',
  /** `true` or `false`. */
  BOOLEAN = 'Boolean',
}

/**
 * What a rendered definition refers to. Internal: filled while the pipeline renders its
 * definition, then checked against the steps, parameters and property files it has.
 */
export interface ReferenceCollector {
  /** The job settings steps render with (a `JobSettings`), when rendering a whole pipeline. */
  readonly settings?: unknown;
  /** Records that rendering moved into a step (its references are that step's), or back out. */
  enter?(step: IStepLike | undefined): IStepLike | undefined;
  /** Records a reference to a step, by the step object. */
  step(step: IStepLike, why: string): void;
  /** Records a reference to a parameter. */
  parameter(parameter: PipelineParameter): void;
  /** Records a reference to a property file. */
  propertyFile(file: PropertyFile): void;
}

/** The parts of a step a value needs. Internal. */
export interface IStepLike {
  /** The step's name in the definition. */
  readonly stepName: string;
}

/** A collector that records nothing. Internal. */
export const NO_COLLECTOR: ReferenceCollector = { step: () => undefined, parameter: () => undefined, propertyFile: () => undefined };

/**
 * A value in a pipeline definition that is only known when the pipeline runs: a parameter,
 * a step property (`{"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}`), an execution
 * variable, a `Std:Join` or a `Std:JsonGet` of a property file; or a literal.
 *
 * Step props take plain strings and numbers. Use `asString()` / `asNumber()` to put a value
 * in such a prop: the value travels as a CDK token and renders as its JSON function. A string
 * that mixes text with such tokens (e.g. `` `${prefix}/${ExecutionVariable.PIPELINE_EXECUTION_ID.asString()}` ``)
 * renders as `{"Std:Join": {"On": "", "Values": [...]}}`.
 */
export abstract class PipelineValue {
  /** A literal string. */
  public static fromString(value: string): PipelineValue {
    const fromToken = PipelineValue._fromToken(value);
    return fromToken ?? new LiteralValue(PipelineValueType.STRING, value);
  }

  /** A literal whole number. */
  public static fromInteger(value: number): PipelineValue {
    const fromToken = PipelineValue._fromToken(value);
    if (fromToken) {
      return fromToken;
    }
    if (!Number.isInteger(value)) {
      throw invalidProp('PipelineValue.fromInteger(value)', value, 'It must be a whole number; use PipelineValue.fromFloat for fractions.');
    }
    return new LiteralValue(PipelineValueType.INTEGER, value);
  }

  /** A literal floating-point number. */
  public static fromFloat(value: number): PipelineValue {
    const fromToken = PipelineValue._fromToken(value);
    if (fromToken) {
      return fromToken;
    }
    if (!Number.isFinite(value)) {
      throw invalidProp('PipelineValue.fromFloat(value)', value, 'It must be a finite number.');
    }
    return new LiteralValue(PipelineValueType.FLOAT, value);
  }

  /** A literal boolean. */
  public static fromBoolean(value: boolean): PipelineValue {
    return new LiteralValue(PipelineValueType.BOOLEAN, value);
  }

  /**
   * Joins values with a separator when the pipeline runs (`Std:Join`). Values may be plain
   * strings or strings from `asString()`.
   *
   * @param values the values to join
   * @param separator what goes between them
   * @default separator ''
   */
  public static join(values: string[], separator?: string): PipelineValue {
    if (values.length === 0) {
      throw invalidProp('PipelineValue.join(values)', values, 'Join at least one value.');
    }
    return new JoinValue(separator ?? '', values);
  }

  /**
   * Reads a value from a property file (a JSON file a processing step writes) when the
   * pipeline runs (`Std:JsonGet`), e.g. `metrics.auc.value`.
   *
   * @param propertyFile the property file, declared on a processing step
   * @param jsonPath the JSON path inside the file, e.g. `metrics.auc.value`
   * @param valueType the type the value has, for condition type checks
   * @default valueType PipelineValueType.FLOAT
   */
  public static jsonGet(propertyFile: PropertyFile, jsonPath: string, valueType?: PipelineValueType): PipelineValue {
    if (!isUnresolved(jsonPath) && (jsonPath.length === 0 || /\s/.test(jsonPath))) {
      throw invalidProp('PipelineValue.jsonGet(jsonPath)', jsonPath, 'It must be a non-empty JSON path without spaces, e.g. "metrics.auc.value".');
    }
    return new JsonGetValue(propertyFile, jsonPath, valueType ?? PipelineValueType.FLOAT);
  }

  /**
   * The pipeline value a string or number from `asString()` / `asNumber()` stands for, or
   * `undefined` when it is not one.
   *
   * @internal
   */
  public static _fromToken(value: unknown): PipelineValue | undefined {
    if (typeof value === 'number') {
      const token = Tokenization.reverseNumber(value);
      return token instanceof ValueToken ? token.value : undefined;
    }
    if (typeof value === 'string' && Token.isUnresolved(value)) {
      const fragments = Tokenization.reverseString(value);
      if (fragments.length === 1 && fragments.firstToken instanceof ValueToken) {
        return fragments.firstToken.value;
      }
      if (fragments.tokens.some(t => t instanceof ValueToken)) {
        return new JoinValue('', [value]);
      }
    }
    return undefined;
  }

  /** The type of the value. */
  public readonly valueType: PipelineValueType;

  protected constructor(valueType: PipelineValueType) {
    this.valueType = valueType;
  }

  /**
   * The value as a string for a string prop. A number or boolean value is converted when
   * the pipeline runs (`Std:Join` of the value alone), as the SageMaker Python SDK's
   * `to_string()` does.
   */
  public asString(): string {
    if (this.valueType === PipelineValueType.STRING) {
      return Token.asString(new ValueToken(this));
    }
    return Token.asString(new ValueToken(new JoinValue('', [this])));
  }

  /**
   * The value as a number for a numeric prop (e.g. `instanceCount`). Only for Integer and
   * Float values.
   */
  public asNumber(): number {
    if (this.valueType !== PipelineValueType.INTEGER && this.valueType !== PipelineValueType.FLOAT) {
      throw invalidProp('PipelineValue.asNumber()', this.valueType, 'Only Integer and Float values can be used as numbers.');
    }
    return Token.asNumber(new ValueToken(this));
  }

  /**
   * Renders the value as definition JSON and records what it refers to.
   *
   * @internal
   */
  public abstract _render(collector: ReferenceCollector): unknown;
}

/** A literal. */
class LiteralValue extends PipelineValue {
  constructor(valueType: PipelineValueType, private readonly literal: unknown) {
    super(valueType);
  }

  public _render(collector: ReferenceCollector): unknown {
    return renderValue(this.literal, collector);
  }
}

/**
 * A `{"Get": path}` reference. Internal: made by steps, parameters and execution variables.
 */
export class GetValue extends PipelineValue {
  constructor(valueType: PipelineValueType, public readonly path: string, private readonly target?: IStepLike, private readonly why?: string) {
    super(valueType);
  }

  public _render(collector: ReferenceCollector): unknown {
    if (this.target) {
      collector.step(this.target, this.why ?? this.path);
    }
    return { Get: this.path };
  }
}

/** `Std:Join`. */
class JoinValue extends PipelineValue {
  constructor(private readonly separator: string, private readonly values: unknown[]) {
    super(PipelineValueType.STRING);
  }

  public _render(collector: ReferenceCollector): unknown {
    const parts: unknown[] = [];
    for (const value of this.values) {
      if (value instanceof PipelineValue) {
        parts.push(value._render(collector));
      } else if (typeof value === 'string') {
        // One value stays one value: a string mixing text and pipeline values becomes a
        // nested join without separator, never several values with the separator between.
        const pieces = stringParts(value, collector);
        parts.push(pieces.length === 0 ? '' : pieces.length === 1 ? pieces[0] : { 'Std:Join': { On: '', Values: unwrapToString(pieces) } });
      } else {
        parts.push(renderValue(value, collector));
      }
    }
    return { 'Std:Join': { On: this.separator, Values: unwrapToString(parts) } };
  }
}

/**
 * Inside a join every value becomes a string anyway, so a nested to-string join (`On: ""`
 * with one value, what `asString()` makes of a number) is replaced by its value.
 */
function unwrapToString(parts: unknown[]): unknown[] {
  return parts.map(part => {
    const join = (part as { 'Std:Join'?: { On: string; Values: unknown[] } } | undefined)?.['Std:Join'];
    return join && join.On === '' && join.Values.length === 1 ? join.Values[0] : part;
  });
}

/** `Std:JsonGet`. */
class JsonGetValue extends PipelineValue {
  constructor(private readonly file: PropertyFile, private readonly jsonPath: string, valueType: PipelineValueType) {
    super(valueType);
  }

  public _render(collector: ReferenceCollector): unknown {
    collector.propertyFile(this.file);
    const step = this.file._step;
    if (!step) {
      throw invalidProp('PipelineValue.jsonGet(propertyFile)', this.file.propertyFileName,
        'The property file is not declared on any step; pass it in a ProcessingStep\'s propertyFiles.');
    }
    collector.step(step, `property file '${this.file.propertyFileName}'`);
    return {
      'Std:JsonGet': {
        PropertyFile: { Get: `Steps.${step.stepName}.PropertyFiles.${this.file.propertyFileName}` },
        Path: this.jsonPath,
      },
    };
  }
}

/** The CDK token a pipeline value travels as inside a string or number prop. */
class ValueToken implements IResolvable {
  public readonly creationStack: string[] = [];
  public readonly typeHint = undefined;

  constructor(public readonly value: PipelineValue) {}

  public resolve(_context: IResolveContext): unknown {
    return this.value._render(NO_COLLECTOR);
  }

  public toString(): string {
    return Token.asString(this);
  }
}

/** Splits a string with tokens into literal parts, CDK tokens and rendered pipeline values. */
function stringParts(value: string, collector: ReferenceCollector): unknown[] {
  if (!Token.isUnresolved(value)) {
    return [value];
  }
  const parts: unknown[] = [];
  const fragments = Tokenization.reverseString(value);
  const items: unknown[] = fragments.length === 1 ? [fragments.firstValue] : flatten(fragments.join({
    join: (left: unknown, right: unknown) => new Parts([...flatten(left), ...flatten(right)]),
  }));
  for (const raw of items) {
    // Token fragments come back as their token strings; turn each back into its token.
    let item: unknown = raw;
    if (typeof raw === 'string' && Token.isUnresolved(raw)) {
      const single = Tokenization.reverseString(raw);
      if (single.length === 1 && single.firstToken) {
        item = single.firstToken;
      }
    }
    if (item instanceof ValueToken) {
      parts.push(item.value._render(collector));
    } else if (Tokenization.isResolvable(item)) {
      parts.push(Token.asString(item));
    } else {
      parts.push(item);
    }
  }
  // Merge adjacent plain strings (CDK tokens stay strings and merge too).
  const merged: unknown[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (typeof part === 'string' && typeof last === 'string') {
      merged[merged.length - 1] = last + part;
    } else {
      merged.push(part);
    }
  }
  return merged;
}

class Parts {
  constructor(public readonly items: unknown[]) {}
}

function flatten(value: unknown): unknown[] {
  return value instanceof Parts ? value.items : [value];
}

/**
 * Renders any argument tree: pipeline values and pipeline tokens become their JSON
 * functions (recording references), CDK tokens stay for CloudFormation. Internal.
 */
export function renderValue(value: unknown, collector: ReferenceCollector): unknown {
  if (value === undefined || value === null) {
    return value;
  }
  if (value instanceof PipelineValue) {
    return value._render(collector);
  }
  if (isRenderable(value)) {
    return renderValue(value._render(collector), collector);
  }
  if (typeof value === 'string') {
    const parts = stringParts(value, collector);
    if (parts.length === 1) {
      return parts[0];
    }
    if (parts.length === 0) {
      return '';
    }
    return { 'Std:Join': { On: '', Values: unwrapToString(parts) } };
  }
  if (typeof value === 'number') {
    const token = Tokenization.reverseNumber(value);
    if (token instanceof ValueToken) {
      return token.value._render(collector);
    }
    return value;
  }
  if (Array.isArray(value)) {
    return value.map(v => renderValue(v, collector));
  }
  if (typeof value === 'object' && !Tokenization.isResolvable(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) {
        out[k] = renderValue(v, collector);
      }
    }
    return out;
  }
  return value;
}

/** Something that renders itself with a collector (steps, conditions). Internal. */
interface Renderable {
  _render(collector: ReferenceCollector): unknown;
}

function isRenderable(value: unknown): value is Renderable {
  return typeof value === 'object' && value !== null && typeof (value as Renderable)._render === 'function';
}

/** The most values a String parameter's `allowedValues` (`EnumValues`) may list. */
const MAX_ALLOWED_VALUES = 16;

/** Properties of a string parameter. */
export interface StringParameterProps {
  /**
   * The value used when an execution does not set the parameter. With `allowedValues`, it
   * must be one of them.
   *
   * @default - no default: every execution must set it
   */
  readonly defaultValue?: string;

  /**
   * The only values an execution may set (`EnumValues` in the definition, what the SageMaker
   * Python SDK renders for `ParameterString(enum_values=[...])`), 1 to 16 distinct strings.
   *
   * Required for a parameter that is a job's instance type
   * (`JobInstanceType.fromParameter`): the pipeline encrypts job volumes with its KMS key
   * (`VolumeKmsKeyId`), which SageMaker rejects on instance types with NVMe instance storage,
   * so synthesis checks that the allowed types either all lack instance storage (the job
   * carries the key) or all have it (the job carries none; the hardware encrypts the
   * instance store).
   *
   * @default - any string
   */
  readonly allowedValues?: string[];

  /**
   * What the parameter is for.
   *
   * @default - no description
   */
  readonly description?: string;
}

/** Properties of an integer parameter. */
export interface IntegerParameterProps {
  /**
   * The value used when an execution does not set the parameter. A whole number.
   *
   * @default - no default: every execution must set it
   */
  readonly defaultValue?: number;

  /**
   * What the parameter is for.
   *
   * @default - no description
   */
  readonly description?: string;
}

/** Properties of a float parameter. */
export interface FloatParameterProps {
  /**
   * The value used when an execution does not set the parameter.
   *
   * @default - no default: every execution must set it
   */
  readonly defaultValue?: number;

  /**
   * What the parameter is for.
   *
   * @default - no description
   */
  readonly description?: string;
}

/** Properties of a boolean parameter. */
export interface BooleanParameterProps {
  /**
   * The value used when an execution does not set the parameter.
   *
   * @default - no default: every execution must set it
   */
  readonly defaultValue?: boolean;

  /**
   * What the parameter is for.
   *
   * @default - no description
   */
  readonly description?: string;
}

/**
 * A pipeline parameter: a typed value each execution may set (`StartPipelineExecution`
 * `PipelineParameters`), rendered as `{"Get": "Parameters.<name>"}` where it is used. Add it
 * to the pipeline's `parameters`.
 *
 * @example
 * const threshold = PipelineParameter.floatParameter('AucThreshold', { defaultValue: 0.75 });
 * const instanceCount = PipelineParameter.integerParameter('TrainingInstanceCount', { defaultValue: 1 });
 * const instanceType = PipelineParameter.stringParameter('TrainingInstanceType', {
 *   defaultValue: 'ml.m5.large',
 *   allowedValues: ['ml.m5.large', 'ml.m5.xlarge', 'ml.m5.2xlarge'],
 * });
 */
export class PipelineParameter extends PipelineValue {
  /** A string parameter, optionally limited to `allowedValues`. */
  public static stringParameter(name: string, props: StringParameterProps = {}): PipelineParameter {
    if (props.defaultValue !== undefined && !isUnresolved(props.defaultValue) && props.defaultValue.length > 4096) {
      throw invalidProp(`PipelineParameter(${name}).defaultValue`, `${props.defaultValue.slice(0, 40)}...`, 'A string default may be at most 4,096 characters.');
    }
    const allowed = props.allowedValues;
    if (allowed !== undefined) {
      const label = `PipelineParameter(${name}).allowedValues`;
      // SageMaker accepts at most 16 enum values per parameter (aws/sagemaker-python-sdk#2314).
      if (allowed.length < 1 || allowed.length > MAX_ALLOWED_VALUES) {
        throw invalidProp(label, allowed, `List 1 to ${MAX_ALLOWED_VALUES} values, or leave it out to allow any string.`);
      }
      for (const value of allowed) {
        if (!isUnresolved(value) && (value.length === 0 || value.length > 4096)) {
          throw invalidProp(label, value, 'Each allowed value must be 1 to 4,096 characters.');
        }
      }
      const duplicates = allowed.filter((v, i) => !isUnresolved(v) && allowed.indexOf(v) !== i);
      if (duplicates.length > 0) {
        throw invalidProp(label, duplicates, 'Allowed values must be distinct.');
      }
      const checkable = props.defaultValue !== undefined && !isUnresolved(props.defaultValue) && !allowed.some(v => isUnresolved(v));
      if (checkable && !allowed.includes(props.defaultValue!)) {
        throw invalidProp(`PipelineParameter(${name}).defaultValue`, props.defaultValue,
          `It must be one of the parameter's allowedValues (${allowed.join(', ')}).`);
      }
    }
    return new PipelineParameter(name, PipelineValueType.STRING, props.defaultValue, props.description, allowed ? [...allowed] : undefined);
  }

  /** An integer parameter. */
  public static integerParameter(name: string, props: IntegerParameterProps = {}): PipelineParameter {
    if (props.defaultValue !== undefined && !Number.isInteger(props.defaultValue)) {
      throw invalidProp(`PipelineParameter(${name}).defaultValue`, props.defaultValue, 'An Integer parameter\'s default must be a whole number.');
    }
    return new PipelineParameter(name, PipelineValueType.INTEGER, props.defaultValue, props.description);
  }

  /** A floating-point parameter. */
  public static floatParameter(name: string, props: FloatParameterProps = {}): PipelineParameter {
    if (props.defaultValue !== undefined && !Number.isFinite(props.defaultValue)) {
      throw invalidProp(`PipelineParameter(${name}).defaultValue`, props.defaultValue, 'A Float parameter\'s default must be a finite number.');
    }
    return new PipelineParameter(name, PipelineValueType.FLOAT, props.defaultValue, props.description);
  }

  /** A boolean parameter. */
  public static booleanParameter(name: string, props: BooleanParameterProps = {}): PipelineParameter {
    return new PipelineParameter(name, PipelineValueType.BOOLEAN, props.defaultValue, props.description);
  }

  /** The parameter's name. */
  public readonly parameterName: string;
  /** What the parameter is for, if described. */
  public readonly description?: string;
  /** The only values an execution may set (String parameters with `allowedValues`), if limited. */
  public readonly allowedValues?: string[];
  private readonly defaultValue?: unknown;

  private constructor(name: string, valueType: PipelineValueType, defaultValue: unknown, description: string | undefined, allowedValues?: string[]) {
    super(valueType);
    NameRule.PIPELINE_STEP.validate('PipelineParameter.name', name);
    if (description !== undefined && description.length > 4096) {
      throw invalidProp(`PipelineParameter(${name}).description`, `${description.slice(0, 40)}...`, 'A description may be at most 4,096 characters.');
    }
    this.parameterName = name;
    this.defaultValue = defaultValue;
    this.description = description;
    this.allowedValues = allowedValues;
  }

  /** @internal */
  public _render(collector: ReferenceCollector): unknown {
    collector.parameter(this);
    return { Get: `Parameters.${this.parameterName}` };
  }

  /**
   * The parameter's entry in the definition's `Parameters`.
   *
   * @internal
   */
  public _renderDeclaration(): Record<string, unknown> {
    return {
      Name: this.parameterName,
      Type: this.valueType,
      ...(this.defaultValue !== undefined ? { DefaultValue: this.defaultValue } : {}),
      ...(this.allowedValues !== undefined ? { EnumValues: [...this.allowedValues] } : {}),
      ...(this.description !== undefined ? { Description: this.description } : {}),
    };
  }
}

/**
 * Values of the running execution (`{"Get": "Execution.<name>"}`).
 *
 * `START_DATE_TIME` and `CURRENT_DATE_TIME` change every execution: a step whose arguments use
 * them never hits the step cache.
 */
export class ExecutionVariable {
  /** The execution's id (`Execution.PipelineExecutionId`), e.g. for per-execution S3 prefixes. */
  public static readonly PIPELINE_EXECUTION_ID: PipelineValue = new GetValue(PipelineValueType.STRING, 'Execution.PipelineExecutionId');
  /** The execution's ARN (`Execution.PipelineExecutionArn`). */
  public static readonly PIPELINE_EXECUTION_ARN: PipelineValue = new GetValue(PipelineValueType.STRING, 'Execution.PipelineExecutionArn');
  /** The pipeline's name (`Execution.PipelineName`). */
  public static readonly PIPELINE_NAME: PipelineValue = new GetValue(PipelineValueType.STRING, 'Execution.PipelineName');
  /** The pipeline's ARN (`Execution.PipelineArn`). */
  public static readonly PIPELINE_ARN: PipelineValue = new GetValue(PipelineValueType.STRING, 'Execution.PipelineArn');
  /** When the execution started (`Execution.StartDateTime`). Defeats step caching. */
  public static readonly START_DATE_TIME: PipelineValue = new GetValue(PipelineValueType.STRING, 'Execution.StartDateTime');
  /** The time a step starts (`Execution.CurrentDateTime`). Defeats step caching. */
  public static readonly CURRENT_DATE_TIME: PipelineValue = new GetValue(PipelineValueType.STRING, 'Execution.CurrentDateTime');

  private constructor() {}
}

/** Properties of a {@link PropertyFile}. */
export interface PropertyFileProps {
  /** The property file's name, used in `Std:JsonGet` (`Steps.<step>.PropertyFiles.<name>`). */
  readonly propertyFileName: string;

  /** The name of the processing output the file is written to. */
  readonly outputName: string;

  /** The file's path relative to that output's local directory, e.g. `evaluation.json`. */
  readonly filePath: string;
}

/**
 * A JSON file a processing step writes to one of its outputs, whose values later steps read
 * with {@link PipelineValue.jsonGet} (e.g. a condition on an evaluation metric). Declare it
 * in the step's `propertyFiles`.
 */
export class PropertyFile {
  /** The property file's name. */
  public readonly propertyFileName: string;
  /** The processing output the file is written to. */
  public readonly outputName: string;
  /** The file's path relative to the output's local directory. */
  public readonly filePath: string;

  /** @internal */
  public _step?: IStepLike;

  constructor(props: PropertyFileProps) {
    NameRule.PIPELINE_STEP.validate('PropertyFileProps.propertyFileName', props.propertyFileName);
    if (!isUnresolved(props.filePath) && (props.filePath.length === 0 || props.filePath.startsWith('/'))) {
      throw invalidProp('PropertyFileProps.filePath', props.filePath, 'It must be a non-empty path relative to the output\'s local directory, e.g. "evaluation.json".');
    }
    this.propertyFileName = props.propertyFileName;
    this.outputName = props.outputName;
    this.filePath = props.filePath;
  }

  /**
   * Reads a value from this file when the pipeline runs. Same as {@link PipelineValue.jsonGet}.
   *
   * @param jsonPath e.g. `metrics.auc.value`
   * @param valueType the type of the value
   * @default valueType PipelineValueType.FLOAT
   */
  public get(jsonPath: string, valueType?: PipelineValueType): PipelineValue {
    return PipelineValue.jsonGet(this, jsonPath, valueType);
  }
}
