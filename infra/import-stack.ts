/**
 * The deployable system: packages and files buckets, the job and entity tables, one Lambda per
 * handler (bundled by a local esbuild, Node 22), the state machine from
 * statemachine/import.asl.json, the S3 upload trigger, the HTTP API, the cleanup schedule, an
 * alarm on failed executions. Every Lambda gets only the permissions it needs, on exact
 * tables, buckets and prefixes.
 */
import { basename, join } from 'node:path';
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { NagSuppressions } from 'cdk-nag';
import { readFileSync } from 'node:fs';
import { EXPORT_TABLE, JOB_TABLE } from '../functions/jobs/job-table';
import { routesByPath, WEB_ROUTES } from '../functions/api/routes';
import { ENV, resourceEnvironment } from '../functions/shared/env-names';
import { EVENT_SOURCE } from '../functions/jobs/import-events';
import { REBUILD_DETAIL_TYPE } from '../functions/analytics/rebuild';
import { ENTITY_KINDS, EntityKind, kindNames } from '../functions/fzip/entities';
import { TRANSACTIONS_BY_DATE } from '../functions/entities/entity-tables';
import { EXPORT_STEPS, EXPORT_SUBSTITUTIONS, ExportSubstitution, WORKFLOW_STEPS, WORKFLOW_SUBSTITUTIONS, WorkflowSubstitution } from '../functions/workflow/steps';
import { ImportStackConfig } from './config';
import { IMPORT_TUNING, TuningName } from '../functions/shared/import-tuning';
import { exportMemoryMB, LAMBDA_MEMORY_MB, workflowMemoryMB } from './lambda-memory';

const ROOT = join(__dirname, '..');

/** Bundles each worker script (a path from the project root) into the asset beside the handler. */
export function workerBundles(workers: string[]): nodejs.ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) =>
      workers.map((w) => {
        const out = join(outputDir, `${basename(w, '.ts')}.js`);
        return `"${join(inputDir, 'node_modules', '.bin', 'esbuild')}" "${join(inputDir, w)}" --bundle --platform=node --target=node22 --minify --sourcemap --log-level=warning --outfile="${out}"`;
      }),
  };
}
const ASL = join(ROOT, 'statemachine', 'import.asl.json');
const EXPORT_ASL = join(ROOT, 'statemachine', 'export.asl.json');

/**
 * Each workflow Lambda's timeout is its Task's TimeoutSeconds in the ASL (the largest, if several
 * states use it): the state never gives up on a Lambda that is still allowed to run, so a
 * retry can never start beside a first attempt that is still writing.
 */
export function taskTimeouts<S extends string = WorkflowSubstitution>(asl = ASL): Record<S, number> {
  const out = {} as Record<S, number>;
  const walk = (states: Record<string, { Type: string; TimeoutSeconds?: number; Parameters?: { FunctionName?: string }; ItemProcessor?: { States: Record<string, never> } }>) => {
    for (const st of Object.values(states)) {
      const sub = st.Parameters?.FunctionName?.replace(/^\$\{(.+)\}$/, '$1') as S | undefined;
      if (st.Type === 'Task' && sub) out[sub] = Math.max(out[sub] ?? 0, st.TimeoutSeconds ?? 60);
      if (st.ItemProcessor) walk(st.ItemProcessor.States);
    }
  };
  walk(JSON.parse(readFileSync(asl, 'utf8')).States);
  return out;
}

/** Steps that write the user's items (and so journal them). */
const WRITE_STEPS: readonly WorkflowSubstitution[] = [
  'ImportAccountsFunctionArn',
  'ImportCategoriesFunctionArn',
  'ImportFileMapsFunctionArn',
  'ImportTransactionFilesFunctionArn',
  'ImportTransactionsFunctionArn',
];

export interface ImportStackProps extends StackProps {
  config: ImportStackConfig;
}

