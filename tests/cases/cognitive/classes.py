# ruff: noqa  -- test data: each shape is chosen for its score, not to please linters.
"""Classes: methods are functions, and a class inside a function resets the nesting level.

Following sonar-python (its `function_with_nested_class` = 4, in sonar_python.py), the
increments in a class inside a function still count toward the function, at nesting 0 however
deep the class sits; the methods are also scored on their own.
"""


class Plain:
    # cognitive: 1
    def method(self, a):
        if a:  # +1
            return a
        return None

    # cognitive: 3
    def with_helper(self, a):
        if a:  # +1
            return None

        # cognitive: 1
        def helper(b):
            if b:  # +1 alone; +2 in with_helper
                return b
            return None

        return helper

    class Inner:
        # cognitive: 1
        def method(self, a):
            for item in a:  # +1
                return item
            return None


# cognitive: 2
def factory(flag):
    if flag:  # +1

        class Impl:
            # cognitive: 1
            def run(self, a):
                if a:  # +1 in run and in factory: the class resets the nesting to 0
                    return a
                return None

        return Impl
    return None


# cognitive: 2
def class_attribute(items, flag):
    for item in items:  # +1

        class Config:
            debug = item if flag else None  # +1 (nesting 0 in a class)

        return Config
    return None


# The reset holds in every enclosing function, however deep.
# cognitive: 2
def outer_with_class(a):
    if a:  # +1
        # cognitive: 1
        def make():
            class Local:
                # cognitive: 1
                def m(self, b):
                    if b:  # +1 in m, in make and in outer_with_class
                        return b
                    return None

            return Local

        return make
    return None


# Bases and decorators are read in the enclosing function, at its nesting.
# cognitive: 3
def dynamic_base(a, b):
    if a:  # +1

        class Derived(a if b else object):  # +2 (nesting 1)
            pass

        return Derived
    return None
