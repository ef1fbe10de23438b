"""Delivery: the queue of outgoing messages, the send loop and worker, suppression and bounces."""