export class ImportStack extends Stack {
  readonly packagesBucket: s3.Bucket;
  readonly filesBucket: s3.Bucket;
  readonly jobsTable: dynamodb.Table;
  readonly entityTables: Record<EntityKind, dynamodb.Table>;
  readonly stateMachine: sfn.StateMachine;
  readonly exportStateMachine: sfn.StateMachine;
  readonly exportsTable: dynamodb.Table;
  /** Monthly figures per user (pk = userId, sk = generation#month#currency, and #status). */
  readonly analyticsTable: dynamodb.Table;
  readonly eventBus: events.EventBus;
  readonly dashboard: cloudwatch.Dashboard;
  readonly api: apigwv2.HttpApi;
  readonly functions: Record<string, nodejs.NodejsFunction> = {};

  constructor(scope: Construct, id: string, props: ImportStackProps) {
    super(scope, id, props);
    const cfg = props.config;
    const removalPolicy = cfg.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // --- Buckets -------------------------------------------------------------------------
    const bucketDefaults: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy,
      autoDeleteObjects: !cfg.retainData,
    };
    this.packagesBucket = new s3.Bucket(this, 'PackagesBucket', {
      ...bucketDefaults,
      cors: [
        {
          allowedMethods: [s3.HttpMethods.POST],
          allowedOrigins: cfg.allowedOrigins,
          allowedHeaders: ['*'],
          maxAge: 3000,
        },
      ],
      lifecycleRules: [
        // Backstop of the cleanup job: nothing in uploads/ or staging/ outlives its job for long.
        { id: 'expire-uploads', prefix: 'uploads/', expiration: Duration.days(cfg.jobRetentionDays + 2) },
        { id: 'expire-staging', prefix: 'staging/', expiration: Duration.days(cfg.jobRetentionDays + 2) },
        { id: 'expire-journal', prefix: 'journal/', expiration: Duration.days(cfg.jobRetentionDays + 2) },
        // the undo ledger outlives its job: an import undone after it can still be undone for
        // at most the retention, and follows this ledger then (functions/entities/ledger.ts)
        { id: 'expire-ledger', prefix: 'ledger/', expiration: Duration.days(cfg.jobRetentionDays + 2) },
        { id: 'expire-exports', prefix: 'exports/', expiration: Duration.days(4) },
        { id: 'expire-export-staging', prefix: 'export-staging/', expiration: Duration.days(2) },
        { id: 'abort-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    this.filesBucket = new s3.Bucket(this, 'FilesBucket', { ...bucketDefaults, versioned: true });

    // --- Tables --------------------------------------------------------------------------
    const tableDefaults = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    };
    // A table keyed by one string attribute, its (string, number) indexes as local/tables.ts declares them.
    type Index = { name: string; partitionKey: string; sortKey: string; projected?: readonly string[]; keysOnly?: boolean };
    const indexedTable = (id: string, key: string, ttl: string, indexes: Index[]) => {
      const table = new dynamodb.Table(this, id, { ...tableDefaults, partitionKey: { name: key, type: dynamodb.AttributeType.STRING }, timeToLiveAttribute: ttl });
      for (const i of indexes) {
        table.addGlobalSecondaryIndex({
          indexName: i.name,
          partitionKey: { name: i.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: i.sortKey, type: dynamodb.AttributeType.NUMBER },
          projectionType: i.projected ? dynamodb.ProjectionType.INCLUDE : i.keysOnly ? dynamodb.ProjectionType.KEYS_ONLY : dynamodb.ProjectionType.ALL,
          ...(i.projected ? { nonKeyAttributes: [...i.projected] } : {}),
        });
      }
      return table;
    };
    this.jobsTable = indexedTable('JobsTable', JOB_TABLE.partitionKey, JOB_TABLE.ttlAttribute, [JOB_TABLE.byUser, { ...JOB_TABLE.byStatus, keysOnly: true }, JOB_TABLE.byExpiry]);
    const entityTable = (id: string) =>
      new dynamodb.Table(this, id, {
        ...tableDefaults,
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      });
    this.entityTables = Object.fromEntries(ENTITY_KINDS.map((k) => [k, entityTable(`${kindNames(k).pascal}Table`)])) as Record<EntityKind, dynamodb.Table>;
    this.entityTables.transactions.addGlobalSecondaryIndex({
      indexName: TRANSACTIONS_BY_DATE.name,
      partitionKey: { name: TRANSACTIONS_BY_DATE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TRANSACTIONS_BY_DATE.sortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...TRANSACTIONS_BY_DATE.projected],
    });

    this.analyticsTable = entityTable('AnalyticsTable');
    this.exportsTable = indexedTable('ExportsTable', EXPORT_TABLE.partitionKey, EXPORT_TABLE.ttlAttribute, [EXPORT_TABLE.byUser, EXPORT_TABLE.byExpiry]);

    // --- HTTP API (created first: the web page's sign-in redirects back to it) -------------
    this.api = new apigwv2.HttpApi(this, 'HttpApi', {
      description: `fzip-import ${cfg.stage}`,
      corsPreflight: {
        allowOrigins: cfg.allowedOrigins,
        allowHeaders: ['authorization', 'content-type'],
        allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST, apigwv2.CorsHttpMethod.DELETE],
      },
    });
    // --- Auth ----------------------------------------------------------------------------
    let userPoolId = cfg.cognitoUserPoolId;
    let clientId = cfg.cognitoClientId;
    // The web page signs in with Cognito's hosted UI (authorization code + PKCE): the domain of
    // the pool created here, or `cognitoDomain` of an existing one.
    let cognitoDomain = cfg.cognitoDomain;
    if (!userPoolId || !clientId) {
      const pool = new cognito.UserPool(this, 'UserPool', {
        selfSignUpEnabled: false,
        signInAliases: { email: true },
        passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
        featurePlan: cognito.FeaturePlan.PLUS,
        standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
        mfa: cognito.Mfa.OPTIONAL,
        removalPolicy,
      });
      const client = pool.addClient('ApiClient', {
        authFlows: { userSrp: true },
        generateSecret: false, // a public client: the page holds no secret, PKCE protects the code
        oAuth: {
          flows: { authorizationCodeGrant: true },
          scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
          callbackUrls: [`${this.api.apiEndpoint}/`],
          logoutUrls: [`${this.api.apiEndpoint}/`],
        },
      });
      const domain = pool.addDomain('HostedUi', { cognitoDomain: { domainPrefix: `fzip-${cfg.stage}-${this.node.addr.slice(0, 8)}` } });
      cognitoDomain = domain.baseUrl();
      userPoolId = pool.userPoolId;
      clientId = client.userPoolClientId;
      new CfnOutput(this, 'UserPoolId', { value: pool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: client.userPoolClientId });
    }

    // --- Lambdas -------------------------------------------------------------------------
    const commonEnv: Record<string, string> = {
      ...resourceEnvironment({
        jobsTable: this.jobsTable.tableName,
        exportsTable: this.exportsTable.tableName,
        packagesBucket: this.packagesBucket.bucketName,
        filesBucket: this.filesBucket.bucketName,
        analyticsTable: this.analyticsTable.tableName,
        entityTables: Object.fromEntries(ENTITY_KINDS.map((k) => [k, this.entityTables[k].tableName])) as Record<EntityKind, string>,
      }),
      MAX_PACKAGE_BYTES: String(cfg.maxPackageBytes),
      MAX_UNFINISHED_JOBS: String(cfg.maxUnfinishedJobs),
      JOB_RETENTION_DAYS: String(cfg.jobRetentionDays),
      PENDING_JOB_TTL_SECONDS: String(cfg.pendingJobTtlSeconds),
      CONFIRMATION_TTL_SECONDS: String(cfg.confirmationTtlSeconds),
      METRICS_NAMESPACE: `FzipImport/${cfg.stage}`,
      NODE_OPTIONS: '--enable-source-maps',
    };
    const fn = (id: string, entry: string, handler: string, opts: { timeout: number; memory: number; env?: Record<string, string>; workers?: string[] }) => {
      const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy });
      const f = new nodejs.NodejsFunction(this, id, {
        entry: join(ROOT, 'functions', 'handlers', entry),
        handler,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: opts.memory,
        timeout: Duration.seconds(opts.timeout),
        tracing: lambda.Tracing.ACTIVE,
        logGroup,
        environment: { ...commonEnv, ...(opts.env ?? {}) },
        bundling: {
          forceDockerBundling: false, // esbuild is a local dependency: no Docker needed
          externalModules: [], // bundle the SDK too: the versions we test are the versions we run
          sourceMap: true,
          minify: true,
          target: 'node22',
          // worker thread scripts, bundled beside index.js: new Worker(join(__dirname, name + '.js'))
          ...(opts.workers?.length ? { commandHooks: workerBundles(opts.workers) } : {}),
        },
      });
      this.functions[id] = f;
      return f;
    };

