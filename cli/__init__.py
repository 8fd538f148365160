"""idmerge's command line: parse arguments, call :mod:`matchers`, render results."""
