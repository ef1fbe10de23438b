"""Mail: rendering campaigns into subject, HTML and text once, then filling in each recipient."""
