"""A hostile project, generated at test time (issue 12): weird names are never committed."""
