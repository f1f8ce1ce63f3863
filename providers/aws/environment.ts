import { stringsObjectIn } from '../../domain/merge';
import type { ResolvedConsumer } from '../../domain/schemas';
import { PermanentError } from '../types';

// Environments as stores (a Lambda function's, an ECS container's): a consumer's key names one variable
// (`<target>#VARIABLE`) or none, and then its value is a JSON object of variables (`field: json`, an AWS
// key id beside its secret). Either way only those variables change; the others are kept.

/** An environment variable's name as Leakstop writes it. */
export const VARIABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;

/** `<target>#VARIABLE` or `<target>`; the variable, when there is one, is checked. */
export function splitVariable(key: string): { target: string; variable?: string } | { problem: string } {
  const [target = '', variable, ...rest] = key.split('#');
  if (rest.length) return { problem: `"${key.slice(0, 100)}" has more than one #` };
  if (variable !== undefined && !VARIABLE_NAME.test(variable)) return { problem: `"${variable.slice(0, 100)}" is not an environment variable name` };
  return variable === undefined ? { target } : { target, variable };
}

/**
 * The variables a consumer's write sets: its one variable, or the JSON object of variables its value is.
 * `form` says how the key names a variable, for the error (`function#VARIABLE`).
 */
export function environmentPatch(consumer: ResolvedConsumer, variable: string | undefined, value: string, form: string): Record<string, string> {
  if (variable !== undefined) return { [variable]: value };
  const vars = stringsObjectIn(value);
  if (vars) return vars;
  throw new PermanentError(`consumer ${consumer.name}: key "${consumer.key}" names no variable (${form}), and the value (field ${consumer.field}) is not a JSON object of variables`, 'invalid');
}

/** Whether `current` already holds every variable of `patch` (a retried write, or a value already current). */
export const holdsAll = (current: Readonly<Record<string, string | undefined>>, patch: Record<string, string>) => Object.entries(patch).every(([k, v]) => current[k] === v);
