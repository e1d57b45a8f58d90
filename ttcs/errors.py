"""Errors the tool reports to a person in one line (the CLI exits 2 on them)."""


class UserError(Exception):
    """Bad input a coordinator can fix: a wrong config value, an unknown province, a bad file."""


class ConfigError(UserError):
    """A campaign, form or contacts file that is missing, malformed or holds a wrong value."""
