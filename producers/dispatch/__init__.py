"""The parts of the dispatcher (``producers.dispatcher``): settings, batch building and
recording, sending and its records, receipts and the ACK clocks."""
