'use strict';

// The REST API stage's settings that osls cannot express in the template: stage-wide throttling
// (`custom.stageThrottling`, the default MethodSettings "*" on "/*"), JSON access logs
// (`custom.stageAccessLogs`: the log group resource and the fields of each line) and X-Ray
// tracing (`provider.tracing.apiGateway`). osls names
// the API Gateway deployment after the packaging time (ApiGatewayDeployment<timestamp>) and
// creates no Stage resource, so serverless.yml cannot reach either with resources.extensions.
// The deployment is replaced on every deploy, so CloudFormation applies its StageDescription
// to the stage each time.
class StageSettings {
  constructor(serverless) {
    this.serverless = serverless;
    serverless.configSchemaHandler.defineCustomProperties({
      type: 'object',
      properties: {
        stageThrottling: {
          type: 'object',
          properties: {
            burstLimit: { type: 'integer', minimum: 0 },
            rateLimit: { type: 'number', minimum: 0 },
          },
          required: ['burstLimit', 'rateLimit'],
          additionalProperties: false,
        },
        stageAccessLogs: {
          type: 'object',
          properties: {
            logGroup: { type: 'string' },
            format: { type: 'object', additionalProperties: { type: 'string' } },
          },
          required: ['logGroup', 'format'],
          additionalProperties: false,
        },
      },
    });
    this.hooks = { 'before:package:finalize': () => this.addStageDescription() };
  }

  addStageDescription() {
    const { service } = this.serverless;
    const custom = service.custom || {};
    const description = {};
    if (custom.stageThrottling) {
      description.MethodSettings = [
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingBurstLimit: custom.stageThrottling.burstLimit,
          ThrottlingRateLimit: custom.stageThrottling.rateLimit,
        },
      ];
    }
    if (custom.stageAccessLogs) {
      description.AccessLogSetting = {
        DestinationArn: { 'Fn::GetAtt': [custom.stageAccessLogs.logGroup, 'Arn'] },
        Format: JSON.stringify(custom.stageAccessLogs.format),
      };
    }
    // Tracing is also in the template, not only in osls's call to the API after the deploy.
    const tracing = service.provider.tracing;
    if (tracing && tracing.apiGateway) description.TracingEnabled = true;
    if (Object.keys(description).length === 0) return;
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::ApiGateway::Deployment') continue;
      resource.Properties.StageDescription = description;
    }
  }
}

module.exports = StageSettings;
