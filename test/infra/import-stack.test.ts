import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Aspects } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ImportStack } from '../../infra/import-stack';
import { configFromContext } from '../../infra/config';
import { EXPORT_SUBSTITUTIONS, WORKFLOW_SUBSTITUTIONS } from '../../functions/workflow/steps';

// Bundling is skipped here (aws:cdk:bundling-stacks = []): `npx cdk synth` in CI bundles for real.
function synth(context: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new ImportStack(app, 'Test', { config: configFromContext(app.node) });
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = synth();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
const ofType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);
const logicalIdOf = (fnId: string) => stack.getLogicalId(stack.functions[fnId].node.defaultChild as never);

describe('ImportStack', () => {
  it('runs every handler as a Node 22 Lambda with tracing', () => {
    const ours = Object.keys(stack.functions).map(logicalIdOf);
    // api, starter, cleanup, reconcile, analytics, and one per state machine step
    expect(ours).toHaveLength(5 + WORKFLOW_SUBSTITUTIONS.length + EXPORT_SUBSTITUTIONS.length);
    for (const id of ours) {
      expect(resources[id].Properties).toMatchObject({ Runtime: 'nodejs22.x', TracingConfig: { Mode: 'Active' } });
    }
  });

  it('substitutes every phase Lambda into the state machine, logs errors without execution data, traces', () => {
    const [, sm] = ofType('AWS::StepFunctions::StateMachine').find(([id]) => id.startsWith('ImportStateMachine'))!;
    expect(sm.Properties.StateMachineType).toBe('STANDARD');
    expect(sm.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(sm.Properties.LoggingConfiguration).toMatchObject({ Level: 'ERROR', IncludeExecutionData: false });
    const subs = sm.Properties.DefinitionSubstitutions;
    expect(Object.keys(subs).sort()).toEqual([...WORKFLOW_SUBSTITUTIONS].sort());
    expect(subs.ValidateFunctionArn).toEqual({ 'Fn::GetAtt': [logicalIdOf('ValidateFunction'), 'Arn'] });
    expect(subs.ImportTransactionsFunctionArn).toEqual({ 'Fn::GetAtt': [logicalIdOf('ImportTransactionsFunction'), 'Arn'] });
  });

  it('sends import ends and rebuild requests on the import bus to the analytics Lambda', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['fzip-import'], 'detail-type': ['Import Completed', 'Import Undone', 'Import Failed', 'Import Canceled', 'Analytics Rebuild Requested'] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalIdOf('AnalyticsFunction'), 'Arn'] } })],
    });
  });

  it('wires S3 uploads/ to the starter, the HTTP API to the API Lambda, the schedule to cleanup', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'uploads/' }] } },
            LambdaFunctionArn: { 'Fn::GetAtt': [logicalIdOf('StarterFunction'), 'Arn'] },
          },
        ],
      },
    });
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey).sort();
    expect(routes).toEqual([
      'DELETE /import/{importId}', 'GET /import', 'GET /import/{importId}/status', 'POST /import',
      'POST /import/{importId}/cancel', 'POST /import/{importId}/undo', 'POST /import/{importId}/upload',
      'POST /import/{importId}/confirm', 'GET /import/{importId}/conflicts',
      'DELETE /export/{exportId}', 'GET /export', 'GET /export/{exportId}/status', 'POST /export',
      'GET /analytics', 'POST /analytics/rebuild',
      'GET /', 'GET /app.js', 'GET /app.css', 'GET /config.json', 'GET /index.html', 'GET /vocabulary.generated.js',
    ].sort());
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationUri: { 'Fn::GetAtt': [logicalIdOf('ApiFunction'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalIdOf('CleanupFunction'), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed', Threshold: 1 });
    expect(routes).toContain('POST /import');
  });

  it('reconciles every execution end: an EventBridge rule on status changes targets the reconcile Lambda', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: Match.objectLike({ status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] }),
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalIdOf('ReconcileFunction'), 'Arn'] } })],
    });
  });

  it('gives every workflow Lambda exactly the timeout of its Task state', () => {
    const asl = JSON.parse(readFileSync(join(__dirname, '../../statemachine/import.asl.json'), 'utf8'));
    const tasks: Array<{ sub: string; timeout: number }> = [];
    const walk = (states: Record<string, any>) => {
      for (const st of Object.values(states)) {
        if (st.Type === 'Task') tasks.push({ sub: st.Parameters.FunctionName.slice(2, -1), timeout: st.TimeoutSeconds });
        if (st.ItemProcessor) walk(st.ItemProcessor.States);
      }
    };
    walk(asl.States);
    const [, sm] = ofType('AWS::StepFunctions::StateMachine').find(([id]) => id.startsWith('ImportStateMachine'))!;
    for (const t of tasks) {
      const fnId = sm.Properties.DefinitionSubstitutions[t.sub]['Fn::GetAtt'][0];
      expect({ sub: t.sub, timeout: resources[fnId].Properties.Timeout }).toEqual({ sub: t.sub, timeout: t.timeout });
    }
  });

  it('deploys the export state machine with its own Lambdas, and export steps write only under exports/ and export-staging/', () => {
    const [, sm] = ofType('AWS::StepFunctions::StateMachine').find(([id]) => id.startsWith('ExportStateMachine'))!;
    expect(Object.keys(sm.Properties.DefinitionSubstitutions).sort()).toEqual([...EXPORT_SUBSTITUTIONS].sort());
    const exportRoles = new Set(
      Object.keys(stack.functions)
        .filter((id) => id.startsWith('Export'))
        .map((id) => stack.getLogicalId(stack.functions[id].role!.node.defaultChild as never)),
    );
    expect(exportRoles.size).toBe(EXPORT_SUBSTITUTIONS.length);
    for (const [, p] of ofType('AWS::IAM::Policy')) {
      if (!(p.Properties.Roles as Array<{ Ref: string }>).some((r) => exportRoles.has(r.Ref))) continue;
      for (const st of p.Properties.PolicyDocument.Statement) {
        const actions: string[] = [].concat(st.Action);
        if (!actions.some((a) => a === 's3:PutObject')) continue;
        const res = JSON.stringify(st.Resource);
        expect(res).toMatch(/exports\/\*|export-staging\/\*/);
        expect(res).not.toMatch(/uploads|journal|staging\/\*"(?!.*export)/);
      }
    }
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: Match.objectLike({ stateMachineArn: Match.arrayWith([{ Ref: Match.stringLikeRegexp('ExportStateMachine') }]) }) }),
    });
  });

  it('serves the web page from the API and signs it in with a hosted UI (authorization code, public client)', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      GenerateSecret: false,
      CallbackURLs: [Match.objectLike({ 'Fn::Join': Match.anyValue() })],
    });
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ WEB_AUTH_MODE: 'cognito', COGNITO_DOMAIN: Match.anyValue(), WEB_CONNECT_SRC: Match.anyValue() }) },
    });
  });

  it('has an operations dashboard: outcomes, phase durations, errors and throttles', () => {
    const [, d] = ofType('AWS::CloudWatch::Dashboard')[0];
    const body = JSON.stringify(d.Properties.DashboardBody);
    for (const title of ['Imports by outcome', 'Exports by outcome', 'Phase durations', 'Errors and throttles']) expect(body).toContain(title);
    expect(body).toContain('ExecutionsFailed');
    expect(body).toContain('DurationMs');
    expect(body).toContain('ThrottledRequests');
  });

  it('has an event bus for import-end events that the ending Lambdas may put to', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: Match.anyValue() }) } });
    const puts = ofType('AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('events:PutEvents'));
    expect(puts.length).toBeGreaterThanOrEqual(4);
  });

  it('has a job table with TTL, its three indexes, on-demand billing and point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'importId', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'byUser' }),
        Match.objectLike({ IndexName: 'byStatus' }),
        Match.objectLike({ IndexName: 'byExpiry', KeySchema: [{ AttributeName: 'expiryPartition', KeyType: 'HASH' }, { AttributeName: 'expiresAt', KeyType: 'RANGE' }] }),
      ],
    });
    const entityTables = ofType('AWS::DynamoDB::Table').filter(([, t]) => t.Properties.KeySchema.length === 2);
    // the five entity tables and the analytics table
    expect(entityTables).toHaveLength(6);
    for (const [, t] of entityTables) expect(t.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('blocks public access and denies non-TLS requests on both buckets', () => {
    const buckets = ofType('AWS::S3::Bucket');
    expect(buckets).toHaveLength(2);
    for (const [, b] of buckets) {
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect(b.Properties.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [expect.objectContaining({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } })] });
    }
    const policies = ofType('AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(2);
    for (const [, p] of policies) {
      expect(p.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      );
    }
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedMethods: ['POST'] })] },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: 'uploads/' }), Match.objectLike({ Prefix: 'staging/' }), Match.objectLike({ Prefix: 'journal/' })]),
      },
    });
  });

  it('scopes IAM to our resources: no "*" actions, no "*" resources on data', () => {
    const ourRoles = new Set(Object.keys(stack.functions).map((id) => stack.getLogicalId(stack.functions[id].role!.node.defaultChild as never)));
    for (const [, p] of ofType('AWS::IAM::Policy')) {
      const roles = (p.Properties.Roles as Array<{ Ref: string }>).map((r) => r.Ref);
      if (!roles.some((r) => ourRoles.has(r))) continue;
      for (const st of p.Properties.PolicyDocument.Statement) {
        const actions: string[] = [].concat(st.Action);
        expect(actions.filter((a) => a === '*' || /^[a-z0-9]+:\*$/.test(a))).toEqual([]);
        const res = [].concat(st.Resource);
        if (res.includes('*' as never)) expect(actions.every((a) => a.startsWith('xray:'))).toBe(true);
      }
    }
  });

  it('passes cdk-nag AwsSolutions with no unsuppressed errors', () => {
    const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(errors.map((e) => e.entry.data)).toEqual([]);
  });

  it('uses an existing Cognito pool from context instead of creating one', () => {
    const { template: t } = synth({ cognitoUserPoolId: 'eu-west-1_abc', cognitoClientId: 'client123', stage: 'prod' });
    expect(t.findResources('AWS::Cognito::UserPool')).toEqual({});
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ COGNITO_USER_POOL_ID: 'eu-west-1_abc', COGNITO_CLIENT_ID: 'client123' }) },
    });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('outputs the API URL, bucket names and state machine ARN', () => {
    expect(Object.keys(template.toJSON().Outputs)).toEqual(
      expect.arrayContaining(['ApiUrl', 'PackagesBucketName', 'FilesBucketName', 'StateMachineArn', 'UserPoolId', 'UserPoolClientId']),
    );
  });

  it('passes the throughput settings to the workflow Lambdas, gives validation two whole vCPUs, and refuses settings out of bounds', () => {
    const env = (fnId: string) => resources[logicalIdOf(fnId)].Properties.Environment.Variables;
    expect(env('ValidateFunction')).toMatchObject({ IMPORT_MAP_CONCURRENCY: '4', STAGING_CHUNK_SIZE: '5000', STAGING_CHUNK_BYTES: String(4 * 1024 * 1024) });
    expect(resources[logicalIdOf('ValidateFunction')].Properties.MemorySize).toBe(3538); // two vCPUs: the check thread
    const tuned = synth({ importMapConcurrency: 8, stagingChunkSize: 10000 });
    const tunedEnv = tuned.template.toJSON().Resources[tuned.stack.getLogicalId(tuned.stack.functions.ResumeFunction.node.defaultChild as never)].Properties.Environment.Variables;
    expect(tunedEnv).toMatchObject({ IMPORT_MAP_CONCURRENCY: '8', STAGING_CHUNK_SIZE: '10000' });
    expect(() => synth({ importMapConcurrency: 41 })).toThrow('context importMapConcurrency must be a whole number from 1 to 40');
    expect(() => synth({ stagingChunkSize: 500 })).toThrow(/context stagingChunkSize must be a whole number from 2000 to 25000: .*25,000-event execution history/);
  });

  it('passes how long a preview waits to the cleanup, and refuses a wait the TTL of an unfinished job could outlast', () => {
    const env = (fnId: string) => resources[logicalIdOf(fnId)].Properties.Environment.Variables;
    expect(env('CleanupFunction')).toMatchObject({ CONFIRMATION_TTL_SECONDS: '86400' });
    expect(() => synth({ confirmationTtlSeconds: 3 * 86400 })).toThrow('context confirmationTtlSeconds must be a whole number of seconds from 60 to 129600');
  });

  it('reads the Map concurrency from the validation step, so the setting needs no new definition', () => {
    const asl = JSON.parse(readFileSync(join(__dirname, '../../statemachine/import.asl.json'), 'utf8'));
    const map = asl.States['Import transactions'];
    expect(map.MaxConcurrencyPath).toBe('$.validation.mapConcurrency');
    expect(map.MaxConcurrency).toBeUndefined();
    expect(asl.States['Validate package'].ResultSelector['mapConcurrency.$']).toBe('$.Payload.mapConcurrency');
    expect(asl.States['Resume confirmed import'].ResultSelector['mapConcurrency.$']).toBe('$.Payload.mapConcurrency');
  });
});
