"""A PySpark script for LakeEtlJob's tests: it is shipped as an asset, never run here."""
import sys

from awsglue.utils import getResolvedOptions

ARGS = getResolvedOptions(sys.argv, ['JOB_NAME', 'source_path', 'target_database', 'target_table', 'target_path'])
