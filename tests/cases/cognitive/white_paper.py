# ruff: noqa  -- test data: each shape is chosen for its score, not to please linters.
"""The white paper's own examples, translated to Python.

Source: G. Ann Campbell, "Cognitive Complexity", SonarSource white paper v1.7 (29 August 2023).
Both methods open the paper ("An illustration of the problem", Cyclomatic Complexity 4 each),
and the paper later scores them 7 and 1 by its own rules ("Increment for nested flow-break
structures", "Switches"). Comments give the increments as the paper annotates them.
"""


# The paper's `continue OUT` (+1, "Jumps to labels") has no Python spelling; a `for ... else`
# says the same thing and also scores +1, so the total stays the paper's 7.
# cognitive: 7
def sum_of_primes(maximum):
    total = 0
    for i in range(1, maximum + 1):  # +1
        for j in range(2, i):  # +2 (nesting = 1)
            if i % j == 0:  # +3 (nesting = 2)
                break
        else:  # +1 (stands for `continue OUT`)
            total += i
    return total


# A switch scores +1 once, whatever its cases ("Switches"); Python's switch is `match`.
# cognitive: 1
def get_words(number):
    match number:  # +1
        case 1:
            return "one"
        case 2:
            return "a couple"
        case 3:
            return "a few"
        case _:
            return "lots"
