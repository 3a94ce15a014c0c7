"""The packaged template and the stack built from it (shared with the local stack)."""

from offline.provision import Stack, create_data_stack, load_template

__all__ = ["Stack", "create_data_stack", "load_template"]
