import { Arn, ArnFormat, Lazy, Names, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { IModelPackageGroup, ModelApprovalStatus } from './model-package-group-ref';
import { acknowledgeWildcardResources } from '../security/acknowledge';
import { NameRule } from '../security/names';
import { invalidProp, isUnresolved } from '../security/validation';

/**
 * Actions that register a model package version, as a pipeline's RegisterModel step does:
 * create it (tags included) and read the group and its versions.
 */
const REGISTER_ACTIONS = [
  'sagemaker:CreateModelPackage',
  'sagemaker:AddTags',
  'sagemaker:DescribeModelPackageGroup',
  'sagemaker:DescribeModelPackage',
  'sagemaker:ListModelPackages',
];

/** Actions that read the group and its versions. */
const READ_ACTIONS = [
  'sagemaker:DescribeModelPackageGroup',
  'sagemaker:DescribeModelPackage',
  'sagemaker:ListModelPackages',
];

/** Actions that approve or reject a version (`UpdateModelPackage` sets `ModelApprovalStatus`). */
const APPROVE_ACTIONS = [
  'sagemaker:UpdateModelPackage',
  ...READ_ACTIONS,
];

/** Longest model package group description (CFN schema `ModelPackageGroupDescription.maxLength`). */
const MAX_DESCRIPTION_LENGTH = 1024;

/** The CFN schema's description pattern: letters, marks, separators, symbols, digits, punctuation. */
const DESCRIPTION_PATTERN = /^[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*$/u;

/**
 * The EventBridge `detail-type` of model package events. Source: SageMaker Developer Guide,
 * "Events that Amazon SageMaker AI sends to Amazon EventBridge", section "Model package state
 * change" (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html#eventbridge-model-package).
 */
const MODEL_PACKAGE_STATE_CHANGE = 'SageMaker Model Package State Change';

/**
 * Properties of a {@link ModelPackageGroup}.
 */
export interface ModelPackageGroupProps {
  /**
   * The group's name: 1 to 63 letters, digits and hyphens, starting and ending with a letter
   * or digit. Changing it replaces the group.
   *
   * @default - a unique lower-case name derived from the construct path
   */
  readonly modelPackageGroupName?: string;

  /**
   * What the group holds. Up to 1,024 characters, no control characters (such as line
   * breaks). Changing it replaces the group.
   *
   * @default - no description
   */
  readonly description?: string;

  /**
   * Principals, typically of other accounts (`new iam.AccountPrincipal('222222222222')`), that
   * may describe the group and describe and list its model package versions, through the
   * group's resource policy (`ModelPackageGroupPolicy`). They also need read access to the
   * model artifacts in S3 and their KMS key, which this group does not grant.
   *
   * @default - no resource policy statement for readers
   */
  readonly readPrincipals?: iam.IPrincipal[];

  /**
   * What happens to the group (and so its registered versions' records) when it leaves the
   * stack. `RemovalPolicy.SNAPSHOT` is not supported by this resource.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Grants, resource policy and events shared by owned and imported groups, written only
 * against the group's name and ARN.
 */
abstract class ModelPackageGroupBase extends Resource implements IModelPackageGroup {
  public abstract readonly modelPackageGroupName: string;
  public abstract readonly modelPackageGroupArn: string;

  /** The group's resource policy, when the group is ours to change. */
  protected abstract readonly resourcePolicy?: iam.PolicyDocument;

  /**
   * Adds a statement to the group's resource policy (`ModelPackageGroupPolicy`). Imported
   * groups are not ours to change: the statement is then not added.
   */
  public addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    if (!this.resourcePolicy) {
      return { statementAdded: false };
    }
    this.resourcePolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this };
  }

  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    const resourceArns = this.resourceArns();
    acknowledgeWildcardResources(grantee, resourceArns.filter(arn => arn.endsWith('/*')),
      'Model package versions are numbered by SageMaker as they are registered (model-package/<group>/<version>), ' +
      'so they can only be named by the group prefix; this grant is limited to the versions of one model package group.');
    return iam.Grant.addToPrincipalOrResource({
      grantee,
      actions,
      resourceArns,
      resourceSelfArns: resourceArns,
      resource: this,
    });
  }

  public grantRegister(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ...REGISTER_ACTIONS);
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ...READ_ACTIONS);
  }

  public grantApprove(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ...APPROVE_ACTIONS);
  }

  /**
   * An EventBridge rule for every "SageMaker Model Package State Change" event of the
   * group's model package versions: `source` `aws.sagemaker`, `detail-type`
   * `SageMaker Model Package State Change`, `detail.ModelPackageGroupName` the group's name.
   * Other fields of `detail` include `ModelPackageName`, `ModelPackageArn`,
   * `ModelPackageVersion`, `ModelPackageStatus` and `ModelApprovalStatus` (`Approved`,
   * `Rejected`, `PendingManualApproval`); see the SageMaker Developer Guide, "Events that
   * Amazon SageMaker AI sends to Amazon EventBridge", "Model package state change", and the
   * API reference's `ModelPackageSummary`. Events arrive on the default bus of the group's
   * account and region.
   */
  public onStateChange(id: string, options: events.OnEventOptions = {}): events.Rule {
    return this.ruleFor(id, options, {});
  }

  /**
   * An EventBridge rule for the group's model package versions reaching an approval status:
   * the state change pattern of `onStateChange` plus `detail.ModelApprovalStatus`. SageMaker
   * may send several events for one change, so targets should be idempotent.
   */
  public onApprovalStatusChange(id: string, status: ModelApprovalStatus, options: events.OnEventOptions = {}): events.Rule {
    return this.ruleFor(id, options, { ModelApprovalStatus: [status] });
  }

  /**
   * An EventBridge rule for the group's model package versions being approved
   * (`detail.ModelApprovalStatus` `Approved`), e.g. to deploy the approved version.
   */
  public onApproved(id: string, options: events.OnEventOptions = {}): events.Rule {
    return this.onApprovalStatusChange(id, ModelApprovalStatus.APPROVED, options);
  }

  private ruleFor(id: string, options: events.OnEventOptions, detail: Record<string, unknown>): events.Rule {
    const rule = new events.Rule(this, id, options);
    rule.addEventPattern({
      source: ['aws.sagemaker'],
      detailType: [MODEL_PACKAGE_STATE_CHANGE],
      detail: { ModelPackageGroupName: [this.modelPackageGroupName], ...detail },
    });
    rule.addTarget(options.target);
    return rule;
  }

  /**
   * The group and its versions (`model-package/<group>/*`), in the group's account and
   * region, built from the name (never from the resource's attributes, so the group's own
   * resource policy can name them without a cycle). SageMaker may write a version's ARN with
   * the name in lower case, so a name with capitals gets both spellings.
   */
  protected resourceArns(): string[] {
    const stack = Stack.of(this);
    const names = [this.modelPackageGroupName];
    if (!Token.isUnresolved(this.modelPackageGroupName) && this.modelPackageGroupName.toLowerCase() !== this.modelPackageGroupName) {
      names.push(this.modelPackageGroupName.toLowerCase());
    }
    const arns: string[] = [];
    for (const resource of ['model-package-group', 'model-package']) {
      for (const name of names) {
        arns.push(stack.formatArn({
          service: 'sagemaker',
          account: this.env.account,
          region: this.env.region,
          resource,
          resourceName: resource === 'model-package' ? `${name}/*` : name,
        }));
      }
    }
    return arns;
  }
}

