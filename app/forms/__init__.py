"""Shared form fields and validators; each blueprint keeps its own forms next to its views."""
