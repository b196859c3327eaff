"""The shared kernel: order domain, wire contract, status store and settings."""
