# ruff: noqa  -- test data: each shape is chosen for its score, not to please linters.
"""Comprehensions are shorthand (white paper, "Ignore shorthand"): free, and no nesting.

The conditional expressions and boolean runs inside them still count.
"""


# cognitive: 0
def list_comprehension(items):
    return [item * 2 for item in items]


# The `if` clause of a comprehension is a filter, not an `if` statement.
# cognitive: 0
def filtered(items):
    return [item for item in items if item]


# cognitive: 0
def nested_comprehensions(rows):
    return {(i, j): cell for i, row in enumerate(rows) for j, cell in enumerate(row) if cell}


# cognitive: 1
def ternary_inside(items):
    return [item if item else 0 for item in items]  # +1 (a comprehension adds no nesting)


# cognitive: 1
def boolean_filter(items, a):
    return {item for item in items if item and a}  # +1


# cognitive: 3
def ternary_inside_loop(rows):
    total = 0
    for row in rows:  # +1
        total += sum(cell if cell else 1 for cell in row)  # +2 (nesting 1, from the for)
    return total


# cognitive: 3
def ternary_in_generator_in_ternary(items, a):
    return list(x if x else a for x in items) if a else None  # +1, inner +2 (nesting 1)
