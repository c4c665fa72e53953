"""AWS Glue 4.0 PySpark job: raw churn events -> curated churn table.

Reads the raw table's Parquet files straight from S3 with job bookmarks (only files not yet
processed; reading the folder rather than the catalog means new Firehose partitions need no
crawler run first), applies churn_transform.transform per partition of customers (mapInPandas), evaluates the
data-quality ruleset on the result (EvaluateDataQuality, results published to Glue Data
Quality and EventBridge), and appends Parquet partitions to the curated table, registering
new partitions in the catalog. A failed ruleset fails the run before anything is written
(unless --fail_on_dq_failure is 'false').

The transformation logic lives in churn_transform.py (shipped with --extra-py-files) and is
tested without Spark.
"""

import sys

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from awsgluedq.transforms import EvaluateDataQuality
from pyspark.context import SparkContext

import churn_transform

ARGS = getResolvedOptions(sys.argv, [
    'JOB_NAME', 'source_path', 'target_database', 'target_table',
    'target_path', 'dq_ruleset', 'dq_context', 'fail_on_dq_failure',
])


def main():
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(ARGS['JOB_NAME'], ARGS)

    raw = glue_context.create_dynamic_frame.from_options(
        connection_type='s3',
        connection_options={'paths': [ARGS['source_path']], 'recurse': True},
        format='parquet',
        transformation_ctx='raw_events',
    )
    events = raw.toDF()
    if events.rdd.isEmpty():
        print('No new raw events since the last bookmark; nothing to do.')
        job.commit()
        return
    events = events.toDF(*[c.lower() for c in events.columns])
    # Every event of a customer lands in one partition; each partition is de-duplicated in
    # pandas by churn_transform (one call per partition, not per customer).
    curated = events.repartition(churn_transform.RAW_KEY).mapInPandas(
        churn_transform.transform_partition, schema=churn_transform.CURATED_SPARK_SCHEMA)
    frame = DynamicFrame.fromDF(curated, glue_context, 'curated')

    outcomes = EvaluateDataQuality.apply(
        frame=frame,
        ruleset=ARGS['dq_ruleset'],
        publishing_options={
            'dataQualityEvaluationContext': ARGS['dq_context'],
            'enableDataQualityCloudWatchMetrics': True,
            'enableDataQualityResultsPublishing': True,
        },
    ).toDF()
    failed = [row['Rule'] for row in outcomes.filter("Outcome != 'Passed'").collect()]
    if failed and ARGS['fail_on_dq_failure'].lower() != 'false':
        raise RuntimeError(f'Data quality rules failed, nothing written: {failed}')

    sink = glue_context.getSink(
        connection_type='s3',
        path=ARGS['target_path'],
        enableUpdateCatalog=True,
        updateBehavior='LOG',
        partitionKeys=['event_date'],
        transformation_ctx='curated_sink',
    )
    sink.setFormat('glueparquet')
    sink.setCatalogInfo(catalogDatabase=ARGS['target_database'], catalogTableName=ARGS['target_table'])
    sink.writeFrame(frame)
    job.commit()


main()
