"""Shizu: turn your own chat history into a chatbot that talks like you, on your own machine."""

__version__ = "0.1.0"
