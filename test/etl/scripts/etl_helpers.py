"""A module the test script imports: shipped with --extra-py-files, never run here."""


def identity(frame):
    return frame
