"""Drivers run an App through one runtime's native event shapes (see ``base.Driver``)."""
