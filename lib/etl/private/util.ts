import { invalidProp, isUnresolved } from '../../security/validation';

/**
 * Small helpers of the ETL stage. Internal: not exported from `lib/index.ts`.
 */

/** Checks a Glue cron expression: `cron(` + six space-separated fields + `)`. Tokens are skipped. */
export function validateGlueCron(prop: string, expression: string): void {
  if (isUnresolved(expression)) {
    return;
  }
  if (!/^cron\(\S+( \S+){5}\)$/.test(expression)) {
    throw invalidProp(prop, expression,
      'Glue schedules are cron expressions with six fields (minutes hours day-of-month month day-of-week year), e.g. cron(15 2 * * ? *); rate() is not accepted.');
  }
}
