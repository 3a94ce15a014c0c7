"""AWS adapters: one module per resource or concern behind the use cases' ports."""
