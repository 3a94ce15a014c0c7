'use strict';

// The REST API stage's settings that osls cannot express in the template: stage-wide throttling
// (`custom.stageThrottling`, the default MethodSettings "*" on "/*"), JSON access logs
// (`custom.stageAccessLogs`: the log group resource and the fields of each line), X-Ray
// tracing (`provider.tracing.apiGateway`), and the gateway responses a deployment must wait for
// (a stage serves the API as it was when its deployment was made). osls names
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
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    // serverless.yml's own resources are merged into the template after this hook.
    const declared = (service.resources && service.resources.Resources) || {};
    const gatewayResponses = Object.keys(declared).filter(
      (name) => declared[name].Type === 'AWS::ApiGateway::GatewayResponse',
    );
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::ApiGateway::Deployment') continue;
      if (Object.keys(description).length > 0) resource.Properties.StageDescription = description;
      // Without it, CloudFormation may deploy the API before the responses exist: the stage
      // would answer with API Gateway's defaults until the next deploy.
      resource.DependsOn = [...(resource.DependsOn || []), ...gatewayResponses];
    }
  }
}

module.exports = StageSettings;
