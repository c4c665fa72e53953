import { isUnresolved, invalidProp } from './validation';

/**
 * Properties of a {@link NameRule}.
 */
export interface NameRuleProps {
  /**
   * What the rule names, used in error messages, e.g. `SageMaker endpoint name`.
   */
  readonly description: string;

  /**
   * Shortest allowed name, in characters.
   *
   * @default 1
   */
  readonly minLength?: number;

  /**
   * Longest allowed name, in characters.
   */
  readonly maxLength: number;

  /**
   * A regular expression the whole name must match. Write it anchored (`^...$`).
   */
  readonly pattern: string;

  /**
   * The allowed characters and shape in words, shown to the user when the pattern fails.
   */
  readonly patternDescription: string;

  /**
   * Names that match the pattern but are reserved by the service.
   *
   * @default - no reserved names
   */
  readonly reserved?: string[];
}

/**
 * A naming rule of an AWS API (length, pattern, reserved words), checked at synth time.
 *
 * The predefined rules come from the CloudFormation resource schemas and API references
 * collected in the project's reference data (`QUOTAS.md`). Several CloudFormation patterns
 * are not anchored; these rules are, and check length separately.
 *
 * @example
 * NameRule.SAGEMAKER_RESOURCE.validate('EndpointProps.endpointName', 'churn-endpoint');
 */
export class NameRule {
  /**
   * SageMaker endpoint, endpoint config, model package group, monitoring schedule and job
   * definition names: 1 to 63 letters, digits and hyphens, starting and ending with a
   * letter or digit. Underscores are not allowed.
   */
  public static readonly SAGEMAKER_RESOURCE = new NameRule({
    description: 'SageMaker resource name',
    maxLength: 63,
    pattern: '^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$',
    patternDescription: 'letters, digits and hyphens, starting and ending with a letter or digit (no underscores)',
  });

  /**
   * SageMaker model names: 1 to 63 letters, digits and hyphens, starting and ending with a
   * letter or digit.
   */
  public static readonly SAGEMAKER_MODEL = new NameRule({
    description: 'SageMaker model name',
    maxLength: 63,
    pattern: '^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?$',
    patternDescription: 'letters, digits and hyphens, starting and ending with a letter or digit (no underscores)',
  });

  /**
   * SageMaker pipeline names (CreatePipeline `PipelineName`): 1 to 256 letters, digits and
   * hyphens, starting and ending with a letter or digit.
   */
  public static readonly SAGEMAKER_PIPELINE = new NameRule({
    description: 'SageMaker pipeline name',
    maxLength: 256,
    pattern: '^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$',
    patternDescription: 'letters, digits and hyphens, starting and ending with a letter or digit (no underscores)',
  });

  /**
   * Step and parameter names inside a pipeline definition: 1 to 64 letters, digits,
   * hyphens and underscores.
   */
  public static readonly PIPELINE_STEP = new NameRule({
    description: 'pipeline step or parameter name',
    maxLength: 64,
    pattern: '^[A-Za-z0-9\\-_]{1,64}$',
    patternDescription: 'letters, digits, hyphens and underscores',
  });

  /**
   * Feature group names (CreateFeatureGroup): 1 to 64 letters, digits, hyphens and
   * underscores, starting and ending with a letter or digit.
   */
  public static readonly FEATURE_GROUP = new NameRule({
    description: 'feature group name',
    maxLength: 64,
    pattern: '^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$',
    patternDescription: 'letters, digits, hyphens and underscores, starting and ending with a letter or digit',
  });

  /**
   * Feature names: 1 to 64 letters, digits, hyphens and underscores, starting and ending
   * with a letter or digit, and not one of Feature Store's reserved names.
   */
  public static readonly FEATURE = new NameRule({
    description: 'feature name',
    maxLength: 64,
    pattern: '^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$',
    patternDescription: 'letters, digits, hyphens and underscores, starting and ending with a letter or digit',
    reserved: ['is_deleted', 'write_time', 'api_invocation_time'],
  });

  /**
   * An S3 key prefix used for a data-lake zone: 1 to 200 characters of letters, digits,
   * `-`, `_`, `.`, `=` and `/`, not starting with `/`, ending with `/`.
   */
  public static readonly S3_KEY_PREFIX = new NameRule({
    description: 'S3 key prefix',
    maxLength: 200,
    pattern: '^[a-zA-Z0-9_\\-.=][a-zA-Z0-9_\\-.=/]*/$',
    patternDescription: 'letters, digits, "-", "_", ".", "=" and "/", not starting with "/" and ending with "/"',
  });

  /**
   * A rule of your own.
   */
  public static of(props: NameRuleProps): NameRule {
    return new NameRule(props);
  }

  /** What the rule names. */
  public readonly description: string;
  /** Shortest allowed length. */
  public readonly minLength: number;
  /** Longest allowed length. */
  public readonly maxLength: number;
  /** The anchored pattern. */
  public readonly pattern: string;

  private readonly regex: RegExp;
  private readonly patternDescription: string;
  private readonly reserved: string[];

  private constructor(props: NameRuleProps) {
    this.description = props.description;
    this.minLength = props.minLength ?? 1;
    this.maxLength = props.maxLength;
    this.pattern = props.pattern;
    this.regex = new RegExp(props.pattern);
    this.patternDescription = props.patternDescription;
    this.reserved = props.reserved ?? [];
  }

  /**
   * Returns what is wrong with a name, or `undefined` when it is valid (or an unresolved
   * token, which cannot be checked at synth time).
   */
  public problemWith(name: string): string | undefined {
    if (isUnresolved(name)) {
      return undefined;
    }
    if (name.length < this.minLength || name.length > this.maxLength) {
      return `A ${this.description} must be ${this.minLength} to ${this.maxLength} characters long (this one has ${name.length}).`;
    }
    if (!this.regex.test(name)) {
      return `A ${this.description} may contain only ${this.patternDescription}.`;
    }
    if (this.reserved.includes(name)) {
      return `'${name}' is reserved by the service; a ${this.description} may not be ${this.reserved.map(r => `'${r}'`).join(', ')}.`;
    }
    return undefined;
  }

  /**
   * Throws an error naming the prop, the value and the rule when a name breaks the rule.
   * Unresolved tokens are skipped.
   *
   * @param prop the prop being checked, as the user wrote it (e.g. `FeatureGroupProps.featureGroupName`)
   * @param name the name to check
   */
  public validate(prop: string, name: string): void {
    const problem = this.problemWith(name);
    if (problem) {
      throw invalidProp(prop, name, problem);
    }
  }
}
