"""Bizweek: an online B2B business week from one command."""

__version__ = "0.1.0"
