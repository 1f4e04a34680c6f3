"""The Redis floor: the embedded server, connections, scripts' transport, ports."""
