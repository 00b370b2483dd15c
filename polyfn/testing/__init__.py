"""Testing helpers: native event generators, runtime drivers and the pytest plugin."""