/**
 * A SageMaker Model Registry model package group: the versioned models a training pipeline
 * registers, with approval events to deploy from.
 *
 * Secure defaults: RETAIN on removal; no resource policy unless `readPrincipals` or a
 * cross-account grant adds one; grants scoped to the group and `model-package/<group>/*`.
 * The group has no KMS setting: the registered versions reference model artifacts in S3,
 * encrypted with the data lake's key. Tag it with `Tags.of(group).add(key, value)`.
 *
 * @example
 * const group = new ModelPackageGroup(this, 'Churn', { modelPackageGroupName: 'churn-xgboost' });
 * group.grantRegister(pipelineRole);
 * group.onApproved('Deploy', { target: deployTarget });
 */
export class ModelPackageGroup extends ModelPackageGroupBase {
  /**
   * Imports a group of this account and region by name.
   */
  public static fromModelPackageGroupName(scope: Construct, id: string, modelPackageGroupName: string): IModelPackageGroup {
    NameRule.SAGEMAKER_RESOURCE.validate('ModelPackageGroup.fromModelPackageGroupName(modelPackageGroupName)', modelPackageGroupName);
    class Import extends ModelPackageGroupBase {
      public readonly modelPackageGroupName = modelPackageGroupName;
      public readonly modelPackageGroupArn = Stack.of(scope).formatArn({
        service: 'sagemaker',
        resource: 'model-package-group',
        resourceName: modelPackageGroupName,
      });
      protected readonly resourcePolicy = undefined;
    }
    return new Import(scope, id);
  }

