"""The bot's shell: settings, command line, service container and channel adapters."""
