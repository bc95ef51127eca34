"""The ICSR domain core: pure Python records, code lists, lifecycle and case history.

Imports only the standard library, ``gateway.errors`` and itself (a test enforces it),
so every adapter (store, Kafka, E2B XML, channels) can depend on it and not the reverse.
"""
