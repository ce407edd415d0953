# ruff: noqa  -- test data: each shape is chosen for its score, not to please linters.
"""Recursion (white paper, "Recursion"): a function that calls itself adds +1, once.

sonar-python does not implement this (its test file says "TODO recursion +1"). Decisions: only
direct calls count, `name(...)` in a function and `self.name(...)` or `cls.name(...)` in a
method; calls from a nested def belong to that def; a lambda is part of its function.
"""


# cognitive: 2
def factorial(n):
    if n <= 1:  # +1
        return 1
    return n * factorial(n - 1)  # +1


# Once, however many calls.
# cognitive: 2
def fibonacci(n):
    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)  # +1, +1


# cognitive: 1
def walk(node):
    return [walk(child) for child in node]  # +1


# A lambda is part of its function.
# cognitive: 1
def lazy(n):
    return lambda: lazy(n - 1)  # +1


# A nested def's recursion is its own, and counts toward the enclosing function like any
# other increment.
# cognitive: 1
def flatten(tree):
    # cognitive: 1
    def visit(node):
        return [visit(child) for child in node]  # +1

    return visit(tree)


# Calling the enclosing function from a nested def is not direct recursion for either.
# cognitive: 0
def outer_called_from_inner(n):
    # cognitive: 0
    def step(m):
        return outer_called_from_inner(m)

    return step(n)


# A cycle through another function is not detected (the white paper counts each method of a
# cycle; the decision is direct calls only).
# cognitive: 0
def is_even(n):
    return is_odd(n - 1)


# cognitive: 0
def is_odd(n):
    return is_even(n - 1)


# cognitive: 0
def same_name_as_attribute(widget):
    return widget.same_name_as_attribute()


class Node:
    # cognitive: 2
    def depth(self, n):
        if n:  # +1
            return self.depth(n - 1)  # +1
        return 0

    # cognitive: 2
    @classmethod
    def build(cls, n):
        return cls.build(n - 1) if n else cls()  # +1, +1

    # Another object's method of the same name may be anything: not counted.
    # cognitive: 1
    def visit(self, children):
        for child in children:  # +1
            child.visit(children)

    # A bare name in a method is a module-level function, not the method.
    # cognitive: 0
    def walk(self, node):
        return walk(node)


class Leaf(Node):
    # `super()` calls the parent's method.
    # cognitive: 0
    def depth(self, n):
        return super().depth(n)
