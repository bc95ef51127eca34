"""icsr-gateway: intake, follow-up, E2B submission and ACK routing for drug-safety cases."""

__version__ = "0.1.0"
