# ruff: noqa  -- test data: each shape is chosen for its score, not to please linters.
"""`match` is Python's switch (white paper, "Switches"): +1 plus nesting once per statement.

Cases add nothing; case bodies and guards sit one level deeper (decision: "the level rises
inside match/case"). Boolean runs in a guard count; patterns (`|`, captures) are free.
"""


# cognitive: 1
def many_cases(command):
    match command:  # +1, once for all five cases
        case "start":
            return 1
        case "stop":
            return 2
        case "pause" | "wait":  # an or-pattern is not a boolean operator
            return 3
        case [first, *rest]:
            return first, rest
        case _:
            return None


# cognitive: 3
def guards_count(point, limit):
    match point:  # +1
        case (x, y) if x > limit and y > limit:  # +1
            return "far"
        case (x, y) if x or y or limit:  # +1
            return "near"
        case _:
            return None


# cognitive: 3
def if_in_a_case(value, a):
    match value:  # +1
        case int():
            if a:  # +2 (nesting 1)
                return value
    return None


# cognitive: 3
def match_in_a_loop(events):
    for event in events:  # +1
        match event:  # +2 (nesting 1)
            case {"type": "quit"}:
                return None
    return events


# A conditional expression in a guard sits inside the match: +1 plus nesting 1.
# cognitive: 3
def ternary_in_guard(value, a, b):
    match value:  # +1
        case str() if (a if b else not a):  # +2 (nesting 1)
            return value
    return None


# The subject is read at the match's own level.
# cognitive: 2
def ternary_in_subject(value, a):
    match value if a else None:  # +1 for the match, +1 for the ternary (nesting 0)
        case None:
            return a
    return value


# cognitive: 3
def nested_match(outer, inner):
    match outer:  # +1
        case 1:
            match inner:  # +2 (nesting 1)
                case 2:
                    return 3
    return 0
