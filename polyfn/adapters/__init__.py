"""Runtimes: each translates its platform's native events to the core model and back."""
