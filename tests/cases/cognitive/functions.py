# ruff: noqa  -- test data: each shape is chosen for its score, not to please linters.
"""Nested functions and lambdas.

Both raise the nesting level (white paper App. B). A nested function is scored on its own as if
it were top level, and its increments also count toward the enclosing function, at the nesting
they have there. Decorators and default values run in the enclosing scope and count there.
(sonar-python's `nesting_func` and `not_complex` are in sonar_python.py.)
"""


# A def inside an `if` sits two levels deep in its enclosing function.
# cognitive: 4
def def_inside_if(a):
    if a:  # +1
        # cognitive: 1
        def inner(b):
            if b:  # +1 on its own; +3 in def_inside_if (nesting 2)
                return b
            return None

        return inner
    return None


# cognitive: 6
def three_deep(a):
    if a:  # +1
        return None

    # cognitive: 3
    def middle(b):
        # cognitive: 1
        def inner(c):
            if c:  # +1 alone; +2 in middle; +3 in three_deep
                return c
            return None

        if b:  # +1 in middle; +2 in three_deep
            return inner
        return None

    return middle


# cognitive: 2
async def async_nested(items):
    # cognitive: 1
    async def fetch(item):
        async for part in item:  # +1 alone; +2 in async_nested
            return part
        return None

    return [await fetch(item) for item in items]


# cognitive: 0
def plain_lambda(items):
    return sorted(items, key=lambda item: item.name)


# cognitive: 2
def ternary_in_lambda(items):
    return sorted(items, key=lambda item: item.rank if item else 0)  # +2 (nesting 1)


# cognitive: 4
def lambda_in_if(items, a):
    if a:  # +1
        return map(lambda x: x if x else a, items)  # +3 (nesting 2: the if, the lambda)
    return None


# Boolean runs never pay for nesting, even in a lambda.
# cognitive: 1
def boolean_in_lambda(items):
    return filter(lambda x: x and x.ok, items)  # +1


# cognitive: 3
def lambda_in_lambda(a):
    return lambda x: lambda y: x if y else a  # +3 (nesting 2)


# A lambda's default is evaluated where the lambda is written, outside its body.
# cognitive: 1
def lambda_default(a, b):
    return lambda x=(a if b else None): x  # +1 (nesting 0)


# A nested def's default is evaluated in the enclosing function.
# cognitive: 1
def default_of_nested_def(a, b):
    # cognitive: 0
    def inner(flag=a or b):  # +1 for default_of_nested_def, nothing for inner
        return flag

    return inner


# cognitive: 0
def nested_calls_only(f):
    # cognitive: 0
    def inner():
        return f()

    f()
    return inner
