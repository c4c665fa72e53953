import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { invalidProp, isUnresolved } from '../security/validation';
import { PipelineCondition } from './conditions';
import { JobSettings, PipelineStep, StepBindContext, StepOptions } from './step';
import { PipelineValue, PipelineValueType } from './values';

/**
 * Step types a condition branch may hold, per the pipeline definition schema
 * (`ConditionStep.Arguments.IfSteps/ElseSteps`).
 */
const BRANCH_STEP_TYPES = ['Training', 'Fail', 'Processing', 'Transform', 'RegisterModel'];

/** Properties of a {@link ConditionStep}. */
export interface ConditionStepProps extends StepOptions {
  /** The conditions; the `if` branch runs when all hold. */
  readonly conditions: PipelineCondition[];

  /**
   * Steps run when all conditions hold. Only Training, Processing, Transform, RegisterModel
   * and Fail steps may sit in a branch; put other steps after the branch's steps (they
   * depend on them, so they run only when the branch ran).
   *
   * @default - none
   */
  readonly ifSteps?: PipelineStep[];

  /**
   * Steps run otherwise. Same step types as `ifSteps`.
   *
   * @default - none
   */
  readonly elseSteps?: PipelineStep[];
}

/**
 * A step that branches on conditions (`Type: Condition`). Its branch steps are part of the
 * pipeline through it: do not add them to the pipeline's steps as well.
 *
 * @example
 * new ConditionStep('CheckAuc', {
 *   conditions: [PipelineCondition.greaterThanOrEqualTo(evaluation.get('metrics.auc.value'), threshold)],
 *   ifSteps: [register],
 *   elseSteps: [new FailStep('AucTooLow', { errorMessage: 'AUC below threshold' })],
 * });
 */
export class ConditionStep extends PipelineStep {
  private readonly props: ConditionStepProps;

  constructor(stepName: string, props: ConditionStepProps) {
    super(stepName, 'Condition', props);
    const label = `ConditionStep(${stepName})`;
    if (props.conditions.length === 0) {
      throw invalidProp(`${label}.conditions`, props.conditions, 'Give at least one condition.');
    }
    const ifSteps = props.ifSteps ?? [];
    const elseSteps = props.elseSteps ?? [];
    if (ifSteps.length + elseSteps.length === 0) {
      throw invalidProp(`${label}.ifSteps`, ifSteps, 'Give at least one step in ifSteps or elseSteps.');
    }
    for (const [branch, steps] of [['ifSteps', ifSteps], ['elseSteps', elseSteps]] as const) {
      for (const step of steps) {
        if (!BRANCH_STEP_TYPES.includes(step.stepType)) {
          throw invalidProp(`${label}.${branch}`, `${step.stepName} (${step.stepType})`,
            `A condition branch may hold only ${BRANCH_STEP_TYPES.join(', ')} steps; put the step after the branch instead.`);
        }
      }
    }
    const all = [...ifSteps, ...elseSteps];
    const dup = all.find((s, i) => all.indexOf(s) !== i);
    if (dup) {
      throw invalidProp(`${label}.ifSteps`, dup.stepName, 'A step may appear in only one branch, once.');
    }
    this.props = props;
  }

  /** Whether the conditions held (`Outcome`), when the pipeline runs. */
  public get outcome(): PipelineValue {
    return this.property('Outcome', PipelineValueType.BOOLEAN);
  }

  /** The steps of both branches. */
  public get branchSteps(): PipelineStep[] {
    return [...(this.props.ifSteps ?? []), ...(this.props.elseSteps ?? [])];
  }

  /** Whether a step sits in one of this condition's branches. */
  public hasBranchStep(step: PipelineStep): boolean {
    return this.branchSteps.includes(step);
  }

  /** @internal */
  public _nestedSteps(): PipelineStep[] {
    return this.branchSteps;
  }

  /** @internal */
  protected _renderBody(_settings: JobSettings): Record<string, unknown> {
    return {
      Arguments: {
        Conditions: this.props.conditions,
        IfSteps: [...(this.props.ifSteps ?? [])],
        ElseSteps: [...(this.props.elseSteps ?? [])],
      },
    };
  }
}

