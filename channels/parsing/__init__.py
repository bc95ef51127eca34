"""Turning raw inbound bytes into typed messages, one module per format."""
