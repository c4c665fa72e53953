#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ChurnPlatformStack } from './churn-platform-stack';

/**
 * The reference churn platform app. Environment-agnostic unless an account and region are
 * given, by context (`-c account=... -c region=...`) or environment
 * (`CDK_DEPLOY_ACCOUNT`, `CDK_DEPLOY_REGION`). It never reads credentials.
 */
const app = new App();
const account: string | undefined = app.node.tryGetContext('account') ?? process.env.CDK_DEPLOY_ACCOUNT;
const region: string | undefined = app.node.tryGetContext('region') ?? process.env.CDK_DEPLOY_REGION;

new ChurnPlatformStack(app, 'ChurnPlatform', {
  env: account || region ? { account, region } : undefined,
});
app.synth();
