"""The HTTP edge: API Gateway events in, commands to the use cases, problem+json out."""
