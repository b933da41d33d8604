/** CDK app: one ImportStack per stage, checked by cdk-nag's AwsSolutions pack. */
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ImportStack } from './import-stack';
import { configFromContext } from './config';

const app = new App();
const config = configFromContext(app.node);
new ImportStack(app, `FzipImport-${config.stage}`, {
  config,
  description: `fzip-import (${config.stage}): FZIP package imports with S3, Step Functions, Lambda and DynamoDB`,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
