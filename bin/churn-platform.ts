#!/usr/bin/env node
import { App, Stack } from 'aws-cdk-lib';
import { ChurnPlatform } from '../lib';

/**
 * The reference churn platform app: one stack holding a `ChurnPlatform`. Environment-agnostic
 * unless an account and region are given, by context (`-c account=... -c region=...`) or
 * environment (`CDK_DEPLOY_ACCOUNT`, `CDK_DEPLOY_REGION`). It never reads credentials.
 */
export function buildReferenceApp(app: App = new App()): App {
  const account: string | undefined = app.node.tryGetContext('account') ?? process.env.CDK_DEPLOY_ACCOUNT;
  const region: string | undefined = app.node.tryGetContext('region') ?? process.env.CDK_DEPLOY_REGION;
  const stack = new Stack(app, 'ChurnPlatform', {
    env: account || region ? { account, region } : undefined,
    description: 'cdk-ml-platform reference customer-churn prediction platform',
  });
  new ChurnPlatform(stack, 'Churn');
  return app;
}

if (require.main === module) {
  buildReferenceApp().synth();
}
