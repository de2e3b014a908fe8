"""The bodies of `autograph` commands that are more than a call into the library.

This is the command-line layer, beside `cli.py` (which parses the arguments and calls these):
it may use every other part of autograph, and nothing in the library imports it.
"""
