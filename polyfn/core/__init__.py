"""The cloud-neutral model. Imports only the standard library and itself."""
