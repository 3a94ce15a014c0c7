'use strict';

// Stage-wide throttling for the REST API: `custom.stageThrottling` becomes the stage's default
// MethodSettings ("*" on "/*"). osls names the API Gateway deployment after the packaging time
// (ApiGatewayDeployment<timestamp>) and creates no Stage resource, so serverless.yml cannot reach
// either with resources.extensions. The deployment is replaced on every deploy, so CloudFormation
// applies its StageDescription to the stage each time.
class StageThrottling {
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
      },
    });
    this.hooks = { 'before:package:finalize': () => this.addMethodSettings() };
  }

  addMethodSettings() {
    const { service } = this.serverless;
    const limits = service.custom && service.custom.stageThrottling;
    if (!limits) return;
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::ApiGateway::Deployment') continue;
      resource.Properties.StageDescription = {
        MethodSettings: [
          {
            HttpMethod: '*',
            ResourcePath: '/*',
            ThrottlingBurstLimit: limits.burstLimit,
            ThrottlingRateLimit: limits.rateLimit,
          },
        ],
      };
    }
  }
}

module.exports = StageThrottling;
