"""The one exception type for mistakes a user can make (bad path, bad option, bad file).

Its message is a single line that names the thing and the fix; the CLI prints it
without a traceback and exits non-zero.
"""


class EdgeDeeplabError(Exception):
    """A user-fixable problem: the message names what is wrong and how to fix it."""
