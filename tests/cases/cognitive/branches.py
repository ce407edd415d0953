# ruff: noqa  -- test data: each shape is chosen for its score, not to please linters.
"""`if`, `elif`, `else` and the conditional expression.

Rules (docs/cognitive-complexity.md): `if` +1 plus nesting; `elif` and `else` +1 flat, with
bodies one level deeper (white paper App. B: they raise the nesting but earn no bonus). An
`else:` whose only statement is an `if` is an else plus a nested if, never an elif.
"""


# cognitive: 0
def straight_line(a, b):
    total = a + b
    return total


# cognitive: 1
def lone_if(a):
    if a:  # +1
        return 1
    return 0


# cognitive: 4
def elif_chain(a, b, c):
    if a:  # +1
        return 1
    elif b:  # +1
        return 2
    elif c:  # +1
        return 3
    else:  # +1
        return 4


# An `else:` holding only an `if` is not an `elif`: the inner `if` pays for its nesting.
# cognitive: 4
def else_then_if(a, b):
    if a:  # +1
        return 1
    else:  # +1
        if b:  # +2 (nesting 1)
            return 2
    return 3


# cognitive: 5
def else_then_if_else(a, b):
    if a:  # +1
        return 1
    else:  # +1
        if b:  # +2 (nesting 1)
            return 2
        else:  # +1
            return 3


# The same logic spelled with `elif` is cheaper by the nesting it avoids.
# cognitive: 3
def elif_else(a, b):
    if a:  # +1
        return 1
    elif b:  # +1
        return 2
    else:  # +1
        return 3


# cognitive: 5
def elif_then_else_if(a, b, c):
    if a:  # +1
        return 1
    elif b:  # +1
        return 2
    else:  # +1
        if c:  # +2 (nesting 1)
            return 3
        return 4


# One-line bodies: the `elif` still starts at the `if`'s column.
# cognitive: 3
def one_line_bodies(a, b):
    if a: return 1  # +1
    elif b: return 2  # +1
    else: return 3  # +1


# A nested chain: only the `if` pays for nesting; `elif` and `else` stay +1.
# cognitive: 5
def nested_chain(items, a):
    for item in items:  # +1
        if item:  # +2 (nesting 1)
            return 1
        elif a:  # +1
            return 2
        else:  # +1
            return 3
    return 0


# The `else` body holds more than the `if`: still an else plus a nested if.
# cognitive: 4
def else_with_if_and_more(a, b, log):
    if a:  # +1
        return 1
    else:  # +1
        log("b?")
        if b:  # +2 (nesting 1)
            return 2
    return 3


# Tab indentation: the columns are counted in bytes, and the elif/else-if rule still holds.
# cognitive: 7
def tabs(a, b, c):
	if a:  # +1
		return 1
	elif b:  # +1
		return 2
	else:  # +1
		if c:  # +2 (nesting 1)
			return 3
		elif a:  # +1
			return 4
		else:  # +1
			return 5


# cognitive: 1
def conditional_expression(a, b, c):
    return b if a else c  # +1


# A conditional expression pays for nesting, and nests its own operands.
# cognitive: 6
def conditional_expression_nested(items, a, b):
    for item in items:  # +1
        return (item if a else b) if b else a  # +2 (nesting 1), inner +3 (nesting 2)
    return None


# A conditional expression in an `if` test sits at the `if`'s own level.
# cognitive: 2
def conditional_expression_in_test(a, b, c):
    if (b if a else c):  # +1, +1
        return 1
    return 0


# cognitive: 3
def if_inside_if_body_with_ternary(a, b):
    if a:  # +1
        return b if a else None  # +2 (nesting 1)
    return None
