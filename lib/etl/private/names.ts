import { NameRule } from '../../security/names';

/**
 * Naming rules of the ETL stage. Internal: not exported from `lib/index.ts`.
 *
 * Sources: AWS Glue API reference (`DatabaseInput.Name`, `TableInput.Name`, `Column.Name`:
 * 1 to 255 characters of the "single-line string" pattern) and Athena's rule that database,
 * table and column names be lower-case letters, digits and underscores (Athena lower-cases
 * what it reads and cannot query names with other special characters without quoting). We keep
 * the stricter, Athena-safe subset so every table is queryable as declared.
 */

/** Glue database, table and column names that Athena can query: `^[a-z0-9_]{1,255}$`. */
export const GLUE_CATALOG_NAME = NameRule.of({
  description: 'Glue database, table or column name',
  maxLength: 255,
  pattern: '^[a-z0-9_]+$',
  patternDescription: 'lower-case letters, digits and underscores (the names Athena can query)',
});

/** Glue crawler, job, workflow and data-quality ruleset names (single-line, 1 to 255). */
export const GLUE_RESOURCE_NAME = NameRule.of({
  description: 'Glue resource name',
  maxLength: 255,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
  patternDescription: 'letters, digits, ".", "_" and "-", starting with a letter or digit',
});

/** Glue security configuration names. */
export const GLUE_SECURITY_CONFIGURATION_NAME = NameRule.of({
  description: 'Glue security configuration name',
  maxLength: 255,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
  patternDescription: 'letters, digits, ".", "_" and "-", starting with a letter or digit',
});

/** Athena workgroup names (CreateWorkGroup `Name`: `[a-zA-Z0-9._-]{1,128}`). */
export const ATHENA_WORKGROUP_NAME = NameRule.of({
  description: 'Athena workgroup name',
  maxLength: 128,
  pattern: '^[a-zA-Z0-9._-]+$',
  patternDescription: 'letters, digits, ".", "_" and "-"',
});
