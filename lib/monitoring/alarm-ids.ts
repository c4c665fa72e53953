import { Construct } from 'constructs';

/**
 * Alarm id helper shared by the stages. Internal: not exported from `lib/index.ts`.
 */

/**
 * A unique, readable alarm id prefix for a construct: its path without the stack, letters and
 * digits only. Two stage constructs with the same id in different scopes sharing one
 * `MlAlarms` then never clash.
 */
export function alarmPrefix(scope: Construct): string {
  return scope.node.path.split('/').slice(1).map(p => p.replace(/[^A-Za-z0-9]/g, '')).join('');
}
