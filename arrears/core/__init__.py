"""The pure core of arrears: business rules that import only the standard library.

Nothing in here reads a clock, a database, a template or the network; "today" and every
other "now" are parameters. That keeps every rule testable with thousands of generated cases.
"""
