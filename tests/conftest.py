"""Shared test setup: the plugin that runs llama.cpp tests in a child process."""

pytest_plugins = ["native_isolation"]