/** Properties of a {@link FailStep}. */
export interface FailStepProps extends StepOptions {
  /**
   * Why the execution failed; may contain `asString()` values.
   *
   * @default - no message
   */
  readonly errorMessage?: string;
}

/** A step that stops the execution as failed (`Type: Fail`). */
export class FailStep extends PipelineStep {
  private readonly errorMessage?: string;

  constructor(stepName: string, props: FailStepProps = {}) {
    super(stepName, 'Fail', props);
    if (props.errorMessage !== undefined && !isUnresolved(props.errorMessage) && props.errorMessage.length > 3072) {
      throw invalidProp(`FailStep(${stepName}).errorMessage`, `${props.errorMessage.slice(0, 40)}...`, 'It may be at most 3,072 characters.');
    }
    this.errorMessage = props.errorMessage;
  }

  /** @internal */
  protected _renderBody(_settings: JobSettings): Record<string, unknown> {
    return { Arguments: this.errorMessage !== undefined ? { ErrorMessage: this.errorMessage } : {} };
  }
}

/** An output a Lambda step's function returns. */
export interface LambdaStepOutput {
  /** The key in the function's returned JSON object. */
  readonly outputName: string;

  /**
   * The output's type.
   *
   * @default PipelineValueType.STRING
   */
  readonly outputType?: PipelineValueType;
}

/** Properties of a {@link LambdaStep}. */
export interface LambdaStepProps extends StepOptions {
  /** The function to invoke. The pipeline's role may invoke it. */
  readonly lambdaFunction: lambda.IFunction;

  /**
   * The event passed to the function, as string values (may contain `asString()` values).
   *
   * @default - an empty event
   */
  readonly inputs?: { [name: string]: string };

  /**
   * The outputs the function returns, readable with `output(name)`.
   *
   * @default - none
   */
  readonly outputs?: LambdaStepOutput[];
}

/** A step that invokes a Lambda function (`Type: Lambda`). */
export class LambdaStep extends PipelineStep {
  private readonly props: LambdaStepProps;

  constructor(stepName: string, props: LambdaStepProps) {
    super(stepName, 'Lambda', props);
    const names = (props.outputs ?? []).map(o => o.outputName);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) {
      throw invalidProp(`LambdaStep(${stepName}).outputs`, dup, 'Output names must be unique.');
    }
    this.props = props;
  }

  /** An output of the function (`OutputParameters['<name>']`), when the pipeline runs. */
  public output(outputName: string): PipelineValue {
    const out = (this.props.outputs ?? []).find(o => o.outputName === outputName);
    if (!out) {
      throw invalidProp(`LambdaStep(${this.stepName}).output(outputName)`, outputName,
        `The step declares no such output; declared: ${(this.props.outputs ?? []).map(o => `'${o.outputName}'`).join(', ') || 'none'}.`);
    }
    return this.property(`OutputParameters['${outputName}']`, out.outputType ?? PipelineValueType.STRING);
  }

  /** @internal */
  public _bind(context: StepBindContext): void {
    // The step invokes exactly this ARN (no version or alias), so no wildcard is granted.
    iam.Grant.addToPrincipal({ grantee: context.role, actions: ['lambda:InvokeFunction'], resourceArns: [this.props.lambdaFunction.functionArn] });
  }

  /** @internal */
  protected _renderBody(_settings: JobSettings): Record<string, unknown> {
    const outputs = this.props.outputs ?? [];
    const inputs = this.props.inputs ?? {};
    return {
      FunctionArn: this.props.lambdaFunction.functionArn,
      Arguments: Object.fromEntries(Object.keys(inputs).sort().map(k => [k, inputs[k]])),
      ...(outputs.length > 0 ? {
        OutputParameters: outputs.map(o => ({ OutputName: o.outputName, OutputType: o.outputType ?? PipelineValueType.STRING })),
      } : {}),
    };
  }
}
