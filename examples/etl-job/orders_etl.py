"""AWS Glue 4.0 PySpark job: raw orders -> curated orders (the LakeEtlJob example's script).

The job's arguments, as LakeEtlJob passes them:

  --source_path       s3://bucket/raw/orders/      the source table's folder (Parquet)
  --target_database   acme_orders                  the target table's database
  --target_table      orders_curated               the target table
  --target_path       s3://bucket/curated/orders/  the target table's folder
  --dq_ruleset        Rules = [ ... ]              only when the job has dataQualityRules
  --dq_context        orders_curated               (the same)
  --fail_on_dq_failure true | false                (the same)

Reads the Parquet files added since the last run (job bookmarks, transformation_ctx),
keeps one row per order (the latest order_time), types the columns, evaluates the
data-quality rules on the result and fails before writing if one fails, then appends
Parquet partitions (order_date) to the target and registers new partitions in the catalog.
Spark spreads the work over the job's workers; the cost grows with the new files only.
"""

import sys

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import Window
from pyspark.sql import functions as F

REQUIRED = ['JOB_NAME', 'source_path', 'target_database', 'target_table', 'target_path']
DATA_QUALITY = ['dq_ruleset', 'dq_context', 'fail_on_dq_failure']
# The data-quality arguments are there only when the job has rules.
ARGS = getResolvedOptions(sys.argv, REQUIRED + [a for a in DATA_QUALITY if f'--{a}' in sys.argv])


def curate(orders):
    """One row per order (its latest version), typed, with the order_date partition."""
    latest = Window.partitionBy('order_id').orderBy(F.col('order_time').desc())
    return (
        orders
        .filter(F.col('order_id').isNotNull())
        .withColumn('order_time', F.to_timestamp('order_time'))
        .withColumn('_rank', F.row_number().over(latest))
        .filter(F.col('_rank') == 1)
        .select(
            F.col('order_id'),
            F.col('customer_id'),
            F.col('amount').cast('double').alias('amount'),
            F.upper(F.col('currency')).alias('currency'),
            F.col('order_time'),
            F.date_format(F.col('order_time'), 'yyyy-MM-dd').alias('order_date'),
        )
    )


def check_quality(frame):
    """Evaluates the job's DQDL rules (if any); raises before the write when one fails."""
    if 'dq_ruleset' not in ARGS:
        return
    from awsgluedq.transforms import EvaluateDataQuality

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


def main():
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(ARGS['JOB_NAME'], ARGS)

    raw = glue_context.create_dynamic_frame.from_options(
        connection_type='s3',
        connection_options={'paths': [ARGS['source_path']], 'recurse': True},
        format='parquet',
        transformation_ctx='raw_orders',
    )
    orders = raw.toDF()
    if orders.rdd.isEmpty():
        print('No new orders since the last bookmark; nothing to do.')
        job.commit()
        return
    curated = DynamicFrame.fromDF(curate(orders), glue_context, 'curated_orders')
    check_quality(curated)

    sink = glue_context.getSink(
        connection_type='s3',
        path=ARGS['target_path'],
        enableUpdateCatalog=True,
        updateBehavior='LOG',
        partitionKeys=['order_date'],
        transformation_ctx='curated_orders_sink',
    )
    sink.setFormat('glueparquet')
    sink.setCatalogInfo(catalogDatabase=ARGS['target_database'], catalogTableName=ARGS['target_table'])
    sink.writeFrame(curated)
    job.commit()


main()
