'use strict';

// The stage's CloudWatch dashboard, as the JSON body CloudFormation needs, built from the same
// names serverless.yml gives the API, the queues and the metrics namespace. Referenced from
// serverless.yml as ${file(./ops/dashboard.js):body}; ${AWS::Region} is left for Fn::Sub.
const STATUSES = ['received', 'inprocess', 'completed', 'canceled'];
const CHANNELS = ['email', 'sms', 'none'];
const REGION = '${AWS::Region}';

function widget(title, metrics, { x, y, width = 8, stat = 'Sum', period = 300, yAxis } = {}) {
  const properties = { title, region: REGION, metrics, stat, period, view: 'timeSeries' };
  if (yAxis) properties.yAxis = yAxis;
  return { type: 'metric', x, y, width, height: 6, properties };
}

module.exports.body = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const namespace = `Orders/${stage}`;
  const api = ['ApiName', `${stage}-orders`, 'Stage', stage];
  const queue = (status) => `orders-${stage}-${status}`;
  const perStatus = (namespaceName, metric, name) =>
    STATUSES.map((status) => [namespaceName, metric, 'QueueName', name(status), { label: status }]);
  const widgets = [
    widget('API requests', [['AWS/ApiGateway', 'Count', ...api]], { x: 0, y: 0 }),
    widget(
      'API latency (ms)',
      [
        ['AWS/ApiGateway', 'Latency', ...api, { stat: 'p50', label: 'p50' }],
        ['AWS/ApiGateway', 'Latency', ...api, { stat: 'p90', label: 'p90' }],
        ['AWS/ApiGateway', 'IntegrationLatency', ...api, { stat: 'p90', label: 'integration p90' }],
      ],
      { x: 8, y: 0 },
    ),
    widget(
      'API 4xx and 5xx',
      [
        ['AWS/ApiGateway', '4XXError', ...api, { label: '4xx' }],
        ['AWS/ApiGateway', '5XXError', ...api, { label: '5xx' }],
      ],
      { x: 16, y: 0 },
    ),
    widget('Messages waiting, per status queue', perStatus('AWS/SQS', 'ApproximateNumberOfMessagesVisible', queue), {
      x: 0, y: 6, stat: 'Maximum', period: 60,
    }),
    widget('Age of the oldest message (s)', perStatus('AWS/SQS', 'ApproximateAgeOfOldestMessage', queue), {
      x: 8, y: 6, stat: 'Maximum', period: 60,
    }),
    widget('Dead letters, per status', perStatus('AWS/SQS', 'ApproximateNumberOfMessagesVisible', (s) => `${queue(s)}-dlq`), {
      x: 16, y: 6, stat: 'Maximum', period: 60,
    }),
    widget(
      'Status entered to customer told, p90 (ms)',
      STATUSES.map((status) => [namespace, 'ProcessingLag', 'Status', status, { stat: 'p90', label: status }]),
      { x: 0, y: 12 },
    ),
    widget(
      'Deliveries, by channel',
      CHANNELS.flatMap((channel) => [
        [namespace, 'DeliveriesSent', 'Channel', channel, { label: `${channel} sent` }],
        [namespace, 'DeliveriesFailed', 'Channel', channel, { label: `${channel} failed` }],
      ]),
      { x: 8, y: 12 },
    ),
    widget(
      'Orders created and statuses entered',
      [
        [namespace, 'OrdersCreated', { label: 'created' }],
        ...STATUSES.map((status) => [namespace, 'StatusEntered', 'Status', status, { label: status }]),
      ],
      { x: 16, y: 12 },
    ),
    widget(
      'Dispatch sweeper',
      [
        [namespace, 'DispatchesResent', { label: 'resent' }],
        [namespace, 'DispatchesAbandoned', { label: 'abandoned' }],
        [namespace, 'DispatchesPending', { label: 'still pending', stat: 'Maximum' }],
      ],
      { x: 0, y: 18, width: 24, period: 60 },
    ),
  ];
  return JSON.stringify({ widgets });
};