  /**
   * Imports a group by ARN (`arn:<partition>:sagemaker:<region>:<account>:model-package-group/<name>`),
   * possibly of another account or region.
   */
  public static fromModelPackageGroupArn(scope: Construct, id: string, modelPackageGroupArn: string): IModelPackageGroup {
    const components = Arn.split(modelPackageGroupArn, ArnFormat.SLASH_RESOURCE_NAME);
    if (!Token.isUnresolved(modelPackageGroupArn)) {
      if (components.service !== 'sagemaker' || components.resource !== 'model-package-group' || !components.resourceName) {
        throw invalidProp('ModelPackageGroup.fromModelPackageGroupArn(modelPackageGroupArn)', modelPackageGroupArn,
          'It must be a model package group ARN: arn:<partition>:sagemaker:<region>:<account>:model-package-group/<name>.');
      }
      NameRule.SAGEMAKER_RESOURCE.validate('ModelPackageGroup.fromModelPackageGroupArn(modelPackageGroupArn) name', components.resourceName);
    }
    class Import extends ModelPackageGroupBase {
      public readonly modelPackageGroupName = components.resourceName!;
      public readonly modelPackageGroupArn = modelPackageGroupArn;
      protected readonly resourcePolicy = undefined;
    }
    return new Import(scope, id, { environmentFromArn: modelPackageGroupArn });
  }

  /**
   * The group's name.
   *
   * @attribute
   */
  public readonly modelPackageGroupName: string;

  /**
   * The group's ARN.
   *
   * @attribute
   */
  public readonly modelPackageGroupArn: string;

  /** The group's resource policy (rendered only when it has a statement). */
  protected readonly resourcePolicy: iam.PolicyDocument;

  constructor(scope: Construct, id: string, props: ModelPackageGroupProps = {}) {
    super(scope, id);
    validateProps(props);

    // CloudFormation requires a name; `Ref` returns the ARN, so the name is kept literal.
    this.modelPackageGroupName = props.modelPackageGroupName
      ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).toLowerCase();
    this.resourcePolicy = new iam.PolicyDocument();

    const resource = new sagemaker.CfnModelPackageGroup(this, 'Resource', {
      modelPackageGroupName: this.modelPackageGroupName,
      modelPackageGroupDescription: props.description,
      modelPackageGroupPolicy: Lazy.any({ produce: () => this.resourcePolicy.isEmpty ? undefined : this.resourcePolicy }),
    });
    resource.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);

    this.modelPackageGroupArn = this.getResourceArnAttribute(resource.attrModelPackageGroupArn, {
      service: 'sagemaker',
      resource: 'model-package-group',
      resourceName: this.modelPackageGroupName,
    });

    if (props.readPrincipals && props.readPrincipals.length > 0) {
      this.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'ReadPrincipals',
        principals: props.readPrincipals,
        actions: READ_ACTIONS,
        resources: this.resourceArns(),
      }));
    }

    this.node.addValidation({ validate: () => this.resourcePolicy.validateForResourcePolicy() });
  }
}

function validateProps(props: ModelPackageGroupProps): void {
  if (props.modelPackageGroupName !== undefined) {
    NameRule.SAGEMAKER_RESOURCE.validate('ModelPackageGroupProps.modelPackageGroupName', props.modelPackageGroupName);
  }
  const description = props.description;
  if (description !== undefined && !isUnresolved(description)) {
    if (description.length > MAX_DESCRIPTION_LENGTH) {
      throw invalidProp('ModelPackageGroupProps.description', description.length > 80 ? `${description.slice(0, 77)}...` : description,
        `It must be at most ${MAX_DESCRIPTION_LENGTH} characters long (this one has ${description.length}).`);
    }
    if (!DESCRIPTION_PATTERN.test(description)) {
      throw invalidProp('ModelPackageGroupProps.description', description,
        'It may contain letters, digits, spaces, punctuation and symbols, but no control characters such as line breaks or tabs.');
    }
  }
  for (const principal of props.readPrincipals ?? []) {
    if (principal instanceof iam.StarPrincipal || principal instanceof iam.AnyPrincipal) {
      throw invalidProp('ModelPackageGroupProps.readPrincipals', principal.toString(),
        'It must name accounts, roles or users: a wildcard principal would let every AWS account read the registry.');
    }
  }
  if (props.removalPolicy === RemovalPolicy.SNAPSHOT) {
    throw invalidProp('ModelPackageGroupProps.removalPolicy', props.removalPolicy,
      'A model package group supports RemovalPolicy.RETAIN, RETAIN_ON_UPDATE_OR_DELETE and DESTROY, not SNAPSHOT.');
  }
}
