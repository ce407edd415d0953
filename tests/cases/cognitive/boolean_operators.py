# ruff: noqa  -- test data: each shape is chosen for its score, not to please linters.
"""Sequences of boolean operators (white paper, "Sequences of logical operators").

+1 for each run of like operators, read in source order. The AST keeps no parentheses, so they
are transparent; `not` adds nothing and its operand is an expression of its own.
"""


# cognitive: 1
def single_and(a, b):
    return a and b  # +1


# cognitive: 1
def run_of_and(a, b, c):
    return a and b and c  # +1


# cognitive: 2
def and_then_or(a, b, c):
    return a and b or c  # +1 +1


# Python binds `and` tighter, so the AST is `a or (b and c) or d`; source order is or, and, or.
# cognitive: 3
def or_and_or(a, b, c, d):
    return a or b and c or d  # +1 +1 +1


# cognitive: 1
def parentheses_are_transparent(a, b, c):
    return a and (b and c)  # +1


# cognitive: 1
def parentheses_on_the_left(a, b, c):
    return (a and b) and c  # +1


# cognitive: 2
def parenthesised_mix(a, b, c):
    return a and (b or c)  # +1 +1


# cognitive: 3
def alternating(a, b, c, d):
    return (a or b) and (c or d)  # or, and, or: +1 +1 +1


# cognitive: 0
def not_alone(a):
    return not a


# cognitive: 1
def and_not(a, b):
    return a and not b  # +1


# `not` ends the sequence: the run inside it is counted on its own.
# cognitive: 2
def and_not_parenthesised(a, b, c):
    return a and not (b and c)  # +1, +1


# cognitive: 1
def not_of_a_run(a, b):
    return not (a or b)  # +1


# Operators inside other expressions still count.
# cognitive: 2
def inside_formatting(a):
    return "%s" % (a and "x" or "y")  # +1 +1


# cognitive: 2
def two_arguments(f, a, b, c, d):
    return f(a and b, c or d)  # +1, +1


# cognitive: 2
def walrus_breaks_the_run(a, b, c):
    return (x := a and b) or c or x  # +1 (inside :=), +1


# cognitive: 2
def in_if_test(a, b):
    if a and b:  # +1 for the if, +1 for the run
        return 1
    return 0


# Operators never pay for nesting.
# cognitive: 5
def nested_in_loop(items, a, b):
    for item in items:  # +1
        if item and a or b:  # +2 (nesting 1); +1 +1 for the runs, with no nesting bonus
            return item
    return None


# cognitive: 0
def comparisons_are_free(a, b, c):
    return [a < b < c, a is not b, a in c, a == b != c]


# cognitive: 0
def bitwise_operators_are_free(a, b, c):
    return a & b | c ^ a
