"""The one exception type for a user's own mistakes (bad config, bad input files)."""


class EobenchError(Exception):
    """A problem with the user's input, reported as one line without a traceback.

    The message names the file or config key and the problem, e.g.
    ``"embeddings.csv: 3 duplicate ids (first: 'a1')"``.
    """