    const apiFn = fn('ApiFunction', 'api.ts', 'handler', {
      timeout: 29,
      memory: LAMBDA_MEMORY_MB.api,
      env: {
        COGNITO_USER_POOL_ID: userPoolId,
        COGNITO_CLIENT_ID: clientId,
        COGNITO_TOKEN_USE: cfg.cognitoTokenUse,
        // the web page: Cognito sign-in when a domain is known (a token can be pasted otherwise),
        // uploads to the packages bucket's regional endpoint
        ...(cognitoDomain ? { COGNITO_DOMAIN: cognitoDomain, WEB_AUTH_MODE: 'cognito' } : { WEB_AUTH_MODE: 'token' }),
        WEB_CONNECT_SRC: `https://${this.packagesBucket.bucketRegionalDomainName} https://${this.packagesBucket.bucketName}.s3.amazonaws.com`,
      },
    });
    const starterFn = fn('StarterFunction', 'start.ts', 'handler', { timeout: 60, memory: LAMBDA_MEMORY_MB.starter });
    const cleanupFn = fn('CleanupFunction', 'cleanup.ts', 'handler', { timeout: 300, memory: LAMBDA_MEMORY_MB.cleanup });
    const reconcileFn = fn('ReconcileFunction', 'reconcile.ts', 'handler', { timeout: 60, memory: LAMBDA_MEMORY_MB.reconcile });
    // a full recompute reads every transaction of the user: the longest a Lambda may run
    const analyticsFn = fn('AnalyticsFunction', 'analytics.ts', 'handler', { timeout: 900, memory: LAMBDA_MEMORY_MB.analytics });
    const workflowFns = {} as Record<WorkflowSubstitution, nodejs.NodejsFunction>;
    const tuningEnv = Object.fromEntries((Object.keys(IMPORT_TUNING) as TuningName[]).map((name) => [IMPORT_TUNING[name].env, String(cfg.tuning[name])]));
    const timeouts = taskTimeouts();
    for (const substitution of WORKFLOW_SUBSTITUTIONS) {
      const handler = WORKFLOW_STEPS[substitution].handler;
      const id = `${handler[0].toUpperCase()}${handler.slice(1)}Function`;
      const validate = substitution === 'ValidateFunctionArn';
      workflowFns[substitution] = fn(id, 'workflow.ts', handler, {
        timeout: timeouts[substitution],
        memory: workflowMemoryMB(validate, timeouts[substitution]),
        env: tuningEnv,
        // the validator's worker thread runs from its own file beside the handler's bundle
        ...(validate ? { workers: [join('functions', 'fzip', 'check-worker.ts')] } : {}),
      });
    }

