"""Change frequency from git history, joined with the measured functions into hotspots (issue 14).

``gitlog`` asks git (one ``git log -p`` over the window) and reads its patch structurally;
``replay`` maps each commit's changed lines onto today's line numbers; ``store`` caches that per
HEAD commit; ``hotspots`` ranks functions by commits × cognitive complexity; ``command`` is the
``hotspots`` command.
"""
