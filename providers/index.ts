import { awsIamModule } from './aws-iam';
import { secretsManagerModule } from './aws-secrets-manager';
import { ssmModule } from './aws-ssm';
import { lambdaModule } from './aws-lambda';
import { ecsModule } from './aws-ecs';
import { Catalog } from './catalog';
import { githubModule } from './github';
import { guidedModule } from './guided';
import { httpDeployHookModule } from './http-deploy-hook';
import { kubernetesModule } from './kubernetes';
import { npmModule } from './npm';
import { openBaoModule } from './openbao';
import { postgresModule } from './postgres';
import { slackTokenModule } from './slack-token';
import type { ProviderModule } from './module';

// The provider modules: one line each. Everything that lists providers is derived from this list
// (providers/catalog.ts). "Writing a provider" in the README says what a module holds.
export const MODULES: readonly ProviderModule[] = [
  awsIamModule,
  secretsManagerModule,
  ssmModule,
  lambdaModule,
  ecsModule,
  openBaoModule,
  kubernetesModule,
  githubModule,
  httpDeployHookModule,
  slackTokenModule,
  npmModule,
  postgresModule,
  // Last: the guided runbook, for every credential no module above can call.
  guidedModule,
];

export const catalog = new Catalog(MODULES);

/** Parses and validates an inventory file's text against the modules' kinds; every problem names its place. */
export const parseInventory = (text: string, source?: string) => catalog.parseInventory(text, source);
