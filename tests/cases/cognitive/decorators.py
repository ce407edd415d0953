# ruff: noqa  -- test data: each shape is chosen for its score, not to please linters.
"""The decorator pattern (white paper, Appendix A "Compensating Usages", Python decorators).

A function whose only statements are nested defs and `return NAME` adds no nesting to them.
Decisions (docs/cognitive-complexity.md): a leading docstring and several defs keep the pattern;
anything else breaks it. (sonar-python's `decorator_func` and `complex_decorator_func` are in
sonar_python.py.)
"""

import functools


# cognitive: 1
def timed(func):
    # cognitive: 1
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if kwargs:  # +1, here and in timed: no nesting for a decorator
            return func(*args)
        return func(*args, **kwargs)

    return wrapper


# A decorator factory: every level is the pattern, so nothing nests.
# cognitive: 1
def repeat(times):
    # cognitive: 1
    def decorate(func):
        # cognitive: 1
        def wrapper(*args):
            for _ in range(times):  # +1 in all three
                func(*args)

        return wrapper

    return decorate


# Decision: a leading docstring does not break the pattern (sonar-python would nest: 2).
# cognitive: 1
def documented(func):
    """Call ``func`` only with a truthy argument."""

    # cognitive: 1
    def wrapper(a):
        if a:  # +1
            return func(a)
        return None

    return wrapper


# Decision: several defs keep the pattern (sonar-python allows only one: 1 + 2 + 2 = 5).
# cognitive: 2
def two_defs(func):
    # cognitive: 1
    def on(x):
        if x:  # +1
            return func(x)
        return None

    # cognitive: 1
    def off(x):
        if x:  # +1
            return None
        return func(x)

    return on


# Any other statement breaks the pattern: the nested def pays for nesting again.
# cognitive: 2
def with_setup(func, log):
    log("decorating")

    # cognitive: 1
    def wrapper(a):
        if a:  # +1 alone; +2 here (nesting 1)
            return func(a)
        return None

    return wrapper


# So does returning anything but a bare name.
# cognitive: 2
def returns_a_call(func):
    # cognitive: 1
    def wrapper(a):
        if a:  # +1 alone; +2 here (nesting 1)
            return func(a)
        return None

    return functools.wraps(func)(wrapper)


# A string that is not the first statement is not a docstring.
# cognitive: 2
def late_string(func):
    # cognitive: 1
    def wrapper(a):
        if a:  # +1 alone; +2 here (nesting 1)
            return func(a)
        return None

    "not a docstring"
    return wrapper


# The pattern needs a def: a function of returns alone has nothing to exempt.
# cognitive: 0
def only_returns(func):
    return func
