/**
 * Example: retrain an existing SageMaker pipeline when drift is detected, in a stack you
 * already have. The pipeline, the Glue job that writes the curated training data, the model
 * package group and the on-call topic exist already; this stack adds a drift alarm on the drift
 * monitor's metric and the retraining triggers:
 *
 * - the drift alarm entering ALARM,
 * - every Sunday at 05:00 UTC,
 * - each successful run of the curated-data job,
 *
 * all through one gate that starts at most one execution at a time and at most two a day, so a
 * flapping alarm or a burst of data arrivals cannot start a retraining storm. Failed executions
 * and model package state changes (registered, approved, rejected) go to the on-call topic.
 *
 *   npx ts-node --transpile-only examples/retrain-on-drift/app.ts
 */
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { LakeEtlJob } from '../../lib/etl';
import { MlAlarms } from '../../lib/monitoring';
import { Pipeline } from '../../lib/pipelines';
import { ModelPackageGroup } from '../../lib/registry';
import { RetrainingTriggers } from '../../lib/retraining';

/** The metric the drift monitor publishes: the share of features that drifted (0 to 1). */
export const DRIFT_METRIC = { namespace: 'Acme/ModelDrift', metricName: 'DriftedFeatureShare', dimensionsMap: { Model: 'churn' } };

/** A stack that existed before; its pipeline, ETL job, model group and topic were made elsewhere. */
export class ExistingModelStack extends Stack {
  /** The retraining triggers. */
  public readonly retraining: RetrainingTriggers;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const pipeline = Pipeline.fromPipelineName(this, 'ModelBuild', 'churn-model-build');
    const curatedData = LakeEtlJob.fromJobName(this, 'CuratedChurn', 'churn-curated-etl');
    const group = ModelPackageGroup.fromModelPackageGroupName(this, 'Models', 'churn-prediction');
    const onCall = sns.Topic.fromTopicArn(this, 'OnCall', this.formatArn({ service: 'sns', resource: 'acme-ml-on-call' }));
    const alarms = new MlAlarms(this, 'Alarms', { topic: onCall, alarmNamePrefix: 'churn' });

    // A third of the features drifting, two hours out of three: retrain.
    const drift = alarms.addAlarm('FeatureDrift', {
      metric: new cloudwatch.Metric({ ...DRIFT_METRIC, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.hours(1) }),
      threshold: { threshold: 0.3, evaluationPeriods: 3, datapointsToAlarm: 2 },
      description: 'A third or more of the churn model\'s features drifted; retraining starts (at most two a day).',
    });

    this.retraining = new RetrainingTriggers(this, 'Retraining', {
      pipeline,
      parameters: { InputDataUrl: 's3://acme-analytics-data/curated/churn/' },
      alarms: [drift],
      schedule: events.Schedule.cron({ minute: '0', hour: '5', weekDay: 'SUN' }),
      curatedDataJobs: [curatedData],
      maxExecutionsPerDay: 2,
      alerts: alarms,
      modelPackageGroup: group,
    });
  }
}

/** Builds the example app (the test suite synthesizes it). */
export function buildExampleApp(app: App = new App()): App {
  new ExistingModelStack(app, 'ExistingModel', { env: { account: '111111111111', region: 'eu-west-1' } });
  return app;
}

if (require.main === module) {
  buildExampleApp().synth();
}
