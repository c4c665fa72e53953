export { type IStepImage, StepImage, type StepImageConfig } from './step-image';
export {
  PipelineValue, PipelineValueType, PipelineParameter, ExecutionVariable, PropertyFile, type PropertyFileProps,
  type StringParameterProps, type IntegerParameterProps, type FloatParameterProps, type BooleanParameterProps,
} from './values';
export { PipelineCondition } from './conditions';
export {
  PipelineStep, type StepOptions, type RetryableStepOptions, type CacheableStepOptions, RetryPolicy, type RetryPolicyProps,
  type StepFaultRetryProps, StepExceptionType, JobInstanceType,
} from './step';
export {
  S3DataType, S3InputMode, S3DataDistribution, CompressionType, S3UploadMode, type ProcessingInput, type ProcessingOutput,
  type TrainingChannel, type MetricDefinition, type JobResources,
} from './job-io';
export {
  ProcessingCode, type ProcessingCodeConfig, ProcessingJobStep, ProcessingStep, type ProcessingStepProps, QualityCheckType,
  ClarifyCheckType, type CheckStepOptions, QualityCheckStep, type QualityCheckStepProps, ClarifyCheckStep, type ClarifyCheckStepProps,
} from './processing';
export {
  type TrainingJobOptions, TrainingStep, type TrainingStepProps, ScalingType, HyperparameterRange, type HyperbandProps, TuningStrategy,
  TuningObjective, WarmStartType, type TuningWarmStart, type TuningStepProps, TuningStep,
} from './training';
export {
  CreateModelStep, type CreateModelStepProps, type MetricsSource, type ModelMetricsSources, RegisterModelStep,
  type RegisterModelStepProps, SplitType, AssembleWith, BatchStrategy, TransformStep, type TransformStepProps,
} from './model';
export {
  ConditionStep, type ConditionStepProps, FailStep, type FailStepProps, LambdaStep, type LambdaStepProps, type LambdaStepOutput,
} from './control';
export { type IPipeline, Pipeline, type PipelineProps } from './pipeline';
export { TabularScripts } from './tabular-scripts';
export { ChampionModelFunction, type ChampionModelFunctionProps, type ChampionLookupStepOptions } from './champion';
