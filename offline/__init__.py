"""The local stack: the AWS emulator, resources from the template, the API and the queue pump."""
