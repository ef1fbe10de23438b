"""The scheduler: the only place that builds APScheduler, its jobs and its command."""
