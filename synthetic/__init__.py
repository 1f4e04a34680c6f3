"""The synthetic world (corpus generator, fixture web): for tests, bench and the demo only."""