    const exportFns = {} as Record<ExportSubstitution, nodejs.NodejsFunction>;
    const exportTimeouts = taskTimeouts<ExportSubstitution>(EXPORT_ASL);
    for (const substitution of EXPORT_SUBSTITUTIONS) {
      const handler = EXPORT_STEPS[substitution].handler;
      const id = `Export${handler[0].toUpperCase()}${handler.slice(1)}Function`;
      exportFns[substitution] = fn(id, 'export-workflow.ts', handler, { timeout: exportTimeouts[substitution], memory: exportMemoryMB(exportTimeouts[substitution]) });
    }

    // --- State machine -------------------------------------------------------------------
    const smLogs = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/fzip-import-${cfg.stage}-${this.node.addr.slice(0, 8)}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'ImportStateMachine', {
      definitionBody: sfn.DefinitionBody.fromFile(ASL),
      definitionSubstitutions: Object.fromEntries(Object.entries(workflowFns).map(([k, f]) => [k, f.functionArn])),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: { destination: smLogs, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });
    for (const f of Object.values(workflowFns)) f.grantInvoke(this.stateMachine);
    for (const f of [apiFn, starterFn, cleanupFn, reconcileFn]) f.addEnvironment(ENV.stateMachineArn, this.stateMachine.stateMachineArn);

