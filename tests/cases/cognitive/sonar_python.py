# ruff: noqa  -- test data: each shape is chosen for its score, not to please linters.
"""sonar-python's own expectations, translated so that the file is valid Python.

Source: SonarSource/sonar-python, python-frontend/src/test/resources/metrics/
cognitive-complexities.py (each `# =N` there is the `# cognitive: N` here; free names became
parameters). Where qualitygate differs on purpose, the comment says so.
"""


# cognitive: 0
def zero_complexity():
    pass


# cognitive: 3
def if_else_complexity(condition):
    if condition:  # +1
        pass
    elif condition:  # +1
        pass
    else:  # +1
        pass


# cognitive: 4
def else_nesting(condition):
    if condition:  # +1
        pass
    else:  # +1
        if condition:  # +2 (incl 1 for nesting)
            pass


# cognitive: 4
def else_nested(condition):
    if condition:  # +1
        if condition:  # +2 (incl 1 for nesting)
            pass
        else:  # +1
            pass


# cognitive: 6
def if_nested(condition):
    if condition:  # +1
        if condition:  # +2 (incl 1 for nesting)
            if condition:  # +3 (incl 2 for nesting)
                pass


# cognitive: 4
def elif_nesting(condition):
    if condition:  # +1
        pass
    elif condition:  # +1
        if condition:  # +2 (incl 1 for nesting)
            pass


# cognitive: 4
def while_complexity(condition):
    while condition:  # +1
        if condition:  # +2 (incl 1 for nesting)
            pass
        else:  # +1
            pass


# cognitive: 4
def while_with_else_complexity(condition):
    while condition:  # +1
        pass
    else:  # +1
        if condition:  # +2 (incl 1 for nesting)
            pass


# cognitive: 4
def for_complexity(condition):
    for _ in "foo":  # +1
        if condition:  # +2 (incl 1 for nesting)
            pass
        else:  # +1
            pass


# The loop `else` counts and nests: sonar-python asserts 4 here.
# cognitive: 4
def for_with_else_complexity(condition):
    for _ in "foo":  # +1
        pass
    else:  # +1
        if condition:  # +2 (incl 1 for nesting)
            pass


# cognitive: 11
def try_except(condition, error1, error2, error3, error4):
    try:
        if condition:  # +1
            pass
    except error1:  # +1
        if condition:  # +2 (incl 1 for nesting)
            pass
    except error2:  # +1
        if condition:  # +2 (incl 1 for nesting)
            pass
    except (error3, error4):  # +1
        if condition:  # +2 (incl 1 for nesting)
            pass
    finally:
        if condition:  # +1
            pass


# cognitive: 2
def try_finally(condition):
    try:
        if condition:  # +1
            pass
    finally:
        if condition:  # +1
            pass


# cognitive: 4
def try_else(condition, error):
    try:
        pass
    except error:  # +1
        pass
    else:  # +1
        if condition:  # +2 (incl 1 for nesting)
            pass


# cognitive: 6
def jump_statements(condition):
    if condition:  # +1
        return
    elif condition:  # +1
        return 42

    while condition:  # +1
        if condition:  # +2 (incl 1 for nesting)
            break
        elif condition:  # +1
            continue


# sonar-python scores 2 and leaves a "TODO recursion +1"; the white paper's +1 makes it 3.
# cognitive: 3
def recursion(condition):
    if condition:  # +1
        return 42
    else:  # +1
        return recursion(condition)  # +1 (white paper "Recursion")


# cognitive: 3
def nesting_func(condition):
    if condition:  # +1
        pass

    # cognitive: 1
    def nested_func():  # nesting level +1
        if condition:  # +2 (incl 1 for nesting)
            pass


# cognitive: 1
def decorator_func(some_function, condition):
    # cognitive: 1
    def wrapper():  # nesting level +0
        if condition:  # +1
            print("before some_function()")
        some_function()

    return wrapper


# cognitive: 3
def complex_decorator_func(some_function, condition):
    # cognitive: 1
    def wrapper():  # nesting level +1
        if condition:  # +2 (incl 1 for nesting)
            print("before some_function()")
        some_function()

    return wrapper if condition else None  # +1


# cognitive: 7
def and_or(foo):
    foo(1 and 2 and 3 and 4)  # +1
    foo(1 or 2 or 3 or 4)  # +1
    foo(1 and 2 or 3 or 4)  # +1 +1
    foo(1 and 2 or 3 and 4)  # +1 +1 +1


class A:
    # cognitive: 1
    def method(self, condition):
        if condition:  # +1

            class B:
                pass

            return B


# cognitive: 1
def conditional_expression(true_value, condition, false_value):
    return true_value if condition else false_value  # +1


# cognitive: 3
def nested_conditional_expression_false(t1, t2, c1, c2, f):
    return t1 if c1 else (t2 if c2 else f)  # +1 +2 (incl 1 for nesting)


# cognitive: 3
def nested_conditional_expression_true(t1, c1, f1, c2, f2):
    return (t1 if c1 else f1) if c2 else f2  # +1 +2 (incl 1 for nesting)


# cognitive: 0
def not_complex(some_function):
    # cognitive: 0
    def nested_not_complex():  # nesting level +1
        some_function()

    some_function()
    return nested_not_complex


# A class inside a function resets the nesting level, and its methods still count toward the
# function: sonar-python asserts 4 (its per-line comments: +2, +1, +1).
# cognitive: 4
def function_with_nested_class(a, b):
    # cognitive: 1
    def f(b):
        return 1 if b else 2  # +2 (incl 1 for nesting)

    class A:
        # class reset nesting level
        # cognitive: 1
        def m(self, b):
            return 1 if b else 2  # +1

    return (1 if b else 2), f, A  # +1
