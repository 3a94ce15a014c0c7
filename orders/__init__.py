"""Orders service: repair orders received over HTTP, stored in DynamoDB, routed through SQS."""
