"""The order domain: statuses and their graph, orders, commands, errors and messages. No I/O."""
