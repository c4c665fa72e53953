import * as events from 'aws-cdk-lib/aws-events';

/**
 * The EventBridge patterns of the retraining loop, each with the AWS documentation that names
 * its source, detail-type and fields. Internal: not exported from `lib/index.ts`.
 */

/**
 * An alarm entering ALARM. CloudWatch User Guide, "Alarm events and EventBridge": source
 * `aws.cloudwatch`, detail-type `CloudWatch Alarm State Change`, `resources` the alarm's ARN,
 * `detail.alarmName`, `detail.state.value` (`OK`, `ALARM`, `INSUFFICIENT_DATA`) and
 * `detail.previousState.value`. CloudWatch guarantees delivery of these events to EventBridge.
 */
export function alarmEnteredAlarmPattern(alarmArns: string[]): events.EventPattern {
  return {
    source: ['aws.cloudwatch'],
    detailType: ['CloudWatch Alarm State Change'],
    resources: alarmArns,
    detail: { state: { value: ['ALARM'] } },
  };
}

/**
 * A Glue job run that succeeded. AWS Glue Developer Guide, "Automating AWS Glue with
 * EventBridge": source `aws.glue`, detail-type `Glue Job State Change` (sent for SUCCEEDED,
 * FAILED, TIMEOUT and STOPPED), `detail.jobName`, `detail.jobRunId`, `detail.state`,
 * `detail.severity`, `detail.message`. Delivery is best effort (EventBridge events reference).
 */
export function glueJobSucceededPattern(jobNames: string[]): events.EventPattern {
  return {
    source: ['aws.glue'],
    detailType: ['Glue Job State Change'],
    detail: { jobName: jobNames, state: ['SUCCEEDED'] },
  };
}

/**
 * A pipeline execution that failed. SageMaker Developer Guide, "Events that Amazon SageMaker AI
 * sends to Amazon EventBridge", "Pipeline execution state change": source `aws.sagemaker`,
 * detail-type `SageMaker Model Building Pipeline Execution Status Change`,
 * `detail.currentPipelineExecutionStatus` (`Executing`, `Stopping`, `Stopped`, `Failed`,
 * `Succeeded`), `detail.previousPipelineExecutionStatus`, `detail.pipelineArn`,
 * `detail.pipelineExecutionArn`, `detail.pipelineExecutionDisplayName`, start and end times. The
 * documented sample spells the pipeline name in its ARN with capitals, so the ARN is matched
 * ignoring case.
 */
export function pipelineExecutionFailedPattern(pipelineArn: string): events.EventPattern {
  return {
    source: ['aws.sagemaker'],
    detailType: ['SageMaker Model Building Pipeline Execution Status Change'],
    detail: {
      currentPipelineExecutionStatus: ['Failed'],
      pipelineArn: events.Match.equalsIgnoreCase(pipelineArn),
    },
  };
}

/**
 * Any state change of a model package group's versions (registration, approval, rejection).
 * SageMaker Developer Guide, same page, "Model package state change": source `aws.sagemaker`,
 * detail-type `SageMaker Model Package State Change`, `detail.ModelPackageGroupName`,
 * `detail.ModelPackageArn`, `detail.ModelPackageVersion`, `detail.ModelApprovalStatus`.
 */
export function modelPackageStateChangePattern(modelPackageGroupName: string): events.EventPattern {
  return {
    source: ['aws.sagemaker'],
    detailType: ['SageMaker Model Package State Change'],
    detail: { ModelPackageGroupName: [modelPackageGroupName] },
  };
}
