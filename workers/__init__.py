"""The service shell: settings, Redis, the store, RQ jobs, the scheduler, the CLI, the web UI."""
