"""One module per ``polyfn`` subcommand: ``add_arguments(parser)`` and ``run(args)``."""
