"""Benchwatch: does this safety benchmark measure safety, or just capabilities?"""

__version__ = "0.1.0"
