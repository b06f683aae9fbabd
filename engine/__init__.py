"""perfrules engine: load, validate, compile, score, check and render budget performance self-evaluations.

The engine never prints and never exits; it raises `engine.errors.PerfrulesError` for the user's mistakes.
"""

__version__ = "0.1.0"
