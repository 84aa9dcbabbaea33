"""One ``ComponentResource`` per concern; ``sagopalgo.infra.stack.build`` wires them together."""
