"""Sagopalgo on AWS, as a Pulumi program: network, edge, compute, data, images, schedule, logs."""
