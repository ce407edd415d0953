# ruff: noqa  -- test data: each shape is chosen for its score, not to please linters.
"""Loops, `try`, `with` and jumps.

`for`, `async for`, `while` and each `except` (also `except*`) score +1 plus nesting and nest
their bodies. The `else` of a loop or a `try` scores +1 and nests (sonar-python). `try`,
`finally`, `with`, `break`, `continue` and `return` are free (white paper App. B).
(`except*` is tested from a string in tests/test_cognitive.py: the linter reads these files as
Python 3.10.)
"""


# cognitive: 1
def plain_for(items, f):
    for item in items:  # +1
        f(item)


# cognitive: 1
def plain_while(queue):
    while queue:  # +1
        queue.pop()


# cognitive: 6
def nested_loops(rows, f):
    for row in rows:  # +1
        for cell in row:  # +2 (nesting 1)
            while cell:  # +3 (nesting 2)
                cell = f(cell)


# `break`, `continue` and `return` are free: the white paper counts only jumps to labels.
# cognitive: 5
def jumps_are_free(items):
    for item in items:  # +1
        if item is None:  # +2 (nesting 1)
            continue
        if item == 0:  # +2 (nesting 1)
            break
    return None


# The search idiom; sonar-python's own `for ... else` case (= 4) is in sonar_python.py.
# cognitive: 4
def for_else_search(items, target):
    for item in items:  # +1
        if item == target:  # +2 (nesting 1)
            break
    else:  # +1
        return None
    return target


# The `else` nests its body like any branch.
# cognitive: 4
def while_else_with_if(queue, a):
    while queue:  # +1
        queue.pop()
    else:  # +1
        if a:  # +2 (nesting 1)
            return a
    return None


# cognitive: 0
def try_finally_free(f, g):
    try:
        f()
    finally:
        g()


# cognitive: 3
def try_except_else_finally(f, g, h, log):
    try:
        f()
    except ValueError:  # +1
        log("value")
    except (KeyError, IndexError) as error:  # +1
        log(error)
    else:  # +1
        g()
    finally:
        h()


# The `try` body does not nest; the `except` body does.
# cognitive: 5
def nesting_inside_try(a, f, log):
    try:
        if a:  # +1 (try adds no nesting)
            f()
    except OSError:  # +1
        if a:  # +2 (nesting 1)
            log(a)
    finally:
        if a:  # +1 (finally adds no nesting)
            log(a)
    return None


# An `except` pays for the nesting it sits in.
# cognitive: 3
def except_in_loop(items, f):
    for item in items:  # +1
        try:
            f(item)
        except ValueError:  # +2 (nesting 1)
            continue


# cognitive: 4
def try_else_nests(f, a):
    try:
        f()
    except ValueError:  # +1
        return None
    else:  # +1
        return a if a else None  # +2 (nesting 1)


# `with` is free and does not nest.
# cognitive: 1
def with_is_free(open_, path, a):
    with open_(path) as handle, open_(path) as other:
        if a:  # +1 (with adds no nesting)
            return handle, other
    return None


# cognitive: 3
async def async_for_and_with(stream, lock, a):
    async with lock:
        async for chunk in stream:  # +1 (async with adds no nesting)
            if chunk == a:  # +2 (nesting 1)
                return chunk
            await stream.ack()
    return None


# cognitive: 4
async def async_for_else(stream, a):
    async for chunk in stream:  # +1
        pass
    else:  # +1
        if a:  # +2 (nesting 1)
            return chunk
    return None


# `while True` is a loop all the same.
# cognitive: 1
def while_true_break(queue):
    while True:  # +1
        break
    return queue
