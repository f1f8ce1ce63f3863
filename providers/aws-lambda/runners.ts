import { GetFunctionConfigurationCommand, ListAliasesCommand, type FunctionConfiguration, type LambdaClient } from '@aws-sdk/client-lambda';
import type { Runner, Runners } from '../discovery';
import { LambdaPublishSpecSchema, parseLambdaKey, type LambdaEnvSpec } from './spec';

// What runs from a function's environment, for discovery: the aliases callers use, each moved to a
// version published from $LATEST (the Lambda deployer). Publishing $LATEST ships its code and settings
// too, so an alias is moved only when its version runs the same code as $LATEST; an alias on other code
// (a release pinned behind it) or splitting traffic between versions is left to a person, named.

/** The function's aliases to move, or the function alone (a version published, for $LATEST's callers) when none can be. */
export async function lambdaRunners(client: LambdaClient, spec: LambdaEnvSpec, key: string, signal: AbortSignal): Promise<Runners> {
  const parsed = parseLambdaKey(key);
  if ('problem' in parsed) throw new Error(`key ${parsed.problem}`);
  const fn = parsed.fn;
  const latest = await client.send(new GetFunctionConfigurationCommand({ FunctionName: fn }), { abortSignal: signal });
  const runners: Runner[] = [];
  const leftAlone: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await client.send(new ListAliasesCommand({ FunctionName: fn, Marker }), { abortSignal: signal });
    for (const alias of page.Aliases ?? []) {
      const name = alias.Name!;
      // An alias on $LATEST reads the new environment as soon as it is written: nothing to move.
      if (alias.FunctionVersion === '$LATEST') continue;
      if (Object.keys(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).length) {
        leftAlone.push(`Lambda ${fn} alias ${name} splits traffic between versions: not moved; publish and shift it by hand`);
        continue;
      }
      const pinned = await client.send(new GetFunctionConfigurationCommand({ FunctionName: fn, Qualifier: alias.FunctionVersion }), { abortSignal: signal });
      if (!sameCode(pinned, latest)) {
        leftAlone.push(`Lambda ${fn} alias ${name} runs version ${alias.FunctionVersion}, whose code differs from $LATEST: not moved (that would ship $LATEST's code too); publish and move it by hand`);
        continue;
      }
      // `function.alias`: neither a function's nor an alias's name holds a dot, so no two runners share one.
      runners.push({ name: slug(`${fn}.${name}`), deployer: publishSpec(spec, fn, name) });
    }
    Marker = page.NextMarker;
  } while (Marker && !signal.aborted);
  if (runners.length === 0) runners.push({ name: slug(fn), deployer: publishSpec(spec, fn) });
  return { runners, leftAlone };
}

const publishSpec = (spec: LambdaEnvSpec, fn: string, alias?: string) =>
  LambdaPublishSpecSchema.parse({ kind: 'aws-lambda-publish', function: fn, ...(alias ? { alias } : {}), ...(spec.region ? { region: spec.region } : {}) });

/** Same code and runtime: publishing $LATEST for this version's alias changes only its configuration. */
function sameCode(a: FunctionConfiguration, b: FunctionConfiguration): boolean {
  const layers = (c: FunctionConfiguration) => (c.Layers ?? []).map((l) => l.Arn).join(' ');
  return a.CodeSha256 === b.CodeSha256 && a.Runtime === b.Runtime && a.Handler === b.Handler && layers(a) === layers(b);
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '-');