    // Import-end events (source fzip-import) for other services: put by whoever sees a job end.
    this.eventBus = new events.EventBus(this, 'ImportEventBus', { description: 'fzip-import: one event per import that ends (at least once).' });
    for (const f of [apiFn, starterFn, cleanupFn, reconcileFn]) {
      f.addEnvironment(ENV.eventBusName, this.eventBus.eventBusName);
      this.eventBus.grantPutEventsTo(f);
    }

    const exportLogs = new logs.LogGroup(this, 'ExportStateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/fzip-export-${cfg.stage}-${this.node.addr.slice(0, 8)}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    this.exportStateMachine = new sfn.StateMachine(this, 'ExportStateMachine', {
      definitionBody: sfn.DefinitionBody.fromFile(EXPORT_ASL),
      definitionSubstitutions: Object.fromEntries(Object.entries(exportFns).map(([k, f]) => [k, f.functionArn])),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: { destination: exportLogs, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });
    for (const f of Object.values(exportFns)) f.grantInvoke(this.exportStateMachine);
    apiFn.addEnvironment(ENV.exportStateMachineArn, this.exportStateMachine.stateMachineArn);

    // --- Permissions: exact tables, buckets and prefixes --------------------------------
    const objects = (bucket: s3.IBucket, prefix: string) => bucket.arnForObjects(`${prefix}*`);
    const allow = (f: lambda.IFunction, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      f.addToRolePolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    const jobRW = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'];
    const jobResources = [this.jobsTable.tableArn, `${this.jobsTable.tableArn}/index/*`];
    const listPrefix = (f: lambda.IFunction, prefix: string) =>
      allow(f, ['s3:ListBucket'], [this.packagesBucket.bucketArn], { StringLike: { 's3:prefix': [`${prefix}*`] } });
    const entityArns = Object.values(this.entityTables).map((t) => t.tableArn);

    // The executions of this state machine: arn:…:execution:{state machine name}:{execution name}
    const executionArns = [
      this.formatArn({ service: 'states', resource: 'execution', resourceName: `${this.stateMachine.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    ];

    // HeadObject of a missing key answers 404 only with s3:ListBucket on the bucket (403 without):
    // whoever tells "absent" from "there" gets it, unconditioned (a prefix condition does not apply to HEAD).
    const listBucket = (f: lambda.IFunction, bucket: s3.IBucket) => allow(f, ['s3:ListBucket'], [bucket.bucketArn]);

    allow(apiFn, jobRW, jobResources);
    listBucket(apiFn, this.packagesBucket);
    allow(apiFn, ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'], [objects(this.packagesBucket, 'uploads/')]);
    allow(apiFn, ['s3:DeleteObject'], [objects(this.packagesBucket, 'staging/'), objects(this.packagesBucket, 'journal/')]);
    // the preview: staged conflicts read, the confirm call's decisions written beside them
    allow(apiFn, ['s3:GetObject', 's3:PutObject'], [objects(this.packagesBucket, 'staging/')]);
    listPrefix(apiFn, 'staging/');
    listPrefix(apiFn, 'journal/');
    allow(apiFn, ['states:StartExecution'], [this.stateMachine.stateMachineArn, this.exportStateMachine.stateMachineArn]);
    const exportRW = [this.exportsTable.tableArn, `${this.exportsTable.tableArn}/index/*`];
    allow(apiFn, jobRW, exportRW);
    // the download URL is signed by the API: reading exports/ is what it grants
    allow(apiFn, ['s3:GetObject', 's3:DeleteObject'], [objects(this.packagesBucket, 'exports/')]);
    allow(apiFn, ['s3:DeleteObject'], [objects(this.packagesBucket, 'export-staging/')]);
    listPrefix(apiFn, 'export-staging/');

    allow(starterFn, jobRW, jobResources);
    listBucket(starterFn, this.packagesBucket);
    allow(starterFn, ['s3:GetObject'], [objects(this.packagesBucket, 'uploads/')]);
    allow(starterFn, ['states:StartExecution'], [this.stateMachine.stateMachineArn]);

    // reconcile and cleanup start rollback executions and the next queued import, and cleanup
    // asks Step Functions whether a running job's execution has ended
    for (const f of [reconcileFn, cleanupFn]) {
      allow(f, jobRW, jobResources);
      listBucket(f, this.packagesBucket);
      allow(f, ['states:StartExecution'], [this.stateMachine.stateMachineArn]);
      allow(f, ['s3:GetObject'], [objects(this.packagesBucket, 'uploads/')]);
    }
    allow(cleanupFn, ['states:DescribeExecution'], executionArns);
    allow(cleanupFn, jobRW, exportRW);
    allow(reconcileFn, jobRW, exportRW);
    // analytics: the API reads them and asks for a rebuild; the analytics Lambda reads the user's
    // accounts and transactions and writes the figures
    const analyticsRW = ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'];
    allow(apiFn, ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [this.analyticsTable.tableArn]);
    allow(analyticsFn, analyticsRW, [this.analyticsTable.tableArn]);
    // a backup with includeAnalytics writes the current figures into the package
    allow(exportFns.ExportWritePackageFunctionArn, ['dynamodb:GetItem', 'dynamodb:Query'], [this.analyticsTable.tableArn]);
    allow(analyticsFn, ['dynamodb:Query'], [
      this.entityTables.accounts.tableArn,
      this.entityTables.categories.tableArn,
      this.entityTables.transactions.tableArn,
      `${this.entityTables.transactions.tableArn}/index/${TRANSACTIONS_BY_DATE.name}`,
    ]);
    allow(cleanupFn, ['s3:DeleteObject'], [objects(this.packagesBucket, 'exports/'), objects(this.packagesBucket, 'export-staging/')]);
    listPrefix(cleanupFn, 'export-staging/');

    // Export steps: read the user's items and statement files; write only under exports/ and export-staging/
    for (const [substitution, f] of Object.entries(exportFns) as Array<[ExportSubstitution, nodejs.NodejsFunction]>) {
      allow(f, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [this.exportsTable.tableArn]);
      if (substitution === 'ExportShardFunctionArn' || substitution === 'ExportWritePackageFunctionArn') {
        allow(f, ['dynamodb:Query'], entityArns);
        allow(f, ['s3:PutObject', 's3:AbortMultipartUpload'], [objects(this.packagesBucket, 'export-staging/'), objects(this.packagesBucket, 'exports/')]);
      }
      if (substitution === 'ExportWritePackageFunctionArn') {
        allow(f, ['s3:GetObject'], [objects(this.packagesBucket, 'export-staging/'), this.filesBucket.arnForObjects('*')]);
        listBucket(f, this.filesBucket);
      }
      if (substitution === 'ExportCompleteFunctionArn') allow(f, ['s3:GetObject'], [objects(this.packagesBucket, 'exports/')]);
    }
    allow(cleanupFn, ['s3:DeleteObject'], [objects(this.packagesBucket, 'uploads/'), objects(this.packagesBucket, 'staging/'), objects(this.packagesBucket, 'journal/')]);
    listPrefix(cleanupFn, 'staging/');
    listPrefix(cleanupFn, 'journal/');

    for (const [substitution, f] of Object.entries(workflowFns) as Array<[WorkflowSubstitution, nodejs.NodejsFunction]>) {
      allow(f, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [this.jobsTable.tableArn]);
      if (substitution === 'ValidateFunctionArn') {
        allow(f, ['s3:GetObject'], [objects(this.packagesBucket, 'uploads/'), objects(this.packagesBucket, 'staging/')]);
        allow(f, ['s3:PutObject'], [objects(this.packagesBucket, 'staging/')]);
        allow(f, ['dynamodb:BatchGetItem'], entityArns);
      }
      if (WRITE_STEPS.includes(substitution)) {
        // read the staged records, journal the before-images, write the items
        allow(f, ['s3:GetObject'], [objects(this.packagesBucket, 'staging/'), objects(this.packagesBucket, 'journal/')]);
        allow(f, ['s3:PutObject'], [objects(this.packagesBucket, 'journal/'), objects(this.packagesBucket, 'ledger/')]); // replace marks what it deletes
        listPrefix(f, 'journal/');
        allow(f, ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem'], entityArns);
      }
      if (substitution === 'ImportTransactionFilesFunctionArn') {
        // statement bytes from the package; what they replace is copied to the journal first
        listBucket(f, this.filesBucket);
        allow(f, ['s3:GetObject'], [objects(this.packagesBucket, 'uploads/'), this.filesBucket.arnForObjects('*')]);
        allow(f, ['s3:PutObject'], [this.filesBucket.arnForObjects('*')]);
      }
      if (substitution === 'RollbackFunctionArn') {
        listBucket(f, this.filesBucket);
        allow(f, ['s3:GetObject'], [objects(this.packagesBucket, 'journal/'), objects(this.packagesBucket, 'ledger/'), this.filesBucket.arnForObjects('*')]);
        // the ledger is read by key, and a key it lacks must answer 404 (S3 says 403 without ListBucket)
        listBucket(f, this.packagesBucket);
        allow(f, ['s3:PutObject'], [objects(this.packagesBucket, 'ledger/')]);
        allow(f, ['s3:PutObject', 's3:DeleteObject'], [this.filesBucket.arnForObjects('*')]);
        // BatchGetItem: the records a forced undo leaves in place, read for what they refer to
        allow(f, ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], entityArns);
      }
      if (substitution === 'RollbackFinishFunctionArn') allow(f, ['s3:PutObject'], [objects(this.packagesBucket, 'ledger/')]);
    }

    // --- Triggers ------------------------------------------------------------------------
    this.packagesBucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(starterFn), { prefix: 'uploads/' });

    const integration = new HttpLambdaIntegration('ApiIntegration', apiFn);
    // the web page (index, script, style, vocabulary, its config) and every API route: from the one list
    for (const path of WEB_ROUTES) this.api.addRoutes({ path, methods: [apigwv2.HttpMethod.GET], integration });
    for (const { path, methods } of routesByPath()) this.api.addRoutes({ path, methods: methods.map((m) => apigwv2.HttpMethod[m]), integration });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy });
    const stage = this.api.defaultStage?.node.defaultChild as apigwv2.CfnStage;
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status', latency: '$context.responseLatency' }),
    };
    stage.defaultRouteSettings = { throttlingBurstLimit: cfg.apiBurstLimit, throttlingRateLimit: cfg.apiRateLimit };

    // Every execution end (however it ended) reconciles its job: no job can stay running.
    new events.Rule(this, 'ExecutionEndRule', {
      description: 'Import executions that ended: reconcile their jobs (rollback, release the user lock, start the next queued import).',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn, this.exportStateMachine.stateMachineArn], status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
      targets: [new targets.LambdaFunction(reconcileFn, { retryAttempts: 8, maxEventAge: Duration.hours(6) })],
    });

    // Imports that ended having changed data, and rebuild requests: the user's analytics are recomputed.
    new events.Rule(this, 'AnalyticsRule', {
      description: 'Import ends and analytics rebuild requests: recompute the user analytics.',
      eventBus: this.eventBus,
      eventPattern: { source: [EVENT_SOURCE], detailType: ['Import Completed', 'Import Undone', 'Import Failed', 'Import Canceled', REBUILD_DETAIL_TYPE] },
      targets: [new targets.LambdaFunction(analyticsFn, { retryAttempts: 4, maxEventAge: Duration.hours(6) })],
    });

    new events.Rule(this, 'CleanupSchedule', {
      schedule: events.Schedule.rate(Duration.minutes(cfg.cleanupIntervalMinutes)),
      targets: [new targets.LambdaFunction(cleanupFn)],
    });

    this.dashboard = this.buildDashboard(cfg.stage, Object.values({ ...workflowFns, ...exportFns, apiFn, starterFn, cleanupFn, reconcileFn, analyticsFn }));

    new cloudwatch.Alarm(this, 'FailedExecutionsAlarm', {
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'An import execution failed: see the job errorMessage and the execution history.',
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'PackagesBucketName', { value: this.packagesBucket.bucketName });
    new CfnOutput(this, 'FilesBucketName', { value: this.filesBucket.bucketName });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ExportStateMachineArn', { value: this.exportStateMachine.stateMachineArn });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });

    this.suppressNagFindings();
  }

  /**
   * The operations dashboard: imports and exports by outcome, phase durations (the Embedded Metric
   * Format lines of the workflow Lambdas), Lambda errors and throttles, DynamoDB throttling.
   */
  private buildDashboard(stage: string, functions: lambda.IFunction[]): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `fzip-import-${stage}`, defaultInterval: Duration.days(1) });
    const outcome = (machine: sfn.StateMachine, label: string) =>
      new cloudwatch.GraphWidget({
        title: `${label} by outcome`,
        width: 12,
        stacked: true,
        left: [
          machine.metricSucceeded({ label: 'succeeded (completed, canceled, undone)', statistic: 'Sum' }),
          machine.metricFailed({ label: 'failed', statistic: 'Sum' }),
          machine.metricTimedOut({ label: 'timed out', statistic: 'Sum' }),
          machine.metricAborted({ label: 'aborted', statistic: 'Sum' }),
        ],
      });
    const namespace = `FzipImport/${stage}`;
    const phases = ['validate', 'importing_accounts', 'importing_categories', 'importing_file_maps', 'importing_transaction_files', 'importing_transactions'];
    const phaseMetric = (phase: string, name: string, statistic: string) =>
      new cloudwatch.Metric({ namespace, metricName: name, dimensionsMap: { service: 'fzip-import', phase }, statistic, label: phase, period: Duration.minutes(5) });
    const sumOver = (label: string, prefix: string, metrics: cloudwatch.IMetric[]) =>
      new cloudwatch.MathExpression({
        label,
        expression: metrics.map((_, i) => `${prefix}${i}`).join(' + '),
        usingMetrics: Object.fromEntries(metrics.map((m, i) => [`${prefix}${i}`, m])),
        period: Duration.minutes(5),
      });
    const tables = [this.jobsTable, this.exportsTable, ...Object.values(this.entityTables)];
    dashboard.addWidgets(outcome(this.stateMachine, 'Imports'), outcome(this.exportStateMachine, 'Exports'));
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Phase durations (ms, p90)', width: 12, left: phases.map((p) => phaseMetric(p, 'DurationMs', 'p90')) }),
      new cloudwatch.GraphWidget({ title: 'Records per phase', width: 12, left: phases.map((p) => phaseMetric(p, 'Records', 'Sum')) }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Errors and throttles',
        width: 24,
        left: [
          sumOver('Lambda errors', 'e', functions.map((f) => f.metricErrors({ statistic: 'Sum' }))),
          sumOver('Lambda throttles', 't', functions.map((f) => f.metricThrottles({ statistic: 'Sum' }))),
          sumOver('DynamoDB throttled requests', 'd', tables.map((t) => t.metric('ThrottledRequests', { statistic: 'Sum' }))),
        ],
      }),
    );
    return dashboard;
  }

  /** Every cdk-nag finding we accept, each with its reason. */
  private suppressNagFindings(): void {
    NagSuppressions.addStackSuppressions(this, [
      {
        id: 'AwsSolutions-IAM4',
        reason: 'AWSLambdaBasicExecutionRole (logs) on our functions and on the CDK-provided custom resources (bucket notifications, auto-delete) is the AWS-managed minimum.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Wildcards are object-key prefixes (uploads/*, staging/*, files/*) and table indexes of our own resources; X-Ray and the CDK custom resources need their documented wildcard actions.',
      },
      { id: 'AwsSolutions-S1', reason: 'Server access logs are not kept for these buckets: uploads are tracked by the job table and CloudTrail data events can be enabled per account.' },
      { id: 'AwsSolutions-APIG4', reason: 'Every route verifies the Cognito JWT inside the API Lambda (aws-jwt-verify) and checks job ownership there.' },
      { id: 'AwsSolutions-COG4', reason: 'Authorization is done in the Lambda with aws-jwt-verify against the Cognito user pool.' },
      { id: 'AwsSolutions-L1', reason: 'Our functions use Node.js 22; the CDK-provided custom resource functions choose their own runtime.' },
      {
        id: 'AwsSolutions-SF1',
        reason: 'Executions log at ERROR level without execution data on purpose: state payloads must never reach logs; per-phase logs and metrics come from the Lambdas.',
      },
      { id: 'AwsSolutions-COG2', reason: 'MFA is OPTIONAL so each user can turn it on; the pool owner can require it.' },
      { id: 'AwsSolutions-COG3', reason: 'Threat protection (FULL_FUNCTION) is set where the pool is created; imported pools are configured by their owners.' },
    ]);
  }
}
