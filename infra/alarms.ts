import type { queues } from './queues';
import { alarmEmail } from './settings';

/**
 * What an operator must hear about on day one: anything in either dead-letter queue, and worker
 * invocations that fail as a whole (a partial batch failure is not a Lambda error; a crash,
 * timeout or start-up failure is). Sent to an SNS topic, e-mailed to ALARM_EMAIL when set.
 */
export function alarms(
  { deadLetterQueue, webhookDeadLetterQueue }: ReturnType<typeof queues>,
  workerFunctionName: $util.Input<string>,
) {
  const topic = new aws.sns.Topic('Alarms');
  const email = alarmEmail();
  if (email)
    new aws.sns.TopicSubscription('AlarmEmail', { topic: topic.arn, protocol: 'email', endpoint: email });
  const common = {
    period: 60,
    evaluationPeriods: 1,
    comparisonOperator: 'GreaterThanThreshold',
    threshold: 0,
    treatMissingData: 'notBreaching',
    alarmActions: [topic.arn],
    okActions: [topic.arn],
  };
  new aws.cloudwatch.MetricAlarm('DeadLetterQueueDepth', {
    ...common,
    alarmDescription: 'Messages are waiting in the dead-letter queue: see GET /failed-messages',
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: { QueueName: deadLetterQueue.nodes.queue.name },
    statistic: 'Maximum',
  });
  new aws.cloudwatch.MetricAlarm('WebhookDeadLetterQueueDepth', {
    ...common,
    alarmDescription:
      'Webhook deliveries gave up after about a day: see GET /failed-messages (type webhook.delivery)',
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: { QueueName: webhookDeadLetterQueue.nodes.queue.name },
    statistic: 'Maximum',
  });
  new aws.cloudwatch.MetricAlarm('WorkerErrors', {
    ...common,
    alarmDescription: 'Worker invocations failed as a whole (crash, timeout or start-up failure)',
    namespace: 'AWS/Lambda',
    metricName: 'Errors',
    dimensions: { FunctionName: workerFunctionName },
    statistic: 'Sum',
  });
  return { topic };
}
